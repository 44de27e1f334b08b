import type { Delimiters } from './delimiters.js';
import { DEFAULT_DELIMITERS } from './delimiters.js';
import { Hl7ParseError } from './errors.js';

/** Options for {@link unescapeText}. */
export interface UnescapeOptions {
  /**
   * What to do with `\H\` (start highlighting) and `\N\` (normal text): `'drop'` (default) removes
   * them; `{ start, end }` replaces them with those strings (e.g. `'<strong>'`, `'</strong>'`).
   */
  highlight?: 'drop' | { readonly start: string; readonly end: string };
  /**
   * `'strict'` (default) throws ERR_HL7_ESCAPE on an unterminated or unknown escape sequence;
   * `'lenient'` keeps such text as it stands, for feeds known to send stray backslashes.
   */
  escapes?: 'strict' | 'lenient';
  /** Encoding of `\Xhh…\` bytes: `'utf-8'` (default) or `'latin1'`, normally the message's charset. */
  hexEncoding?: string;
}

const hexDecoders = new Map<string, TextDecoder>();

function decodeHex(hex: string, encoding: string): string | undefined {
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9A-Fa-f]+$/.test(hex)) return undefined;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  if (encoding === 'latin1' || encoding === 'ascii') return String.fromCharCode(...bytes);
  let decoder = hexDecoders.get(encoding);
  if (!decoder) {
    decoder = new TextDecoder(encoding, { fatal: true });
    hexDecoders.set(encoding, decoder);
  }
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Decodes HL7 escape sequences in one leaf value (HL7 v2.5.1 §2.7): `\F\ \S\ \T\ \R\ \E\` to
 * the delimiters, `\P\` to the truncation character (v2.7), `\Xhh…\` to the characters those
 * bytes encode, `\.br\` and `\.sp n\` to line breaks. Other formatting commands of FT
 * (`\.fi\ \.nf\ \.in\ \.ti\ \.sk\ \.ce\`) are layout hints and are dropped. Pass only leaf values:
 * delimiters still in the text are returned as they are.
 *
 * @throws {Hl7ParseError} ERR_HL7_ESCAPE for an unterminated or unknown sequence (strict mode);
 *   its `byteOffset` is the character offset within `raw`, which callers translate.
 */
export function unescapeText(raw: string, delimiters: Delimiters = DEFAULT_DELIMITERS, options: UnescapeOptions = {}): string {
  const esc = delimiters.escape;
  let at = raw.indexOf(esc);
  if (at === -1) return raw;
  const strict = options.escapes !== 'lenient';
  const highlight = options.highlight ?? 'drop';
  let out = '';
  let from = 0;
  while (at !== -1) {
    const close = raw.indexOf(esc, at + 1);
    if (close === -1) {
      if (strict) throw new Hl7ParseError('ERR_HL7_ESCAPE', `unterminated escape sequence '${raw.slice(at, at + 12)}'`, { byteOffset: at });
      break;
    }
    const body = raw.slice(at + 1, close);
    let replacement: string | undefined;
    switch (body) {
      case 'F': replacement = delimiters.field; break;
      case 'S': replacement = delimiters.component; break;
      case 'T': replacement = delimiters.subcomponent; break;
      case 'R': replacement = delimiters.repetition; break;
      case 'E': replacement = delimiters.escape; break;
      case 'P': replacement = delimiters.truncation; break;
      case 'H': replacement = highlight === 'drop' ? '' : highlight.start; break;
      case 'N': replacement = highlight === 'drop' ? '' : highlight.end; break;
      case '.br': replacement = '\n'; break;
      default:
        if (body.startsWith('X')) replacement = decodeHex(body.slice(1), options.hexEncoding ?? 'utf-8');
        else if (/^\.sp(?: ?\+?\d+)?$/.test(body)) replacement = '\n'.repeat(Math.max(1, Math.min(100, parseInt(body.slice(3).replace('+', ''), 10) || 1)));
        else if (/^\.(?:fi|nf|ce|in ?[+-]?\d+|ti ?[+-]?\d+|sk ?\+?\d+)$/.test(body)) replacement = '';
    }
    if (replacement === undefined) {
      if (strict) throw new Hl7ParseError('ERR_HL7_ESCAPE', `unknown escape sequence '${esc}${body.slice(0, 20)}${esc}'`, { byteOffset: at });
      out += raw.slice(from, close);
      from = close;
      at = close;
      continue;
    }
    out += raw.slice(from, at) + replacement;
    from = close + 1;
    at = raw.indexOf(esc, from);
  }
  return out + raw.slice(from);
}

const escapePatterns = new Map<string, RegExp>();

function patternFor(d: Delimiters): RegExp {
  const key = d.field + d.component + d.repetition + d.escape + d.subcomponent + (d.truncation ?? '');
  let re = escapePatterns.get(key);
  if (!re) {
    const chars = [...new Set(key)].map((c) => c.replace(/[\\\]^-]/g, '\\$&')).join('');
    // Line breaks would end the segment; other C0 controls (VT, FS in MLLP) would break framing.
    re = new RegExp(`\\r\\n|[${chars}\\x00-\\x1f\\x7f]`, 'g');
    escapePatterns.set(key, re);
  }
  re.lastIndex = 0;
  return re;
}

/**
 * Escapes plain text for use as one HL7 leaf value, so that it can never be read as structure:
 * each delimiter becomes its escape sequence (`O|Brien` → `O\F\Brien`), line breaks become
 * `\.br\` (`\X0A\` when `.` is a delimiter), and other control characters become `\Xhh\`. The inverse of {@link unescapeText}.
 */
export function escapeText(text: string, delimiters: Delimiters = DEFAULT_DELIMITERS): string {
  const re = patternFor(delimiters);
  if (!re.test(text)) return text;
  re.lastIndex = 0;
  // `\.br\` would be split apart if '.' is itself a delimiter; hex says the same thing safely.
  const dotIsDelimiter = delimiters.escape === '.' || delimiters.field === '.' || delimiters.component === '.' || delimiters.repetition === '.' || delimiters.subcomponent === '.' || delimiters.truncation === '.';
  const lineBreak = dotIsDelimiter ? `${delimiters.escape}X0A${delimiters.escape}` : `${delimiters.escape}.br${delimiters.escape}`;
  return text.replace(re, (c) => {
    switch (c) {
      case delimiters.escape: return `${c}E${c}`;
      case delimiters.field: return `${delimiters.escape}F${delimiters.escape}`;
      case delimiters.component: return `${delimiters.escape}S${delimiters.escape}`;
      case delimiters.subcomponent: return `${delimiters.escape}T${delimiters.escape}`;
      case delimiters.repetition: return `${delimiters.escape}R${delimiters.escape}`;
      case delimiters.truncation: return `${delimiters.escape}P${delimiters.escape}`;
      case '\r\n':
      case '\n':
      case '\r': return lineBreak;
      default: return `${delimiters.escape}X${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}${delimiters.escape}`;
    }
  });
}
