/** base64 / base64url without Buffer (isomorphic). */
import { subtle } from '../../crypto/internal/subtle.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function toBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  if (i < bytes.length) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + (i + 1 < bytes.length ? ALPHABET[(n >> 6) & 63]! : '=') + '=';
  }
  return out;
}

export const toBase64Url = (bytes: Uint8Array): string => toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** `sha-256=:BASE64:` (RFC 9530) of `bytes`, with WebCrypto. */
export async function contentDigest(bytes: Uint8Array): Promise<string> {
  return `sha-256=:${toBase64(new Uint8Array(await subtle().digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)))}:`;
}

/** Character code → 6-bit value for both alphabets (`+/` and `-_`); -1 elsewhere. */
const DECODE = ((): Int8Array => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < 64; i++) table[ALPHABET.charCodeAt(i)] = i;
  table[45] = 62; // '-'
  table[95] = 63; // '_'
  return table;
})();

const sextet = (code: number): number => (code < 128 ? DECODE[code]! : -1);

/**
 * Decodes base64 or base64url (padding optional); throws TypeError on other characters. A table
 * lookup per character: inbox pages carry megabytes of envelopes in this form.
 */
export function fromBase64Url(text: string): Uint8Array {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61) end--; // trailing '='
  if (end % 4 === 1) throw new TypeError('not base64url');
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let at = 0;
  let i = 0;
  for (; i + 4 <= end; i += 4) {
    const a = sextet(text.charCodeAt(i));
    const b = sextet(text.charCodeAt(i + 1));
    const c = sextet(text.charCodeAt(i + 2));
    const d = sextet(text.charCodeAt(i + 3));
    if ((a | b | c | d) < 0) throw new TypeError('not base64url');
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[at++] = n >> 16;
    out[at++] = (n >> 8) & 0xff;
    out[at++] = n & 0xff;
  }
  if (i < end) {
    const a = sextet(text.charCodeAt(i));
    const b = sextet(text.charCodeAt(i + 1));
    const c = i + 2 < end ? sextet(text.charCodeAt(i + 2)) : 0;
    if ((a | b | c) < 0) throw new TypeError('not base64url');
    const n = (a << 18) | (b << 12) | (c << 6);
    out[at++] = n >> 16;
    if (i + 2 < end) out[at++] = (n >> 8) & 0xff;
  }
  return out;
}
