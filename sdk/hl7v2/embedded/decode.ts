import { SealpostError } from '../../errors.js';

// Byte-level decoders for ED (encapsulated data) payloads. They read straight from the message's
// string (or from bytes, for MIME bodies) into one preallocated Uint8Array: a 10 MB PDF is never
// copied into an intermediate binary string or array of chunks.

const SKIP = 254;
const PAD = 253;
const BAD = 255;

/** base64 and base64url alphabets; whitespace is skipped (senders wrap lines), '=' is padding. */
const BASE64 = (() => {
  const table = new Uint8Array(256).fill(BAD);
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
  let length = 0;
  let quantum = 0;
  let count = 0;
  let position = 0;
  const flush = (): void => {
    if (count === 1) throw invalid(context, 'base64 quantum with a single character', position);
    if (count === 2) out[length++] = (quantum >> 4) & 0xff;
    else if (count === 3) {
      out[length++] = (quantum >> 10) & 0xff;
      out[length++] = (quantum >> 2) & 0xff;
    }
    quantum = 0;
    count = 0;
  };
  for (const part of parts) {
    const n = part.length;
    for (let i = 0; i < n; i++, position++) {
      const c = codeAt(part, i);
      const v = c < 256 ? (BASE64[c] as number) : BAD;
      if (v < 64) {
        quantum = (quantum << 6) | v;
        if (++count === 4) {
          out[length++] = (quantum >> 16) & 0xff;
          out[length++] = (quantum >> 8) & 0xff;
          out[length++] = quantum & 0xff;
          quantum = 0;
          count = 0;
        }
      } else if (v === SKIP) {
        continue;
      } else if (v === PAD) {
        flush();
      } else {
        throw invalid(context, `invalid base64 character ${JSON.stringify(String.fromCharCode(c))}`, position);
      }
    }
  }
  flush();
  return out.subarray(0, length);
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
