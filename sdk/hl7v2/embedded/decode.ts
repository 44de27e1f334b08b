import { SealpostError } from '../../errors.js';

// Byte-level decoders for ED (encapsulated data) payloads. They read straight from the message's
// string (or from bytes, for MIME bodies) into one preallocated Uint8Array: a 10 MB PDF is never
// copied into an intermediate binary string or array of chunks.

const SKIP = 254;
const PAD = 253;
const BAD = 255;

/**
 * base64 and base64url alphabets over every UTF-16 code unit (so a lookup never needs a range
 * check); whitespace is skipped (senders wrap lines), '=' is padding, anything else is invalid.
 */
const BASE64 = (() => {
  const table = new Uint8Array(65536).fill(BAD);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < 64; i++) table[alphabet.charCodeAt(i)] = i;
  table[0x2d] = 62; // '-' (base64url)
  table[0x5f] = 63; // '_' (base64url)
  for (const c of [0x20, 0x09, 0x0a, 0x0d, 0x0b, 0x0c]) table[c] = SKIP;
  table[0x3d] = PAD;
  return table;
})();

const HEX = (() => {
  const table = new Uint8Array(256).fill(BAD);
  for (let i = 0; i < 10; i++) table[0x30 + i] = i;
  for (let i = 0; i < 6; i++) {
    table[0x41 + i] = 10 + i;
    table[0x61 + i] = 10 + i;
  }
  for (const c of [0x20, 0x09, 0x0a, 0x0d]) table[c] = SKIP;
  return table;
})();

/** Where a decoding failure happened, for the error message: the caller names the OBX. */
export interface DecodeContext {
  /** Prefix for error messages, e.g. `OBX 5 (segment 12)`. */
  where: string;
}

function invalid(context: DecodeContext, what: string, position: number): SealpostError {
  return new SealpostError('ERR_HL7_EMBEDDED', `${context.where}: ${what} at character ${position} of the encoded data`);
}

/** Anything indexable as character codes: the concatenated parts of a string, or bytes. */
type Source = string | Uint8Array;

function codeAt(source: Source, index: number): number {
  return typeof source === 'string' ? source.charCodeAt(index) : (source[index] as number);
}

/**
 * Decodes base64 held in one or more parts (a document split across several OBX segments) into
 * bytes. Padding may appear at the end of any part: some senders encode each chunk separately.
 * Throws `ERR_HL7_EMBEDDED` on a character outside the alphabet or a dangling single character.
 */
export function decodeBase64(parts: readonly Source[], context: DecodeContext): Uint8Array {
  let capacity = 0;
  for (const part of parts) capacity += part.length;
  const out = new Uint8Array(Math.floor((capacity * 3) / 4) + 3);
  const table = BASE64;
  let length = 0;
  let quantum = 0;
  let count = 0;
  let base = 0;
  for (const part of parts) {
    const n = part.length;
    const text = typeof part === 'string' ? part : undefined;
    let i = 0;
    while (i < n) {
      // Fast path: four alphabet characters on a quantum boundary (nearly all of a payload).
      if (count === 0 && i + 4 <= n) {
        let a: number, b: number, c: number, d: number;
        if (text !== undefined) {
          a = table[text.charCodeAt(i)] as number;
          b = table[text.charCodeAt(i + 1)] as number;
          c = table[text.charCodeAt(i + 2)] as number;
          d = table[text.charCodeAt(i + 3)] as number;
        } else {
          const bytes = part as Uint8Array;
          a = table[bytes[i] as number] as number;
          b = table[bytes[i + 1] as number] as number;
          c = table[bytes[i + 2] as number] as number;
          d = table[bytes[i + 3] as number] as number;
        }
        if ((a | b | c | d) < 64) {
          out[length++] = (a << 2) | (b >> 4);
          out[length++] = ((b & 15) << 4) | (c >> 2);
          out[length++] = ((c & 3) << 6) | d;
          i += 4;
          continue;
        }
      }
      const code = text !== undefined ? text.charCodeAt(i) : ((part as Uint8Array)[i] as number);
      const v = table[code] as number;
      if (v < 64) {
        quantum = (quantum << 6) | v;
        if (++count === 4) {
          out[length++] = (quantum >> 16) & 0xff;
          out[length++] = (quantum >> 8) & 0xff;
          out[length++] = quantum & 0xff;
          quantum = 0;
          count = 0;
        }
      } else if (v === PAD) {
        length = flushQuantum(out, length, quantum, count, context, base + i);
        quantum = 0;
        count = 0;
      } else if (v !== SKIP) {
        throw invalid(context, `invalid base64 character ${JSON.stringify(String.fromCharCode(code))}`, base + i);
      }
      i++;
    }
    base += n;
  }
  length = flushQuantum(out, length, quantum, count, context, base);
  return out.subarray(0, length);
}

/** Writes the bytes of a partial quantum (2 or 3 characters) and returns the new length. */
function flushQuantum(out: Uint8Array, length: number, quantum: number, count: number, context: DecodeContext, position: number): number {
  if (count === 1) throw invalid(context, 'base64 quantum with a single character', position);
  if (count === 2) out[length++] = (quantum >> 4) & 0xff;
  else if (count === 3) {
    out[length++] = (quantum >> 10) & 0xff;
    out[length++] = (quantum >> 2) & 0xff;
  }
  return length;
}

/** Decodes hexadecimal (ED encoding `Hex`) in one or more parts. Throws `ERR_HL7_EMBEDDED`. */
export function decodeHex(parts: readonly Source[], context: DecodeContext): Uint8Array {
  let capacity = 0;
  for (const part of parts) capacity += part.length;
  const out = new Uint8Array(Math.ceil(capacity / 2));
  let length = 0;
  let high = -1;
  let position = 0;
  for (const part of parts) {
    const n = part.length;
    for (let i = 0; i < n; i++, position++) {
      const c = codeAt(part, i);
      const v = c < 256 ? (HEX[c] as number) : BAD;
      if (v === SKIP) continue;
      if (v === BAD) throw invalid(context, `invalid hex character ${JSON.stringify(String.fromCharCode(c))}`, position);
      if (high < 0) high = v;
      else {
        out[length++] = (high << 4) | v;
        high = -1;
      }
    }
  }
  if (high >= 0) throw invalid(context, 'odd number of hex digits', position);
  return out.subarray(0, length);
}

/** Decodes a quoted-printable MIME body (RFC 2045 §6.7); soft line breaks are removed. */
export function decodeQuotedPrintable(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length);
  let length = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as number;
    if (c !== 0x3d) {
      out[length++] = c;
      continue;
    }
    const a = body[i + 1];
    const b = body[i + 2];
    if (a === 0x0d && b === 0x0a) i += 2;
    else if (a === 0x0a) i += 1;
    else if (a !== undefined && b !== undefined && (HEX[a] as number) < 16 && (HEX[b] as number) < 16) {
      out[length++] = ((HEX[a] as number) << 4) | (HEX[b] as number);
      i += 2;
    } else out[length++] = c;
  }
  return out.subarray(0, length);
}
