import type { Identity } from './identity.js';
import { identityFromPkcs8 } from './identity.js';
import { decryptPkcs8 } from './internal/pbes2.js';

/** An identity as key stores keep it: certificates in the clear, the private key encrypted. */
export interface StoredIdentity {
  /** DER certificate. */
  certificate: Uint8Array;
  /** DER issuing certificates, nearest first. */
  chain: Uint8Array[];
  /** PKCS#8 EncryptedPrivateKeyInfo (PBES2), as `exportEncryptedKey` writes it and `openssl pkey` reads it. */
  encryptedKey: Uint8Array;
}

/**
 * Decrypts a stored identity's key with `passphrase` and imports it non-extractable.
 * Throws `ERR_CRYPTO_KEY_PASSPHRASE` for a wrong passphrase, `ERR_CRYPTO_KEY_MISMATCH` when the
 * key does not belong to the certificate, `ERR_CRYPTO_KEY_MALFORMED` for an unreadable key.
 */
export async function unlockIdentity(stored: StoredIdentity, passphrase: string): Promise<Identity> {
  const pkcs8 = await decryptPkcs8(stored.encryptedKey, new TextEncoder().encode(passphrase));
  return identityFromPkcs8(stored.certificate, pkcs8, stored.chain);
}
