import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { importPkcs12, MemorySeenStore, openEnvelope, sealEnvelope, TrustStore, validateChain } from '@sealpost/sdk/crypto';
import type { OpenOptions } from '@sealpost/sdk/crypto';
import { signWith, certInfo } from '../../sdk/crypto/internal/cert.js';
import { algorithm, bitString, children, integer, oid as oidBytes, readRoot, sequence, time, tlv } from '../../sdk/crypto/internal/der.js';
import type { Element } from '../../sdk/crypto/internal/der.js';
import { AT, makePki } from './pki.js';
import type { TestPki } from './pki.js';

describe('hostile input', () => {
  let pki: TestPki;
  let sealed: Uint8Array;
  let othersFrom = 0;
  let othersTo = 0;
  beforeAll(async () => {
    pki = await makePki();
    sealed = (await sealEnvelope(new TextEncoder().encode('x'), { sender: pki.jane.identity, recipients: [pki.carol.identity.certificate], now: AT })).envelope;
    const [, wrapper] = children(readRoot(sealed, 'x'), 'x');
    const recipientSet = children(children(wrapper as Element, 'x')[0] as Element, 'x')[1] as Element;
    // Carol and Jane (P-256 both) share one KeyAgreeRecipientInfo; Jane's RecipientEncryptedKey is the second.
    const agreement = children(children(recipientSet, 'x')[0] as Element, 'x');
    const others = children(agreement[agreement.length - 1] as Element, 'x')[1] as Element;
    othersFrom = others.offset;
    othersTo = others.offset + others.raw.length;
  });
  const opts = (): OpenOptions => ({ identity: pki.carol.identity, trust: pki.trust, at: AT, seenStore: new MemorySeenStore({ now: () => AT }) });

  it('random bytes never open and only ever fail with ERR_ENVELOPE_* codes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (bytes) => {
        const error = await openEnvelope(bytes, opts()).then(() => undefined, (e: unknown) => e);
        expect((error as { code?: string } | undefined)?.code).toMatch(/^ERR_ENVELOPE_/);
      }),
      { numRuns: 300 },
    );
  });

  it('random truncations and splices of a real envelope never open', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: sealed.length - 1 }), fc.uint8Array({ minLength: 1, maxLength: 16 }), async (at, junk) => {
        // The sender's own RecipientEncryptedKey (second in the one KeyAgreeRecipientInfo) is not
        // Carol's and not covered by the GCM tag (no authAttrs), so changes inside it alone may
        // legitimately still open. The originator key and UKM they share are Carol's too.
        if (at + junk.length > othersFrom && at < othersTo) return;
        const spliced = new Uint8Array([...sealed.subarray(0, at), ...junk, ...sealed.subarray(at + junk.length)]);
        if (spliced.every((b, i) => b === sealed[i]) && spliced.length === sealed.length) return;
        const error = await openEnvelope(spliced, opts()).then(() => undefined, (e: unknown) => e);
        expect((error as { code?: string } | undefined)?.code).toMatch(/^ERR_ENVELOPE_/);
        const truncated = await openEnvelope(sealed.subarray(0, at), opts()).then(() => undefined, (e: unknown) => e);
        expect((truncated as { code?: string } | undefined)?.code).toMatch(/^ERR_ENVELOPE_/);
      }),
      { numRuns: 200 },
    );
  });

  it('a PKCS#12 larger than maxBytes is refused before parsing', async () => {
    await expect(importPkcs12(new Uint8Array(2 * 1024 * 1024), 'x')).rejects.toMatchObject({ code: 'ERR_CRYPTO_PKCS12_MALFORMED' });
  });
});

describe('revocation', () => {
  it('a certificate on a CRL signed by its issuer is refused; an unsigned CRL is ignored', async () => {
    const pki = await makePki();
    const ca = certInfo(pki.ca.identity.certificate);
    const jane = certInfo(pki.jane.identity.certificate);
    const sigAlg = algorithm('1.2.840.10045.4.3.2');
    const revoked = sequence(sequence(jane.serial, time(new Date('2026-02-01T00:00:00Z'))));
    const tbs = sequence(integer(1), sigAlg, ca.subjectName, time(new Date('2026-02-01T00:00:00Z')), time(new Date('2026-04-01T00:00:00Z')), revoked);
    const crl = sequence(tbs, sigAlg, bitString(await signWith(pki.ca.identity.signingKey, tbs)));
    const trust = new TrustStore().addAnchor(pki.ca.identity.certificate).addCrl(crl);
    await expect(validateChain(pki.jane.identity.certificate, trust, { at: AT })).rejects.toMatchObject({ code: 'ERR_CRYPTO_CHAIN_REVOKED' });
    await expect(validateChain(pki.jane.identity.certificate, trust, { at: new Date('2026-01-15T00:00:00Z') })).resolves.toHaveLength(2);
    await expect(validateChain(pki.bob.identity.certificate, trust, { at: AT })).resolves.toHaveLength(2);
    // The same CRL signed by someone else does not count.
    const forged = sequence(tbs, sigAlg, bitString(await signWith(pki.carol.identity.signingKey, tbs)));
    const forgedTrust = new TrustStore().addAnchor(pki.ca.identity.certificate).addCrl(forged);
    await expect(validateChain(pki.jane.identity.certificate, forgedTrust, { at: AT })).resolves.toHaveLength(2);
    // And openEnvelope reports it as a chain failure.
    const { envelope } = await sealEnvelope(new TextEncoder().encode('x'), { sender: pki.jane.identity, recipients: [pki.bob.identity.certificate], now: AT });
    await expect(openEnvelope(envelope, { identity: pki.bob.identity, trust, at: AT, seenStore: new MemorySeenStore() })).rejects.toMatchObject({ code: 'ERR_ENVELOPE_CHAIN', cause: { code: 'ERR_CRYPTO_CHAIN_REVOKED' } });
  });
});

describe('BER bombs', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await makePki();
  });
  const opts = (): OpenOptions => ({ identity: pki.carol.identity, trust: pki.trust, at: AT, seenStore: new MemorySeenStore({ now: () => AT }) });
  /** ContentInfo(AuthEnvelopedData) shell around `inner` bytes placed as the recipientInfos SET content. */
  const shell = (setContent: Uint8Array, encrypted: Uint8Array = Uint8Array.of(0x80, 0x00)): Uint8Array =>
    sequence(
      oidBytes('1.2.840.113549.1.9.16.1.23'),
      tlv(0xa0, sequence(integer(0), tlv(0x31, setContent), sequence(oidBytes('1.2.840.113549.1.7.1'), sequence(oidBytes('2.16.840.1.101.3.4.1.46'), sequence(tlv(0x04, new Uint8Array(12)), integer(16))), encrypted), tlv(0x04, new Uint8Array(16)))),
    );

  it('a SET of a million NULLs is refused without building a million objects', async () => {
    const nulls = new Uint8Array(2_000_000);
    for (let i = 0; i < nulls.length; i += 2) nulls.set([0x05, 0x00], i);
    await expect(openEnvelope(shell(nulls), opts())).rejects.toMatchObject({ code: 'ERR_ENVELOPE_MALFORMED' });
  });

  it('an encryptedContent of five million empty BER segments runs out of budget', async () => {
    const segments = new Uint8Array(2 + 10_000_000 + 2);
    segments.set([0xa0, 0x80], 0);
    for (let i = 2; i < segments.length - 2; i += 2) segments.set([0x80, 0x00], i);
    await expect(openEnvelope(shell(new Uint8Array(0), segments), opts())).rejects.toMatchObject({ code: 'ERR_ENVELOPE_MALFORMED' });
  });
});
