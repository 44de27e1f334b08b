import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CryptoError, fromPem, toPem, unlockIdentity } from '@sealpost/sdk/crypto';
import type { Identity, KeyStore, StoredIdentity } from '@sealpost/sdk/crypto';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

async function writePrivate(path: string, data: string): Promise<void> {
  // Write under a temporary name with mode 0600 from the start, then rename: never a moment
  // where the key file exists with wider permissions or half written.
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, data, { mode: 0o600, flag: 'w' });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
}

/**
 * Writes an identity directory: `cert.pem` (the certificate, usable by OpenSSL as is),
 * `chain.pem` (issuing certificates, if any) and `key.pem` (PKCS#8 ENCRYPTED PRIVATE KEY, PBES2,
 * mode 0600, readable by `openssl pkey -passin`). The directory is created with mode 0700.
 */
export async function writeIdentityDir(dir: string, stored: StoredIdentity): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writePrivate(join(dir, 'key.pem'), toPem(stored.encryptedKey, 'ENCRYPTED PRIVATE KEY'));
  await writeFile(join(dir, 'cert.pem'), toPem(stored.certificate, 'CERTIFICATE'));
  if (stored.chain.length > 0) await writeFile(join(dir, 'chain.pem'), stored.chain.map((c) => toPem(c, 'CERTIFICATE')).join(''));
  else await rm(join(dir, 'chain.pem'), { force: true });
}

/** Reads an identity directory written by {@link writeIdentityDir}. Throws `ERR_CRYPTO_KEY_NOT_FOUND`. */
export async function readIdentityDir(dir: string): Promise<StoredIdentity> {
  let certPem: string;
  let keyPem: string;
  try {
    [certPem, keyPem] = await Promise.all([readFile(join(dir, 'cert.pem'), 'utf8'), readFile(join(dir, 'key.pem'), 'utf8')]);
  } catch (error) {
    throw new CryptoError('ERR_CRYPTO_KEY_NOT_FOUND', `no identity in ${dir} (cert.pem and key.pem expected)`, { cause: error });
  }
  const chainPem = await readFile(join(dir, 'chain.pem'), 'utf8').catch(() => '');
  return {
    certificate: fromPem(certPem, 'CERTIFICATE')[0] as Uint8Array,
    chain: chainPem ? fromPem(chainPem, 'CERTIFICATE') : [],
    encryptedKey: fromPem(keyPem, 'ENCRYPTED PRIVATE KEY')[0] as Uint8Array,
  };
}

/**
 * A {@link KeyStore} on the file system for Node: one identity directory per name under `root`
 * (see {@link writeIdentityDir}); the key is only ever on disk encrypted, mode 0600.
 */
export class FileKeyStore implements KeyStore {
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
  }

  #dir(name: string): string {
    if (!NAME.test(name)) throw new TypeError(`FileKeyStore: invalid identity name '${name}'`);
    return join(this.#root, name);
  }

  async put(name: string, stored: StoredIdentity): Promise<void> {
    await mkdir(this.#root, { recursive: true, mode: 0o700 });
    await writeIdentityDir(this.#dir(name), stored);
  }

  async get(name: string, options: { passphrase?: string } = {}): Promise<Identity> {
    if (options.passphrase === undefined) throw new TypeError('FileKeyStore.get: the passphrase is required');
    return unlockIdentity(await readIdentityDir(this.#dir(name)), options.passphrase);
  }

  exportBackup(name: string): Promise<StoredIdentity> {
    return readIdentityDir(this.#dir(name));
  }

  async list(): Promise<string[]> {
    const entries = await readdir(this.#root, { withFileTypes: true }).catch(() => []);
    const names: string[] = [];
    for (const entry of entries) {
      if (entry.isDirectory() && NAME.test(entry.name) && (await stat(join(this.#root, entry.name, 'key.pem')).catch(() => undefined))) names.push(entry.name);
    }
    return names.sort();
  }

  async delete(name: string): Promise<boolean> {
    const dir = this.#dir(name);
    const existed = (await stat(dir).catch(() => undefined)) !== undefined;
    await rm(dir, { recursive: true, force: true });
    return existed;
  }
}
