import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { allocatePayload, MemorySeenStore, openEnvelope, sealEnvelope, MAX_PAYLOAD_BYTES } from '@sealpost/sdk/crypto';
import { AT, makePki } from './pki.js';
import type { TestPki } from './pki.js';
import { openssl, tempDir } from './helpers.js';

/** Deterministic, incompressible-looking payload (a cheap xorshift stream). */
function payloadOf(size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = 0x9e3779b9 ^ size;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// 20 MB is past asn1js's default 16 MiB limit; 64 MiB is the envelope maximum.
const SIZES: [string, number][] = [
  ['1 KB', 1024],
  ['1 MB', 1024 * 1024],
  ['20 MB', 20 * 1024 * 1024],
  ['64 MiB', MAX_PAYLOAD_BYTES],
];

describe('payload sizes against OpenSSL', () => {
  let pki: TestPki;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    pki = await makePki();
    tmp = await tempDir();
  });
  afterAll(() => tmp.cleanup());

  for (const [label, size] of SIZES) {
    it(`${label}: Sealpost → openssl cms -decrypt/-verify and openssl -sign/-encrypt → Sealpost`, async () => {
      const payload = payloadOf(size);
      const { envelope } = await sealEnvelope(payload, { sender: pki.jane.identity, recipients: [pki.bob.identity.certificate, pki.carol.identity.certificate], now: AT });
      const sealedFile = await tmp.write('sealed.p7m', envelope);
      const bobCert = await tmp.write('bob.pem', pki.certPem(pki.bob));
      const bobKey = await tmp.write('bob.key', await pki.keyPem(pki.bob));
      const ca = await tmp.write('ca.pem', pki.certPem(pki.ca));
      await openssl(['cms', '-decrypt', '-inform', 'DER', '-in', sealedFile, '-recip', bobCert, '-inkey', bobKey, '-passin', 'pass:pw', '-binary', '-out', tmp.file('inner.der')]);
      await openssl(['cms', '-verify', '-inform', 'DER', '-in', tmp.file('inner.der'), '-CAfile', ca, '-binary', '-attime', String(AT.getTime() / 1000), '-out', tmp.file('verified.bin')]);
      expect(same(new Uint8Array(await readFile(tmp.file('verified.bin'))), payload)).toBe(true);
      // and the ECDH recipient's copy, through OpenSSL as well
      const carolCert = await tmp.write('carol.pem', pki.certPem(pki.carol));
      const carolKey = await tmp.write('carol.key', await pki.keyPem(pki.carol));
      await openssl(['cms', '-decrypt', '-inform', 'DER', '-in', sealedFile, '-recip', carolCert, '-inkey', carolKey, '-passin', 'pass:pw', '-binary', '-out', tmp.file('inner-ec.der')]);
      await openssl(['cms', '-verify', '-inform', 'DER', '-in', tmp.file('inner-ec.der'), '-CAfile', ca, '-binary', '-attime', String(AT.getTime() / 1000), '-out', tmp.file('verified-ec.bin')]);
      expect(same(new Uint8Array(await readFile(tmp.file('verified-ec.bin'))), payload)).toBe(true);

      const opened = await openEnvelope(envelope, { identity: pki.carol.identity, trust: pki.trust, at: AT, seenStore: new MemorySeenStore({ now: () => AT }) });
      expect(same(opened.payload, payload)).toBe(true);

      const plain = await tmp.write('plain.bin', payload);
      const janeCert = await tmp.write('jane.pem', pki.certPem(pki.jane));
      const janeKey = await tmp.write('jane.key', await pki.keyPem(pki.jane));
      await openssl(['cms', '-sign', '-in', plain, '-signer', janeCert, '-inkey', janeKey, '-passin', 'pass:pw', '-binary', '-nodetach', '-outform', 'DER', '-md', 'sha256', '-out', tmp.file('signed.der')]);
      await openssl(['cms', '-encrypt', '-aes-256-gcm', '-binary', '-in', tmp.file('signed.der'), '-outform', 'DER', '-out', tmp.file('enc.p7m'), '-recip', bobCert, '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256', '-keyopt', 'rsa_mgf1_md:sha256', '-recip', carolCert, '-keyopt', 'ecdh_kdf_md:sha256']);
      const foreign = new Uint8Array(await readFile(tmp.file('enc.p7m')));
      for (const who of [pki.bob, pki.carol]) {
        const fromOpenssl = await openEnvelope(foreign, { identity: who.identity, trust: pki.trust, at: AT, interop: true });
        expect(same(fromOpenssl.payload, payload)).toBe(true);
      }
    }, 180_000);
  }

  // The same OpenSSL checks for a payload sealed in place (allocatePayload): the envelope is built
  // around the caller's bytes instead of in a buffer of its own, and must be the same kind of DER.
  for (const [label, size] of SIZES.slice(2)) {
    it(`${label} sealed in place → openssl cms -decrypt/-verify (RSA and EC recipients) and Sealpost`, async () => {
      const payload = payloadOf(size);
      const slot = allocatePayload(size);
      slot.set(payload);
      const { envelope } = await sealEnvelope(slot, { sender: pki.jane.identity, recipients: [pki.bob.identity.certificate, pki.carol.identity.certificate], now: AT });
      expect(envelope.buffer).toBe(slot.buffer);
      const sealedFile = await tmp.write('sealed-in-place.p7m', envelope);
      const ca = await tmp.write('ca.pem', pki.certPem(pki.ca));
      for (const who of [pki.bob, pki.carol]) {
        const cert = await tmp.write('recip.pem', pki.certPem(who));
        const key = await tmp.write('recip.key', await pki.keyPem(who));
        await openssl(['cms', '-decrypt', '-inform', 'DER', '-in', sealedFile, '-recip', cert, '-inkey', key, '-passin', 'pass:pw', '-binary', '-out', tmp.file('inner.der')]);
        await openssl(['cms', '-verify', '-inform', 'DER', '-in', tmp.file('inner.der'), '-CAfile', ca, '-binary', '-attime', String(AT.getTime() / 1000), '-out', tmp.file('verified.bin')]);
        expect(same(new Uint8Array(await readFile(tmp.file('verified.bin'))), payload)).toBe(true);
      }
      const opened = await openEnvelope(envelope, { identity: pki.carol.identity, trust: pki.trust, at: AT, seenStore: new MemorySeenStore({ now: () => AT }) });
      expect(same(opened.payload, payload)).toBe(true);
    }, 180_000);
  }

  it('refuses to seal more than 64 MiB', async () => {
    await expect(sealEnvelope(new Uint8Array(MAX_PAYLOAD_BYTES + 1), { sender: pki.jane.identity, recipients: [pki.bob.identity.certificate], now: AT })).rejects.toMatchObject({ code: 'ERR_ENVELOPE_TOO_LARGE' });
  });
});
