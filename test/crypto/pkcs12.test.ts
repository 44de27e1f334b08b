import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { importPkcs12, MemorySeenStore, openEnvelope, sealEnvelope, unlockIdentity } from '@sealpost/sdk/crypto';
import { AT, makePki } from './pki.js';
import type { TestPki } from './pki.js';
import { openssl, tempDir } from './helpers.js';

describe('PKCS#12 import', () => {
  let pki: TestPki;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let cert: string;
  let key: string;
  let ca: string;
  beforeAll(async () => {
    pki = await makePki();
    tmp = await tempDir();
    cert = await tmp.write('bob.pem', pki.certPem(pki.bob));
    key = await tmp.write('bob.key', await pki.keyPem(pki.bob));
    ca = await tmp.write('ca.pem', pki.certPem(pki.ca));
  });
  afterAll(() => tmp.cleanup());

  for (const [label, extra] of [['OpenSSL 3 default (PBES2/AES-256-CBC, HMAC-SHA-256)', []], ['with the CA certificate and SHA-512 MAC', ['-certfile', 'CA', '-macalg', 'sha512']]] as const) {
    it(`imports ${label} and the identity opens envelopes`, async () => {
      const args = extra.map((a) => (a === 'CA' ? ca : a));
      await openssl(['pkcs12', '-export', '-in', cert, '-inkey', key, '-passin', 'pass:pw', '-out', tmp.file('bob.p12'), '-passout', 'pass:p12 secret', ...args]);
      const file = new Uint8Array(await readFile(tmp.file('bob.p12')));
      const imported = await importPkcs12(file, 'p12 secret');
      expect(imported.identity.certificate).toEqual(pki.bob.identity.certificate);
      expect(imported.identity.chain.length).toBe(args.length > 0 ? 1 : 0);
      expect(imported.identity.signingKey.extractable).toBe(false);
      const { envelope } = await sealEnvelope(new TextEncoder().encode('to bob'), { sender: pki.jane.identity, recipients: [pki.bob.identity.certificate], now: AT });
      const opened = await openEnvelope(envelope, { identity: imported.identity, trust: pki.trust, at: AT, seenStore: new MemorySeenStore() });
      expect(new TextDecoder().decode(opened.payload)).toBe('to bob');
      const again = await unlockIdentity({ certificate: imported.identity.certificate, chain: [], encryptedKey: await imported.exportEncryptedKey('new pass', { iterations: 1000 }) }, 'new pass');
      expect(again.decryptionKey.algorithm.name).toBe('RSA-OAEP');
    });
  }

  it('a wrong password fails the integrity check', async () => {
    await openssl(['pkcs12', '-export', '-in', cert, '-inkey', key, '-passin', 'pass:pw', '-out', tmp.file('w.p12'), '-passout', 'pass:right']);
    await expect(importPkcs12(new Uint8Array(await readFile(tmp.file('w.p12'))), 'wrong')).rejects.toMatchObject({ code: 'ERR_CRYPTO_PKCS12_INTEGRITY' });
  });

  it('a legacy 3DES/RC2 file fails with the re-export command', async () => {
    await openssl(['pkcs12', '-export', '-legacy', '-in', cert, '-inkey', key, '-passin', 'pass:pw', '-out', tmp.file('legacy.p12'), '-passout', 'pass:pw']);
    const error = await importPkcs12(new Uint8Array(await readFile(tmp.file('legacy.p12'))), 'pw').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_CRYPTO_PKCS12_LEGACY' });
    expect((error as Error).message).toContain('openssl pkcs12 -legacy -in old.p12 -nodes | openssl pkcs12 -export -out new.p12');
  });

  it('garbage is malformed', async () => {
    await expect(importPkcs12(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x03), 'x')).rejects.toMatchObject({ code: 'ERR_CRYPTO_PKCS12_MALFORMED' });
  });

  it('a wrong passphrase for a stored key is ERR_CRYPTO_KEY_PASSPHRASE', async () => {
    const encryptedKey = await pki.jane.exportEncryptedKey('right', { iterations: 1000 });
    await expect(unlockIdentity({ certificate: pki.jane.identity.certificate, chain: [], encryptedKey }, 'wrong')).rejects.toMatchObject({ code: 'ERR_CRYPTO_KEY_PASSPHRASE' });
  });
});
