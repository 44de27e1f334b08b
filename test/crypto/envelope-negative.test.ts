import { beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity, MemorySeenStore, openEnvelope, sealEnvelope, TrustStore, createDevCa } from '@sealpost/sdk/crypto';
import type { OpenOptions } from '@sealpost/sdk/crypto';
import { decryptAuthEnveloped } from '../../sdk/crypto/internal/auth-enveloped-data.js';
import { attribute } from '../../sdk/crypto/internal/signed-data.js';
import { buildSignedData, encryptAuthEnveloped } from './cms-build.js';
import { children, concat, header, readRoot, tlv, utf8String } from '../../sdk/crypto/internal/der.js';
import type { Element } from '../../sdk/crypto/internal/der.js';
import { OID } from '../../sdk/crypto/internal/oids.js';
import { KeyUsage } from '../../sdk/crypto/internal/cert.js';
import { AT, T0, makePki } from './pki.js';
import type { TestPki } from './pki.js';
import { openssl, tempDir } from './helpers.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Re-encodes `bytes` with the element at `path` (child indices from the root) replaced. */
function replaceAt(bytes: Uint8Array, path: number[], replacement: Uint8Array): Uint8Array {
  const root = readRoot(bytes, 'test');
  const rebuild = (element: Element, rest: number[]): Uint8Array => {
    if (rest.length === 0) return replacement;
    const kids = children(element, 'test');
    const [index, ...tail] = rest as [number, ...number[]];
    const parts = kids.map((kid, i) => (i === index ? rebuild(kid, tail) : kid.raw));
    return tlv(element.tag, ...parts);
  };
  return rebuild(root, path);
}

describe('open fails closed', () => {
  let pki: TestPki;
  let sealed: Uint8Array;
  beforeAll(async () => {
    pki = await makePki();
    sealed = (await sealEnvelope(text('the letter'), { sender: pki.jane.identity, recipients: [pki.bob.identity.certificate], now: AT })).envelope;
  });
  const opts = (over: Partial<OpenOptions> = {}): OpenOptions => ({ identity: pki.bob.identity, trust: pki.trust, at: AT, seenStore: new MemorySeenStore({ now: () => AT }), ...over });

  it('opens the untampered message (control)', async () => {
    await expect(openEnvelope(sealed, opts())).resolves.toMatchObject({ payload: text('the letter') });
  });

  it('any flipped byte in the ciphertext or the tag fails with decrypt', async () => {
    // mac is the last 16 bytes; the ciphertext sits right before it (after the mac's 2-byte header).
    const macStart = sealed.length - 16;
    const positions = [macStart, macStart + 7, sealed.length - 1, macStart - 3, macStart - 40, macStart - 200];
    for (const position of positions) {
      const copy = new Uint8Array(sealed);
      copy[position] = (copy[position] as number) ^ 0x01;
      await expect(openEnvelope(copy, opts())).rejects.toMatchObject({ code: 'ERR_ENVELOPE_DECRYPT', reason: 'decrypt' });
    }
  });

  it('every single-byte flip anywhere in a small envelope is refused (never opens altered)', async () => {
    const small = (await sealEnvelope(text('x'), { sender: pki.jane.identity, recipients: [pki.bob.identity.certificate], now: AT })).envelope;
    // Bob's own RecipientInfo is the first; the sender's (the second) is not Bob's business and is
    // not covered by the GCM tag (RFC 5083 has no authAttrs here), so flips there are skipped.
    const [, wrapper] = children(readRoot(small, 'x'), 'x');
    const body = children(wrapper as Element, 'x')[0] as Element;
    const recipientSet = children(body, 'x')[1] as Element;
    const others = children(recipientSet, 'x')[1] as Element;
    const skipFrom = others.offset;
    const skipTo = others.offset + others.raw.length;
    for (let position = 0; position < small.length; position++) {
      if (position >= skipFrom && position < skipTo) continue;
      const copy = new Uint8Array(small);
      copy[position] = (copy[position] as number) ^ 0x80;
      let opened = false;
      try {
        await openEnvelope(copy, opts());
        opened = true;
      } catch (error) {
        expect((error as { code: string }).code).toMatch(/^ERR_ENVELOPE_/);
      }
      expect(opened, `flip at byte ${position} opened`).toBe(false);
    }
  });

  async function sealTampered(tamper: (signedData: Uint8Array) => Uint8Array): Promise<Uint8Array> {
    const signed = await buildSignedData({ content: text('signed content'), contentType: OID.data, signer: pki.jane.identity, attributes: [attribute(OID.sealpostHeader, utf8String(JSON.stringify({ v: 1 })))], signingTime: AT });
    const inner = tamper(signed);
    return encryptAuthEnveloped(inner, [pki.bob.identity.certificate]);
  }

  it('a flipped byte in the signed content fails with signature', async () => {
    const envelope = await sealTampered((der) => {
      const copy = new Uint8Array(der);
      const at = indexOf(copy, text('signed content'));
      copy[at + 3] = (copy[at + 3] as number) ^ 0x20;
      return copy;
    });
    await expect(openEnvelope(envelope, opts())).rejects.toMatchObject({ code: 'ERR_ENVELOPE_SIGNATURE' });
  });

  it('a flipped byte in the signature or a signed attribute fails with signature', async () => {
    const envelope = await sealTampered((der) => {
      const copy = new Uint8Array(der);
      copy[copy.length - 5] = (copy[copy.length - 5] as number) ^ 0x01; // inside the signature value
      return copy;
    });
    await expect(openEnvelope(envelope, opts())).rejects.toMatchObject({ code: 'ERR_ENVELOPE_SIGNATURE' });
    const attrEnvelope = await sealTampered((der) => {
      const copy = new Uint8Array(der);
      const at = indexOf(copy, text('{"v":1}'));
      copy[at + 5] = 0x32; // {"v":2}
      return copy;
    });
    await expect(openEnvelope(attrEnvelope, opts())).rejects.toMatchObject({ code: 'ERR_ENVELOPE_SIGNATURE' });
  });

  it('a key that is not a recipient fails with decrypt', async () => {
    await expect(openEnvelope(sealed, opts({ identity: pki.carol.identity }))).rejects.toMatchObject({ code: 'ERR_ENVELOPE_DECRYPT' });
  });

  it('a 16-byte GCM nonce is refused', async () => {
    // ContentInfo[1] = [0] → AuthEnvelopedData → [2] authEncryptedContentInfo → [1] algorithm → [1] GCMParameters → [0] nonce
    const bad = replaceAt(sealed, [1, 0, 2, 1, 1, 0], concat(header(0x04, 16), new Uint8Array(16)));
    await expect(openEnvelope(bad, opts())).rejects.toMatchObject({ code: 'ERR_ENVELOPE_UNSUPPORTED' });
    const shortTag = replaceAt(sealed, [1, 0, 2, 1, 1, 1], Uint8Array.of(0x02, 0x01, 0x0c));
    await expect(openEnvelope(shortTag, opts())).rejects.toMatchObject({ code: 'ERR_ENVELOPE_UNSUPPORTED' });
  });

  it('an expired, not yet valid or untrusted signer certificate fails with chain', async () => {
    await expect(openEnvelope(sealed, opts({ at: new Date('2027-02-01T00:00:00Z') }))).rejects.toMatchObject({ code: 'ERR_ENVELOPE_CHAIN', cause: { code: 'ERR_CRYPTO_CHAIN_EXPIRED' } });
    const other = await createDevCa({ notBefore: T0, name: 'Other CA' });
    await expect(openEnvelope(sealed, opts({ trust: new TrustStore().addAnchor(other.identity.certificate) }))).rejects.toMatchObject({ code: 'ERR_ENVELOPE_CHAIN', cause: { code: 'ERR_CRYPTO_CHAIN_UNTRUSTED' } });
  });

  it('a signer certificate without a signing key usage fails with chain', async () => {
    const noSign = await generateIdentity({ name: 'No Sign', address: 'nosign@x.example', issuer: pki.ca.identity, notBefore: T0, keyUsage: KeyUsage.keyAgreement });
    const { envelope } = await sealEnvelope(text('x'), { sender: noSign.identity, recipients: [pki.bob.identity.certificate], now: AT });
    await expect(openEnvelope(envelope, opts())).rejects.toMatchObject({ code: 'ERR_ENVELOPE_CHAIN', cause: { code: 'ERR_CRYPTO_CHAIN_KEY_USAGE' } });
    const codeSigning = await generateIdentity({ name: 'Code', address: 'code@x.example', issuer: pki.ca.identity, notBefore: T0, extendedKeyUsage: ['1.3.6.1.5.5.7.3.3'] });
    const second = await sealEnvelope(text('x'), { sender: codeSigning.identity, recipients: [pki.bob.identity.certificate], now: AT });
    await expect(openEnvelope(second.envelope, opts())).rejects.toMatchObject({ code: 'ERR_ENVELOPE_CHAIN' });
  });

  it('refuses to seal to a certificate that may not receive envelopes', async () => {
    const signOnly = await generateIdentity({ name: 'Sign Only', address: 'so@x.example', issuer: pki.ca.identity, notBefore: T0, keyUsage: KeyUsage.digitalSignature });
    await expect(sealEnvelope(text('x'), { sender: pki.jane.identity, recipients: [signOnly.identity.certificate], now: AT })).rejects.toMatchObject({ code: 'ERR_CRYPTO_RECIPIENT_KEY_USAGE' });
  });

  it('PKCS#1 v1.5 key transport is refused', async () => {
    const tmp = await tempDir();
    try {
      const input = await tmp.write('in.der', sealed);
      const bob = await tmp.write('bob.pem', pki.certPem(pki.bob));
      const enc = await openssl(['cms', '-encrypt', '-aes-256-gcm', '-binary', '-in', input, '-outform', 'DER', '-recip', bob]);
      await expect(openEnvelope(new Uint8Array(enc), opts({ interop: true }))).rejects.toMatchObject({ code: 'ERR_ENVELOPE_UNSUPPORTED' });
      const cbc = await openssl(['cms', '-encrypt', '-aes-256-cbc', '-binary', '-in', input, '-outform', 'DER', '-recip', bob, '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256', '-keyopt', 'rsa_mgf1_md:sha256']);
      await expect(openEnvelope(new Uint8Array(cbc), opts({ interop: true }))).rejects.toMatchObject({ code: 'ERR_ENVELOPE_UNSUPPORTED' });
    } finally {
      await tmp.cleanup();
    }
  });

  it('a replayed messageId fails with replay, and a failed open does not use the id up', async () => {
    const seenStore = new MemorySeenStore({ now: () => AT });
    await expect(openEnvelope(sealed, opts({ seenStore, identity: pki.carol.identity }))).rejects.toMatchObject({ code: 'ERR_ENVELOPE_DECRYPT' });
    await openEnvelope(sealed, opts({ seenStore }));
    await expect(openEnvelope(sealed, opts({ seenStore }))).rejects.toMatchObject({ code: 'ERR_ENVELOPE_REPLAY', reason: 'replay' });
  });

  it('a message forwarded to someone not in intendedRecipients fails with not-recipient', async () => {
    // Bob decrypts Jane's message and re-encrypts the signed inner content, untouched, to Carol.
    const { plaintext } = await decryptAuthEnveloped(readRoot(sealed, 'x'), pki.bob.identity, { maxDepth: 32 });
    const forwarded = await encryptAuthEnveloped(plaintext, [pki.carol.identity.certificate]);
    await expect(openEnvelope(forwarded, opts({ identity: pki.carol.identity }))).rejects.toMatchObject({ code: 'ERR_ENVELOPE_NOT_RECIPIENT', reason: 'not-recipient' });
  });

  it('an expired message fails with expired', async () => {
    const { envelope } = await sealEnvelope(text('x'), { sender: pki.jane.identity, recipients: [pki.bob.identity.certificate], now: AT, ttlMs: 60_000 });
    await expect(openEnvelope(envelope, opts({ at: new Date(AT.getTime() + 120_000) }))).rejects.toMatchObject({ code: 'ERR_ENVELOPE_EXPIRED' });
  });

  it('ASN.1 bombs fail with malformed, quickly and without exhausting the stack', async () => {
    const deep = new Uint8Array(200_000);
    for (let i = 0; i < deep.length; i += 2) deep.set([0x30, 0x80], i);
    await expect(openEnvelope(deep, opts())).rejects.toMatchObject({ code: 'ERR_ENVELOPE_MALFORMED' });
    const huge = Uint8Array.of(0x30, 0x84, 0xff, 0xff, 0xff, 0xf0, 0x06, 0x01);
    await expect(openEnvelope(huge, opts())).rejects.toMatchObject({ code: 'ERR_ENVELOPE_MALFORMED' });
    const longLength = Uint8Array.of(0x30, 0x89, 1, 1, 1, 1, 1, 1, 1, 1, 1);
    await expect(openEnvelope(longLength, opts())).rejects.toMatchObject({ code: 'ERR_ENVELOPE_MALFORMED' });
    // Deep definite-length nesting inside a valid outer header.
    let nested: Uint8Array = Uint8Array.of(0x05, 0x00);
    for (let i = 0; i < 2000; i++) nested = tlv(0x30, nested);
    await expect(openEnvelope(nested, opts())).rejects.toMatchObject({ code: 'ERR_ENVELOPE_MALFORMED' });
    await expect(openEnvelope(new Uint8Array(0), opts())).rejects.toMatchObject({ code: 'ERR_ENVELOPE_MALFORMED' });
  });

  it('an oversized envelope fails with too-large before parsing', async () => {
    await expect(openEnvelope(new Uint8Array(1000), opts({ maxBytes: 999 }))).rejects.toMatchObject({ code: 'ERR_ENVELOPE_TOO_LARGE' });
  });
});

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error('needle not found');
}
