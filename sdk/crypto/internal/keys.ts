/**
 * Turning PKCS#8 private keys into the pair of non-extractable WebCrypto keys an identity uses:
 * one key for signing (ECDSA or RSASSA-PKCS1-v1_5) and one for opening (ECDH or RSA-OAEP). The
 * same key material serves both, as in the usual S/MIME certificate with digitalSignature plus
 * keyAgreement / keyEncipherment.
 */
import { CryptoError } from '../errors.js';
import { bs } from './bytes.js';
import { children, expectTag, readOid, readRoot } from './der.js';
import type { KeyKind } from './cert.js';
import { subtle } from './subtle.js';

export interface KeyPairForIdentity {
  signingKey: CryptoKey;
  decryptionKey: CryptoKey;
  kind: KeyKind;
}

/** The key algorithm of a PKCS#8 PrivateKeyInfo. */
export function pkcs8Kind(pkcs8: Uint8Array): KeyKind {
  try {
    const fields = children(expectTag(readRoot(pkcs8, 'PrivateKeyInfo'), 0x30, 'PrivateKeyInfo'), 'PrivateKeyInfo');
    const algorithm = readOid(children(expectTag(fields[1], 0x30, 'privateKeyAlgorithm'), 'privateKeyAlgorithm')[0], 'privateKeyAlgorithm');
    if (algorithm === '1.2.840.10045.2.1') return 'ec';
    if (algorithm === '1.2.840.113549.1.1.1') return 'rsa';
    throw new CryptoError('ERR_CRYPTO_KEY_MALFORMED', `unsupported private key algorithm ${algorithm}`);
  } catch (error) {
    if (error instanceof CryptoError) throw error;
    throw new CryptoError('ERR_CRYPTO_KEY_MALFORMED', 'not a PKCS#8 private key', { cause: error });
  }
}

/** Imports a PKCS#8 key as a non-extractable signing key and a non-extractable decryption key. */
export async function importIdentityKeys(pkcs8: Uint8Array, extractable = false): Promise<KeyPairForIdentity> {
  const kind = pkcs8Kind(pkcs8);
  const data = bs(pkcs8);
  try {
    if (kind === 'ec') {
      return {
        kind,
        signingKey: await subtle().importKey('pkcs8', data, { name: 'ECDSA', namedCurve: 'P-256' }, extractable, ['sign']),
        decryptionKey: await subtle().importKey('pkcs8', data, { name: 'ECDH', namedCurve: 'P-256' }, extractable, ['deriveBits']),
      };
    }
    return {
      kind,
      signingKey: await subtle().importKey('pkcs8', data, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, extractable, ['sign']),
      decryptionKey: await subtle().importKey('pkcs8', data, { name: 'RSA-OAEP', hash: 'SHA-256' }, extractable, ['decrypt']),
    };
  } catch (error) {
    throw new CryptoError('ERR_CRYPTO_KEY_MALFORMED', `the ${kind.toUpperCase()} private key could not be imported (only P-256 and RSA are supported)`, { cause: error });
  }
}
