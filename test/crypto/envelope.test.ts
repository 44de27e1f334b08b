import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySeenStore, openEnvelope, sealEnvelope } from '@sealpost/sdk/crypto';
import type { OpenOptions } from '@sealpost/sdk/crypto';
import { AT, makePki } from './pki.js';
import type { TestPki } from './pki.js';
import { openssl, sameBytes, tempDir } from './helpers.js';
import { children, readRoot } from '../../sdk/crypto/internal/der.js';
import type { Element } from '../../sdk/crypto/internal/der.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The RecipientInfos of an AuthEnvelopedData: 'ktri', or 'kari:N' with N RecipientEncryptedKeys. */
function recipientInfoShape(envelope: Uint8Array): string[] {
  const [, explicit] = children(readRoot(envelope, 'envelope'), 'ContentInfo');
  const [body] = children(explicit as Element, 'content');
  const [, recipientInfos] = children(body as Element, 'AuthEnvelopedData');
  return children(recipientInfos as Element, 'recipientInfos').map((info) => {
    if (info.tag === 0x30) return 'ktri';
    const fields = children(info, 'KeyAgreeRecipientInfo');
    return `kari:${children(fields[fields.length - 1] as Element, 'recipientEncryptedKeys').length}`;
  });
}

describe('seal and open', () => {
  let pki: TestPki;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    pki = await makePki();
    tmp = await tempDir();
  });
  afterAll(() => tmp.cleanup());

  const opts = (over: Partial<OpenOptions> = {}): OpenOptions => ({ identity: pki.bob.identity, trust: pki.trust, at: AT, seenStore: new MemorySeenStore({ now: () => AT }), ...over });

  it('round-trips to an RSA and an EC recipient and the sender, with the header verified', async () => {
    const payload = text('MSH|^~\\&|GP|HARBOURSIDE|…\r');
    const { envelope, header } = await sealEnvelope(payload, {
      sender: pki.jane.identity,
      recipients: [pki.bob.identity.certificate, pki.carol.identity.certificate],
      mediaType: 'x-application/hl7-v2+er7',
      now: AT,
      padding: 100,
    });
    expect(header.intendedRecipients.map((r) => r.address)).toEqual(['bob@hospital.example', 'carol@elsewhere.example']);
    for (const id of [pki.bob, pki.carol, pki.jane]) {
      const opened = await openEnvelope(envelope, opts({ identity: id.identity }));
      expect(opened.payload).toEqual(payload);
      expect(opened.header?.messageId).toBe(header.messageId);
      expect(opened.signer.addresses).toEqual(['jane@harbourside-gp.example']);
      expect(opened.chain).toHaveLength(2);
      expect(opened.checks).toEqual({ recipientBinding: true, replay: true, expiry: true });
    }
  });

  it('an RSA sender seals to an EC recipient', async () => {
    const { envelope } = await sealEnvelope(text('hi'), { sender: pki.bob.identity, recipients: [pki.jane.identity.certificate], now: AT, ukm: true });
    const opened = await openEnvelope(envelope, opts({ identity: pki.jane.identity }));
    expect(new TextDecoder().decode(opened.payload)).toBe('hi');
  });

  for (const [label, ukm] of [['without UKM', false], ['with UKM', true]] as const) {
    it(`openssl cms -decrypt then -verify opens what we seal (RSA-OAEP and ECDH ${label})`, async () => {
      const payload = text(`letter ${label}\n`.repeat(50));
      const { envelope } = await sealEnvelope(payload, { sender: pki.jane.identity, recipients: [pki.bob.identity.certificate, pki.carol.identity.certificate], now: AT, ukm });
      // Carol and Jane (the sender's copy) are both P-256: one KeyAgreeRecipientInfo with a key for each.
      expect(recipientInfoShape(envelope)).toEqual(['ktri', 'kari:2']);
      const file = await tmp.write(`sealed-${ukm}.p7m`, envelope);
      const caPem = await tmp.write('ca.pem', toPemCa());
      for (const who of [pki.bob, pki.carol, pki.jane]) {
        const cert = await tmp.write('recip.pem', pki.certPem(who));
        const key = await tmp.write('recip.key', await pki.keyPem(who));
        const inner = await openssl(['cms', '-decrypt', '-inform', 'DER', '-in', file, '-recip', cert, '-inkey', key, '-passin', 'pass:pw', '-binary']);
        const innerFile = await tmp.write('inner.der', inner);
        const out = await openssl(['cms', '-verify', '-inform', 'DER', '-in', innerFile, '-CAfile', caPem, '-binary', '-attime', String(AT.getTime() / 1000), '-purpose', 'smimesign']);
        expect(new Uint8Array(out)).toEqual(payload);
      }
    });
  }

  function toPemCa(): string {
    return pki.certPem(pki.ca);
  }

  it("opens OpenSSL's one KeyAgreeRecipientInfo per EC recipient, for each recipient", async () => {
    const payload = text('two EC recipients\n');
    const input = await tmp.write('plain-ec.txt', payload);
    const signerCert = await tmp.write('signer.pem', pki.certPem(pki.jane));
    const signerKey = await tmp.write('signer.key', await pki.keyPem(pki.jane));
    const signed = await tmp.write('signed-ec.der', await openssl(['cms', '-sign', '-in', input, '-signer', signerCert, '-inkey', signerKey, '-passin', 'pass:pw', '-binary', '-nodetach', '-outform', 'DER', '-md', 'sha256']));
    const janePem = await tmp.write('jane.pem', pki.certPem(pki.jane));
    const carolPem = await tmp.write('carol.pem', pki.certPem(pki.carol));
    const enc = new Uint8Array(await openssl(['cms', '-encrypt', '-aes-256-gcm', '-binary', '-in', signed, '-outform', 'DER', '-recip', janePem, '-keyopt', 'ecdh_kdf_md:sha256', '-recip', carolPem, '-keyopt', 'ecdh_kdf_md:sha256']));
    expect(recipientInfoShape(enc)).toEqual(['kari:1', 'kari:1']);
    for (const who of [pki.jane, pki.carol]) {
      const opened = await openEnvelope(enc, opts({ identity: who.identity, interop: true }));
      expect(opened.payload).toEqual(payload);
    }
  });

  for (const kdf of ['sha1', 'sha256'] as const) {
    it(`opens openssl cms -sign | -encrypt -aes-256-gcm (RSA-OAEP + ECDH ${kdf}kdf, two recipients) with interop`, async () => {
      const payload = text('from another system\n');
      const input = await tmp.write('plain.txt', payload);
      const signerCert = await tmp.write('signer.pem', pki.certPem(pki.jane));
      const signerKey = await tmp.write('signer.key', await pki.keyPem(pki.jane));
      const signed = await tmp.write('signed.der', await openssl(['cms', '-sign', '-in', input, '-signer', signerCert, '-inkey', signerKey, '-passin', 'pass:pw', '-binary', '-nodetach', '-outform', 'DER', '-md', 'sha256']));
      const bobPem = await tmp.write('bob.pem', pki.certPem(pki.bob));
      const carolPem = await tmp.write('carol.pem', pki.certPem(pki.carol));
      const enc = await openssl(['cms', '-encrypt', '-aes-256-gcm', '-binary', '-in', signed, '-outform', 'DER', '-recip', bobPem, '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256', '-keyopt', 'rsa_mgf1_md:sha256', '-recip', carolPem, '-keyopt', `ecdh_kdf_md:${kdf}`]);
      for (const who of [pki.bob, pki.carol]) {
        const opened = await openEnvelope(new Uint8Array(enc), opts({ identity: who.identity, interop: true }));
        expect(opened.payload).toEqual(payload);
        expect(opened.header).toBeUndefined();
        expect(opened.checks).toEqual({ recipientBinding: false, replay: false, expiry: false });
        expect(opened.signer.subject).toBe('CN=Dr Jane Citizen, E=jane@harbourside-gp.example');
      }
      await expect(openEnvelope(new Uint8Array(enc), opts())).rejects.toMatchObject({ code: 'ERR_ENVELOPE_NO_HEADER', reason: 'no-header' });
    });
  }
});

describe('attachments beyond one envelope', () => {
  it('are bound to the main message by digest', async () => {
    const { describeAttachment, verifyAttachment } = await import('@sealpost/sdk/crypto');
    const pki = await makePki();
    const big = new Uint8Array(3 * 1024 * 1024).fill(7);
    const entry = await describeAttachment(big, { mediaType: 'application/pdf', name: 'scan.pdf' });
    const main = await sealEnvelope(new TextEncoder().encode('see attached'), { sender: pki.jane.identity, recipients: [pki.bob.identity.certificate], now: AT, attachments: [entry] });
    const part = await sealEnvelope(big, { sender: pki.jane.identity, recipients: [pki.bob.identity.certificate], now: AT, mediaType: 'application/pdf', threadId: main.header.messageId });
    const seenStore = new MemorySeenStore({ now: () => AT });
    const opened = await openEnvelope(main.envelope, { identity: pki.bob.identity, trust: pki.trust, at: AT, seenStore });
    const attachment = await openEnvelope(part.envelope, { identity: pki.bob.identity, trust: pki.trust, at: AT, seenStore });
    await expect(verifyAttachment(opened.header!, attachment.payload)).resolves.toMatchObject({ name: 'scan.pdf', size: big.length });
    const swapped = new Uint8Array(big);
    swapped[0] = 8;
    await expect(verifyAttachment(opened.header!, swapped)).rejects.toMatchObject({ code: 'ERR_ENVELOPE_ATTACHMENT', reason: 'attachment' });
  });
});

describe('BER input from OpenSSL streaming', () => {
  it('opens openssl cms -sign -stream | -encrypt -stream (indefinite lengths, 4 KiB segments)', async () => {
    const pki = await makePki();
    const tmp = await tempDir();
    try {
      const payload = new Uint8Array(3 * 1024 * 1024 + 17);
      for (let i = 0; i < payload.length; i += 65536) crypto.getRandomValues(payload.subarray(i, i + 65536));
      const input = await tmp.write('plain.bin', payload);
      const signerCert = await tmp.write('signer.pem', pki.certPem(pki.jane));
      const signerKey = await tmp.write('signer.key', await pki.keyPem(pki.jane));
      await openssl(['cms', '-sign', '-stream', '-in', input, '-signer', signerCert, '-inkey', signerKey, '-passin', 'pass:pw', '-binary', '-nodetach', '-outform', 'DER', '-md', 'sha256', '-out', tmp.file('signed.der')]);
      const bobPem = await tmp.write('bob.pem', pki.certPem(pki.bob));
      const carolPem = await tmp.write('carol.pem', pki.certPem(pki.carol));
      const enc = await openssl(['cms', '-encrypt', '-stream', '-aes-256-gcm', '-binary', '-in', tmp.file('signed.der'), '-outform', 'DER', '-recip', bobPem, '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256', '-keyopt', 'rsa_mgf1_md:sha256', '-recip', carolPem, '-keyopt', 'ecdh_kdf_md:sha256']);
      expect(enc[1]).toBe(0x80); // indefinite length at the top
      for (const who of [pki.bob, pki.carol]) {
        const opened = await openEnvelope(new Uint8Array(enc), { identity: who.identity, trust: pki.trust, at: AT, interop: true });
        expect(sameBytes(opened.payload, payload)).toBe(true);
      }
    } finally {
      await tmp.cleanup();
    }
  });
});
