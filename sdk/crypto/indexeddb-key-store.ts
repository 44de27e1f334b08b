import { NotSupportedError } from '../errors.js';
import { CryptoError } from './errors.js';
import type { Identity } from './identity.js';
import type { KeyStore } from './key-store.js';
import { unlockIdentity } from './unlock-identity.js';
import type { StoredIdentity } from './unlock-identity.js';

interface Row {
  name: string;
  certificate: Uint8Array;
  chain: Uint8Array[];
  signingKey: CryptoKey;
  decryptionKey: CryptoKey;
  encryptedKey: Uint8Array;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

/**
 * A {@link KeyStore} in IndexedDB for browsers, extension pages and MV3 service workers (never
 * `storage.local`, design.md §9). Keys are stored as non-extractable CryptoKeys (IndexedDB keeps
 * CryptoKey objects by structured clone without exposing the key material); the encrypted PKCS#8
 * is kept next to them as the passphrase-wrapped backup.
 *
 * Tested in headless Chromium, in a page and in an MV3 service worker
 * (test/crypto/suite.browser.test.ts); not yet in Firefox. Throws NotSupportedError where
 * `indexedDB` is missing.
 */
export class IndexedDbKeyStore implements KeyStore {
  readonly #dbName: string;
  #db: Promise<IDBDatabase> | undefined;

  /** `dbName` default `sealpost-keys`. */
  constructor(options: { dbName?: string } = {}) {
    this.#dbName = options.dbName ?? 'sealpost-keys';
  }

  #open(): Promise<IDBDatabase> {
    if (typeof indexedDB === 'undefined') return Promise.reject(new NotSupportedError('IndexedDB is not available in this runtime'));
    this.#db ??= new Promise((resolve, reject) => {
      const req = indexedDB.open(this.#dbName, 1);
      req.onupgradeneeded = () => req.result.createObjectStore('identities', { keyPath: 'name' });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('IndexedDB open failed'));
    });
    return this.#db;
  }

  async #store(mode: IDBTransactionMode): Promise<IDBObjectStore> {
    return (await this.#open()).transaction('identities', mode).objectStore('identities');
  }

  async put(name: string, stored: StoredIdentity, options: { passphrase?: string } = {}): Promise<void> {
    if (options.passphrase === undefined) throw new TypeError('IndexedDbKeyStore.put: the passphrase is needed once to import the key non-extractable');
    const identity = await unlockIdentity(stored, options.passphrase);
    const row: Row = { name, certificate: stored.certificate, chain: stored.chain, signingKey: identity.signingKey, decryptionKey: identity.decryptionKey, encryptedKey: stored.encryptedKey };
    await request((await this.#store('readwrite')).put(row));
  }

  async #row(name: string): Promise<Row> {
    const row = (await request((await this.#store('readonly')).get(name))) as Row | undefined;
    if (!row) throw new CryptoError('ERR_CRYPTO_KEY_NOT_FOUND', `no identity '${name}' in the key store`);
    return row;
  }

  async get(name: string): Promise<Identity> {
    const row = await this.#row(name);
    return { certificate: row.certificate, chain: row.chain, signingKey: row.signingKey, decryptionKey: row.decryptionKey };
  }

  async exportBackup(name: string): Promise<StoredIdentity> {
    const row = await this.#row(name);
    return { certificate: row.certificate, chain: row.chain, encryptedKey: row.encryptedKey };
  }

  async list(): Promise<string[]> {
    return (await request((await this.#store('readonly')).getAllKeys())).map(String);
  }

  async delete(name: string): Promise<boolean> {
    const store = await this.#store('readwrite');
    const existing = await request(store.count(name));
    await request(store.delete(name));
    return existing > 0;
  }
}
