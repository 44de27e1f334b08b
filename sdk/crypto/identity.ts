import { certInfo } from './internal/cert.js';
import { importIdentityKeys } from './internal/keys.js';
import { CryptoError } from './errors.js';
import { bs, equalBytes } from './internal/bytes.js';
import { subtle } from './internal/subtle.js';

/**
 * A Sealpost identity: an X.509 certificate and its private key, held as two non-extractable
 * WebCrypto keys (one signs, one opens envelopes). `chain` holds the issuing certificates (DER),
 * leaf first excluded, so that signers can include them in SignedData.
 */
export interface Identity {
  /** The identity's certificate (DER). */
  certificate: Uint8Array;
  /** Intermediate and CA certificates above it (DER), nearest first. May be empty. */
  chain: Uint8Array[];
  /** ECDSA P-256 or RSASSA-PKCS1-v1_5 SHA-256 key with usage `sign`. */
  signingKey: CryptoKey;
  /** ECDH P-256 (`deriveBits`) or RSA-OAEP SHA-256 (`decrypt`) key. */
  decryptionKey: CryptoKey;
}

/**
 * Builds an {@link Identity} from a certificate and its PKCS#8 private key. The keys are imported
 * non-extractable. Throws `ERR_CRYPTO_KEY_MISMATCH` when the key does not belong to the
 * certificate, `ERR_CRYPTO_KEY_MALFORMED` / `ERR_CRYPTO_CERT_MALFORMED` for unreadable input.
 */
export async function identityFromPkcs8(certificate: Uint8Array, pkcs8: Uint8Array, chain: Uint8Array[] = []): Promise<Identity> {
  const info = certInfo(certificate);
  const extractable = await importIdentityKeys(pkcs8, true);
  if (extractable.kind !== info.kind) throw new CryptoError('ERR_CRYPTO_KEY_MISMATCH', `the private key is ${extractable.kind.toUpperCase()} but '${info.subject}' has an ${info.kind.toUpperCase()} key`);
  // Compare public halves: derive the public key from the private one through JWK (WebCrypto has no direct call).
  const jwk = await subtle().exportKey('jwk', extractable.signingKey);
  const publicJwk = info.kind === 'ec' ? { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y } : { kty: 'RSA', n: jwk.n, e: jwk.e };
  const params = info.kind === 'ec' ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const publicKey = await subtle().importKey('jwk', publicJwk, params, true, ['verify']);
  const spki = new Uint8Array(await subtle().exportKey('spki', publicKey));
  const certKey = await subtle().importKey('spki', bs(info.spki), params, true, ['verify']);
  if (!equalBytes(spki, new Uint8Array(await subtle().exportKey('spki', certKey)))) {
    throw new CryptoError('ERR_CRYPTO_KEY_MISMATCH', `the private key does not belong to '${info.subject}'`);
  }
  const keys = await importIdentityKeys(pkcs8, false);
  return { certificate, chain, signingKey: keys.signingKey, decryptionKey: keys.decryptionKey };
}
