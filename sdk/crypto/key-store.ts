import type { Identity } from './identity.js';
import type { StoredIdentity } from './unlock-identity.js';

/**
 * Where identities live between runs. Implementations: `IndexedDbKeyStore` (browsers and MV3
 * service workers: non-extractable CryptoKeys, plus the passphrase-encrypted key as backup) and
 * `FileKeyStore` from `@sealpost/sdk/node` (an encrypted PKCS#8 file with mode 0600). A private
 * key never leaves a store unencrypted: `exportBackup` returns the encrypted form only.
 */
export interface KeyStore {
  /**
   * Stores an identity under `name` (replacing one of that name). Stores that keep live keys
   * (IndexedDB) need `passphrase` to decrypt `stored.encryptedKey` once and import it non-extractable.
   */
  put(name: string, stored: StoredIdentity, options?: { passphrase?: string }): Promise<void>;
  /**
   * Loads an identity. File stores need the passphrase; IndexedDB ignores it. Throws
   * `ERR_CRYPTO_KEY_NOT_FOUND`, `ERR_CRYPTO_KEY_PASSPHRASE`.
   */
  get(name: string, options?: { passphrase?: string }): Promise<Identity>;
  /** The stored identity with its key still encrypted (the PIN/passphrase-wrapped backup). */
  exportBackup(name: string): Promise<StoredIdentity>;
  list(): Promise<string[]>;
  /** Resolves true when something was deleted. */
  delete(name: string): Promise<boolean>;
}
