/**
 * HL7 v2 escape handling for the peers that have none (HL7 v2.5.1 chapter 2, §2.7), written the
 * way an application using those libraries would have to write it. The bench applies it to every
 * leaf a peer returns, so every library delivers the same decoded text and does the same work.
 * It assumes the default delimiters `|^~\&`, as the bench inputs use.
 */

const decodeTable: Record<string, string> = { F: '|', S: '^', T: '&', R: '~', E: '\\', '.br': '\n', H: '', N: '' };

/** Decodes `\F\ \S\ \T\ \R\ \E\ \.br\ \Xhh…\`; drops highlighting `\H\ \N\`; keeps unknown sequences. */
export function unescapeLeaf(raw: string): string {
  let at = raw.indexOf('\\');
  if (at < 0) return raw;
  let out = '';
  let from = 0;
  while (at >= 0) {
    const close = raw.indexOf('\\', at + 1);
    if (close < 0) break;
    const name = raw.slice(at + 1, close);
    let decoded = decodeTable[name];
    if (decoded === undefined && /^X(?:[0-9A-Fa-f]{2})+$/.test(name)) {
      const bytes = new Uint8Array((name.length - 1) / 2);
      for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(name.slice(1 + 2 * i, 3 + 2 * i), 16);
      decoded = new TextDecoder().decode(bytes);
    }
    if (decoded === undefined) {
      out += raw.slice(from, close);
      from = close;
      at = close;
      continue;
    }
    out += raw.slice(from, at) + decoded;
    from = close + 1;
    at = raw.indexOf('\\', from);
  }
  return out + raw.slice(from);
}

/** Encodes plain text for a leaf; used by the generator so the inputs carry real escapes. */
export function escapeLeaf(plain: string): string {
  return plain.replace(/[\\|^&~\n]/g, (c) => (c === '\\' ? '\\E\\' : c === '|' ? '\\F\\' : c === '^' ? '\\S\\' : c === '&' ? '\\T\\' : c === '~' ? '\\R\\' : '\\.br\\'));
}
