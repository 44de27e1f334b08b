// Shared by the builders and buildAck; not exported from the package.

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/**
 * Formats a DTM (HL7 v2.5.1 §2.A.22) `YYYYMMDDHHMMSS±ZZZZ` in the local time of the runtime, with
 * its UTC offset, so a receiver can always convert it back to an instant.
 */
export function formatHl7Timestamp(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('invalid Date');
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return (
    `${pad(date.getFullYear(), 4)}${pad(date.getMonth() + 1)}${pad(date.getDate())}` +
    `${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`
  );
}

/** A new MSH-10: 20 upper-case hex characters from WebCrypto (fits the 20-character ST limit of v2.4). */
export function newControlId(): string {
  const bytes = new Uint8Array(10);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The two base64 characters of every 12-bit value, so each 3-byte group costs two lookups. */
let pairs: Uint8Array | undefined;

function pairTable(): Uint8Array {
  if (!pairs) {
    pairs = new Uint8Array(4096 * 2);
    for (let i = 0; i < 4096; i++) {
      pairs[i * 2] = ALPHABET.charCodeAt(i >> 6);
      pairs[i * 2 + 1] = ALPHABET.charCodeAt(i & 63);
    }
  }
  return pairs;
}

/**
 * Base64 of `bytes`, written as ASCII codes into one buffer and decoded once: no per-chunk string
 * concatenation, so a 10 MB document costs one 13 MB string.
 */
export function encodeBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  const table = pairTable();
  let o = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    const hi = (n >> 12) << 1;
    const lo = (n & 4095) << 1;
    out[o++] = table[hi] as number;
    out[o++] = table[hi + 1] as number;
    out[o++] = table[lo] as number;
    out[o++] = table[lo + 1] as number;
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = ((bytes[i] as number) << 16) | (rest === 2 ? (bytes[i + 1] as number) << 8 : 0);
    out[o++] = ALPHABET.charCodeAt(n >> 18);
    out[o++] = ALPHABET.charCodeAt((n >> 12) & 63);
    out[o++] = rest === 2 ? ALPHABET.charCodeAt((n >> 6) & 63) : 0x3d;
    out[o++] = 0x3d;
  }
  return new TextDecoder().decode(out);
}

/** DT `YYYYMMDD` from a Date (local calendar date) or a string already in HL7 form. */
export function formatHl7Date(date: Date | string): string {
  if (typeof date === 'string') return date;
  return `${pad(date.getFullYear(), 4)}${pad(date.getMonth() + 1)}${pad(date.getDate())}`;
}
