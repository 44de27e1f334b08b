import { NotSupportedError } from '../../errors.js';
import { Hl7ParseError } from '../errors.js';

/**
 * HL7 table 0211 character set names (MSH-18) mapped to WHATWG encoding labels. `latin1` and
 * `ascii` are handled by hand because WHATWG decodes "iso-8859-1" as windows-1252, which would
 * turn bytes 0x80–0x9F into different characters and break byte-exact round trips.
 */
const HL7_CHARSETS: Record<string, string> = {
  'ASCII': 'ascii',
  'ISO IR6': 'ascii',
  '8859/1': 'latin1',
  'ISO IR100': 'latin1',
  '8859/2': 'iso-8859-2',
  'ISO IR101': 'iso-8859-2',
  '8859/3': 'iso-8859-3',
  'ISO IR109': 'iso-8859-3',
  '8859/4': 'iso-8859-4',
  'ISO IR110': 'iso-8859-4',
  '8859/5': 'iso-8859-5',
  'ISO IR144': 'iso-8859-5',
  '8859/6': 'iso-8859-6',
  'ISO IR127': 'iso-8859-6',
  '8859/7': 'iso-8859-7',
  'ISO IR126': 'iso-8859-7',
  '8859/8': 'iso-8859-8',
  'ISO IR138': 'iso-8859-8',
  '8859/9': 'windows-1254',
  'ISO IR148': 'windows-1254',
  '8859/15': 'iso-8859-15',
  'UNICODE UTF-8': 'utf-8',
  'UTF-8': 'utf-8',
  'GB 18030-2000': 'gb18030',
  'KS X 1001': 'euc-kr',
  'BIG-5': 'big5',
  'ISO IR87': 'iso-2022-jp',
  'ISO IR159': 'iso-2022-jp',
  'ISO IR14': 'shift_jis',
  'JAS2020': 'shift_jis',
  'JIS X 0202': 'iso-2022-jp',
};

/** Charsets that are not ASCII-compatible: the MSH header cannot even be found in their bytes. */
const UNSUPPORTED = new Set(['UNICODE', 'UNICODE UTF-16', 'UNICODE UTF-32', 'CNS 11643-1992']);

/**
 * Resolves an MSH-18 value (an HL7 name) or a WHATWG label to the encoding used to decode.
 * Throws NotSupportedError for charsets that are not ASCII-compatible or unknown to the runtime.
 */
export function resolveCharset(name: string | undefined): string {
  const trimmed = (name ?? '').trim();
  if (trimmed === '') return 'utf-8';
  const upper = trimmed.toUpperCase();
  const mapped = HL7_CHARSETS[upper];
  if (mapped) return mapped;
  if (UNSUPPORTED.has(upper)) throw new NotSupportedError(`HL7 character set '${trimmed}' is not ASCII-compatible and is not supported`);
  const lower = trimmed.toLowerCase();
  if (lower === 'latin1' || lower === 'iso-8859-1' || lower === 'iso8859-1') return 'latin1';
  if (lower === 'ascii' || lower === 'us-ascii') return 'ascii';
  try {
    return new TextDecoder(lower).encoding;
  } catch (cause) {
    throw new NotSupportedError(`unknown character set '${trimmed}'`, { cause });
  }
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Index of the first byte that starts an invalid UTF-8 sequence, or -1. Only used to locate errors. */
export function firstInvalidUtf8(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    if (i + need >= end) return i; // truncated sequence
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k]!;
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/**
 * Decodes `bytes[start, end)` in `encoding` (as returned by {@link resolveCharset}). Invalid UTF-8
 * is an error naming the byte offset (relative to `offsetBase`), never silently replaced.
 */
export function decodeBytes(bytes: Uint8Array, start: number, end: number, encoding: string, offsetBase = 0): string {
  const view = bytes.subarray(start, end);
  if (encoding === 'latin1' || encoding === 'ascii') {
    if (encoding === 'ascii') {
      for (let i = 0; i < view.length; i++) {
        if (view[i]! > 0x7f) {
          throw new Hl7ParseError('ERR_HL7_CHARSET', `byte 0x${view[i]!.toString(16)} is not ASCII, as MSH-18 declares`, { byteOffset: offsetBase + start + i });
        }
      }
    }
    return latin1Decode(view);
  }
  if (encoding === 'utf-8') {
    try {
      return utf8Fatal.decode(view);
    } catch {
      const at = firstInvalidUtf8(bytes, start, end);
      throw new Hl7ParseError('ERR_HL7_CHARSET', 'invalid UTF-8 (declare the real character set in MSH-18)', { byteOffset: offsetBase + (at < 0 ? start : at) });
    }
  }
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(view);
  } catch (cause) {
    if (cause instanceof RangeError) throw new NotSupportedError(`this runtime cannot decode '${encoding}'`, { cause });
    throw new Hl7ParseError('ERR_HL7_CHARSET', `bytes invalid in ${encoding}`, { byteOffset: offsetBase + start }, { cause });
  }
}

function latin1Decode(view: Uint8Array): string {
  // String.fromCharCode over chunks: a spread of millions of arguments would overflow the stack.
  let out = '';
  for (let i = 0; i < view.length; i += 0x8000) {
    out += String.fromCharCode.apply(null, view.subarray(i, i + 0x8000) as unknown as number[]);
  }
  return out;
}

const utf8Encoder = new TextEncoder();

/** Encodes text in `encoding`; only UTF-8, ISO-8859-1 and ASCII can be written (the platform has no other encoders). */
export function encodeText(text: string, encoding: string): Uint8Array {
  if (encoding === 'utf-8') return utf8Encoder.encode(text);
  if (encoding === 'latin1' || encoding === 'ascii') {
    const limit = encoding === 'ascii' ? 0x7f : 0xff;
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > limit) throw new RangeError(`character U+${c.toString(16).padStart(4, '0')} at ${i} cannot be written in ${encoding}`);
      out[i] = c;
    }
    return out;
  }
  throw new NotSupportedError(`writing ${encoding} is not supported; only UTF-8, ISO-8859-1 and ASCII can be written`);
}

/** Number of bytes `text[from, to)` takes in UTF-8, without allocating. */
export function utf8Length(text: string, from = 0, to = text.length): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < to) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/** Bytes `text[from, to)` takes in `encoding`, or undefined for multi-byte encodings other than UTF-8. */
export function encodedLength(text: string, from: number, to: number, encoding: string): number | undefined {
  if (encoding === 'utf-8') return utf8Length(text, from, to);
  if (encoding === 'latin1' || encoding === 'ascii' || encoding.startsWith('iso-8859') || encoding.startsWith('windows-')) return to - from;
  return undefined;
}
