import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { createDevCa, generateIdentity, toPem, TrustStore, validateChain, ChainError, identityFromPkcs8 } from '@sealpost/sdk/crypto';
import type { GeneratedIdentity } from '@sealpost/sdk/crypto';
import { openssl, tempDir } from './helpers.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const at = new Date('2026-03-01T00:00:00Z');

describe('identities and chain validation', () => {
  let ca: GeneratedIdentity;
  let jane: GeneratedIdentity;
  let bob: GeneratedIdentity;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    ca = await createDevCa({ notBefore: T0 });
    jane = await generateIdentity({ name: 'Dr Jane Citizen', address: 'jane@gp.example', issuer: ca.identity, notBefore: T0 });
    bob = await generateIdentity({ name: 'Bob Rsa', address: 'bob@hosp.example', issuer: ca.identity, notBefore: T0, algorithm: 'RSA-2048' });
    tmp = await tempDir();
  });
  afterAll(() => tmp.cleanup());

  it('issues P-256 and RSA certificates that OpenSSL verifies for S/MIME signing', async () => {
    const caPem = await tmp.write('ca.pem', toPem(ca.identity.certificate, 'CERTIFICATE'));
    for (const [name, id] of [['jane', jane], ['bob', bob]] as const) {
      const leaf = await tmp.write(`${name}.pem`, toPem(id.identity.certificate, 'CERTIFICATE'));
      const out = await openssl(['verify', '-CAfile', caPem, '-purpose', 'smimesign', '-attime', String(at.getTime() / 1000), leaf]);
      expect(out.toString()).toContain(': OK');
      // OpenSSL's smimeencrypt purpose insists on keyEncipherment, which an EC key (keyAgreement) never has.
      if (name === 'bob') {
        const enc = await openssl(['verify', '-CAfile', caPem, '-purpose', 'smimeencrypt', '-attime', String(at.getTime() / 1000), leaf]);
        expect(enc.toString()).toContain(': OK');
      }
    }
    const text = (await openssl(['x509', '-in', tmp.file('jane.pem'), '-noout', '-text'])).toString();
    expect(text).toContain('ASN1 OID: prime256v1');
    expect(text).toContain('email:jane@gp.example');
    expect(text).toContain('E-mail Protection');
  });

  it('writes a CSR OpenSSL accepts', async () => {
    const csr = await tmp.write('jane.csr', toPem(jane.csr, 'CERTIFICATE REQUEST'));
    const out = await openssl(['req', '-in', csr, '-verify', '-noout']);
    expect(out.toString() + '').toBe('');
  });

  it('exports the key encrypted so that openssl pkey reads it, and re-imports it', async () => {
    const encrypted = await jane.exportEncryptedKey('correct horse', { iterations: 2000 });
    const keyPem = await tmp.write('jane.key', toPem(encrypted, 'ENCRYPTED PRIVATE KEY'));
    const pkcs8 = await openssl(['pkcs8', '-topk8', '-nocrypt', '-in', keyPem, '-passin', 'pass:correct horse', '-outform', 'DER']);
    const again = await identityFromPkcs8(jane.identity.certificate, new Uint8Array(pkcs8));
    expect(again.signingKey.extractable).toBe(false);
    await expect(identityFromPkcs8(bob.identity.certificate, new Uint8Array(pkcs8))).rejects.toMatchObject({ code: 'ERR_CRYPTO_KEY_MISMATCH' });
  });

  it('validates the chain at a pinned time and names what fails', async () => {
    const trust = new TrustStore().addAnchor(ca.identity.certificate);
    const path = await validateChain(jane.identity.certificate, trust, { at, intermediates: [] });
    expect(path).toHaveLength(2);
    await expect(validateChain(jane.identity.certificate, trust, { at: new Date('2027-06-01T00:00:00Z') })).rejects.toMatchObject({ code: 'ERR_CRYPTO_CHAIN_EXPIRED', subject: 'CN=Dr Jane Citizen, E=jane@gp.example' });
    await expect(validateChain(jane.identity.certificate, trust, { at: new Date('2025-06-01T00:00:00Z') })).rejects.toMatchObject({ code: 'ERR_CRYPTO_CHAIN_NOT_YET_VALID' });
    const other = await createDevCa({ notBefore: T0, name: 'Other CA' });
    await expect(validateChain(jane.identity.certificate, new TrustStore().addAnchor(other.identity.certificate), { at })).rejects.toBeInstanceOf(ChainError);
    await expect(validateChain(jane.identity.certificate, new TrustStore().addAnchor(other.identity.certificate), { at })).rejects.toMatchObject({ code: 'ERR_CRYPTO_CHAIN_UNTRUSTED' });
    // a CA certificate has no digitalSignature-for-S/MIME EKU problem but a leaf used to sign certificates is refused as issuer
    const fake = await generateIdentity({ name: 'Mallory', address: 'm@x.example', issuer: jane.identity, notBefore: T0 });
    await expect(validateChain(fake.identity.certificate, trust, { at, intermediates: [jane.identity.certificate] })).rejects.toMatchObject({ code: 'ERR_CRYPTO_CHAIN_KEY_USAGE' });
  });

  it('checks key usage of the end entity', async () => {
    const trust = new TrustStore().addAnchor(ca.identity.certificate);
    // The CA certificate has keyUsage keyCertSign|cRLSign|digitalSignature and no EKU: fine to sign, not to receive.
    await expect(validateChain(ca.identity.certificate, trust, { at, use: 'encrypt' })).rejects.toMatchObject({ code: 'ERR_CRYPTO_CHAIN_KEY_USAGE' });
    await expect(validateChain(bob.identity.certificate, trust, { at, use: 'encrypt' })).resolves.toHaveLength(2);
  });

  it('accepts pinned certificates without an anchor', async () => {
    const self = await generateIdentity({ name: 'Self', address: 'self@x.example', notBefore: T0 });
    const trust = await new TrustStore().addPinned(self.identity.certificate);
    await expect(validateChain(self.identity.certificate, trust, { at })).resolves.toHaveLength(1);
    await expect(validateChain(self.identity.certificate, new TrustStore(), { at })).rejects.toMatchObject({ code: 'ERR_CRYPTO_CHAIN_UNTRUSTED' });
  });
});
