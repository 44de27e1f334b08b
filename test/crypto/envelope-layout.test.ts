import { beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { MemorySeenStore, openEnvelope, sealEnvelope } from '@sealpost/sdk/crypto';
import { readRoot } from '../../sdk/crypto/internal/der.js';
import { AT, makePki } from './pki.js';
import type { TestPki } from './pki.js';
import { openssl, sameBytes, tempDir } from './helpers.js';

/**
 * sealEnvelope plans the whole message before signing, with the longest signature the key can
 * make (sdk/crypto/internal/sign-and-encrypt.ts). The real ECDSA signature is 1–3 bytes shorter,
 * so near a DER length boundary (a length of 65 536 bytes needs one more length octet)
 * the content moves. Every size around those boundaries must still be one exact, openable DER
 * message.
 */
describe('one-pass layout across DER length boundaries', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await makePki();
  });

  // With this test PKI the message adds ~2.3 kB around the payload, and the lengths that include
  // the signature (SignedData, ciphertext, envelope) cross 65 536 for payloads near 63 240 and
  // 63 740: instrumenting the shift branch showed it taken at 63 233–63 256 and 63 711–63 782
  // (which sizes exactly depends on that seal's signature length). Every size in both windows.
  const windows: [number, number][] = [
    [63_180, 63_310],
    [63_680, 63_830],
  ];
  for (const [from, to] of windows) {
    it(`payload lengths ${from}…${to} open exactly (odd sizes with 7 bytes of padding)`, async () => {
      for (let size = from; size <= to; size++) {
        const payload = new Uint8Array(size).fill(size & 0xff);
        const padding = size % 2 ? 7 : 0;
        const { envelope } = await sealEnvelope(payload, { sender: pki.jane.identity, recipients: [pki.carol.identity.certificate], now: AT, padding });
        // exactly one DER element, no trailing bytes (readRoot refuses them)
        expect(readRoot(envelope, 'envelope', { maxDepth: 32 }).raw.length).toBe(envelope.length);
        const opened = await openEnvelope(envelope, { identity: pki.carol.identity, trust: pki.trust, at: AT, seenStore: new MemorySeenStore({ now: () => AT }) });
        expect(sameBytes(opened.payload, payload), `size ${size}`).toBe(true);
        expect(opened.header?.padding).toBe(padding);
      }
    }, 300_000);
  }

  it('a padded message opens in openssl with the zero padding inside the signed content', async () => {
    const tmp = await tempDir();
    try {
      const payload = new Uint8Array(65_000).fill(0x5a);
      const { envelope } = await sealEnvelope(payload, { sender: pki.jane.identity, recipients: [pki.carol.identity.certificate], now: AT, padding: 600 });
      const sealed = await tmp.write('sealed.p7m', envelope);
      const carolCert = await tmp.write('carol.pem', pki.certPem(pki.carol));
      const carolKey = await tmp.write('carol.key', await pki.keyPem(pki.carol));
      const ca = await tmp.write('ca.pem', pki.certPem(pki.ca));
      await openssl(['cms', '-decrypt', '-inform', 'DER', '-in', sealed, '-recip', carolCert, '-inkey', carolKey, '-passin', 'pass:pw', '-binary', '-out', tmp.file('inner.der')]);
      await openssl(['cms', '-verify', '-inform', 'DER', '-in', tmp.file('inner.der'), '-CAfile', ca, '-binary', '-attime', String(AT.getTime() / 1000), '-out', tmp.file('content.bin')]);
      const content = new Uint8Array(await readFile(tmp.file('content.bin')));
      const expected = new Uint8Array(65_600);
      expected.set(payload);
      expect(sameBytes(content, expected)).toBe(true);
    } finally {
      await tmp.cleanup();
    }
  }, 60_000);
});
