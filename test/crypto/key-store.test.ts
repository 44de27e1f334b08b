import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FileKeyStore } from '@sealpost/sdk/node';
import { IndexedDbKeyStore } from '@sealpost/sdk/crypto';
import { AT, makePki } from './pki.js';
import type { TestPki } from './pki.js';
import { openssl, tempDir } from './helpers.js';

describe('FileKeyStore', () => {
  let pki: TestPki;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    pki = await makePki();
    tmp = await tempDir();
  });
  afterAll(() => tmp.cleanup());

  it('stores the key encrypted with mode 0600, loads it with the passphrase, and OpenSSL reads the files', async () => {
    const store = new FileKeyStore(join(tmp.dir, 'keys'));
    await store.put('jane', { certificate: pki.jane.identity.certificate, chain: pki.jane.identity.chain, encryptedKey: await pki.jane.exportEncryptedKey('s3cret', { iterations: 1000 }) });
    expect(await store.list()).toEqual(['jane']);
    const keyFile = join(tmp.dir, 'keys', 'jane', 'key.pem');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect((await stat(join(tmp.dir, 'keys', 'jane'))).mode & 0o777).toBe(0o700);
    const identity = await store.get('jane', { passphrase: 's3cret' });
    expect(identity.certificate).toEqual(pki.jane.identity.certificate);
    expect(identity.signingKey.extractable).toBe(false);
    await expect(store.get('jane', { passphrase: 'nope' })).rejects.toMatchObject({ code: 'ERR_CRYPTO_KEY_PASSPHRASE' });
    await expect(store.get('nobody', { passphrase: 'x' })).rejects.toMatchObject({ code: 'ERR_CRYPTO_KEY_NOT_FOUND' });
    await expect(openssl(['pkey', '-in', keyFile, '-passin', 'pass:s3cret', '-noout'])).resolves.toBeDefined();
    const verify = await openssl(['verify', '-CAfile', join(tmp.dir, 'keys', 'jane', 'chain.pem'), '-attime', String(AT.getTime() / 1000), join(tmp.dir, 'keys', 'jane', 'cert.pem')]);
    expect(verify.toString()).toContain('OK');
    expect(await store.delete('jane')).toBe(true);
    expect(await store.list()).toEqual([]);
    await expect(store.get('../etc', { passphrase: 'x' })).rejects.toThrow(TypeError);
  });

  it('IndexedDbKeyStore reports NotSupported without IndexedDB (its browser behaviour is tested in suite.browser.test.ts)', async () => {
    await expect(new IndexedDbKeyStore().list()).rejects.toMatchObject({ code: 'ERR_NOT_SUPPORTED' });
  });
});
