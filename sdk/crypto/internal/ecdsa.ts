/**
 * WebCrypto's ECDSA uses the IEEE P1363 signature form (r || s, fixed width); X.509 and CMS use
 * the DER `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` (RFC 5480 §2.2.3 via RFC 3279).
 */
import { EnvelopeError } from '../errors.js';
import { children, expectTag, integer, readRoot, sequence } from './der.js';

/** P1363 (r || s) to DER. */
export function p1363ToDer(signature: Uint8Array): Uint8Array {
  const half = signature.length / 2;
  return sequence(integer(signature.subarray(0, half)), integer(signature.subarray(half)));
}

/** DER to P1363 for a curve whose field is `size` bytes. Throws `ERR_ENVELOPE_SIGNATURE` if malformed. */
export function derToP1363(der: Uint8Array, size: number): Uint8Array {
  try {
    const strict = { maxDepth: 1, strictDer: true };
    const parts = children(expectTag(readRoot(der, 'ECDSA-Sig-Value', strict), 0x30, 'ECDSA-Sig-Value'), 'ECDSA-Sig-Value', strict);
    if (parts.length !== 2) throw new Error('ECDSA-Sig-Value must have exactly two integers');
    const [r, s] = parts;
    const out = new Uint8Array(size * 2);
    for (const [index, part] of [expectTag(r, 0x02, 'r'), expectTag(s, 0x02, 's')].entries()) {
      let value = part.value;
      // DER integers are minimal: at most one leading zero, and only before a high bit.
      if (value.length > 1 && value[0] === 0 && ((value[1] as number) & 0x80) === 0) throw new Error('non-minimal integer');
      if (((value[0] as number) & 0x80) !== 0) throw new Error('negative integer');
      if (value[0] === 0 && value.length > 1) value = value.subarray(1);
      if (value.length > size) throw new Error('integer too large');
      out.set(value, index * size + size - value.length);
    }
    return out;
  } catch (error) {
    throw new EnvelopeError('signature', 'malformed ECDSA signature', { cause: error });
  }
}
