import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDevCa, createReceipt, MemorySeenStore, openEnvelope, sealEnvelope, TrustStore, validateChain } from '@sealpost/sdk/crypto';
import { BoundedCache, bytesKey, MAX_CACHED_BYTES } from '../../sdk/crypto/internal/bounded-cache.js';
import { certInfo, clearCertificateCaches, importSpki, signWith } from '../../sdk/crypto/internal/cert.js';
import { algorithm, bitString, integer, sequence, time } from '../../sdk/crypto/internal/der.js';
import { subtle } from '../../sdk/crypto/internal/subtle.js';
import { AT, T0, makePki } from './pki.js';
import type { TestPki } from './pki.js';

/** Jane's certificate with its signature replaced by `signingKey`'s signature over the same TBS. */
async function resigned(certificate: Uint8Array, signingKey: CryptoKey): Promise<Uint8Array> {
  const info = certInfo(certificate);
  return sequence(info.tbs, algorithm(info.signatureAlgorithm), bitString(await signWith(signingKey, info.tbs)));
}

describe('remembered keys and issuer signatures', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await makePki();
  });
  afterEach(() => vi.restoreAllMocks());

  it('a signature verified once does not carry a verdict to another time: expiry and not-yet-valid are checked again', async () => {
    const jane = pki.jane.identity.certificate;
    await expect(validateChain(jane, pki.trust, { at: AT })).resolves.toHaveLength(2);
    await expect(validateChain(jane, pki.trust, { at: new Date('2027-06-01T00:00:00Z') })).rejects.toMatchObject({ code: 'ERR_CRYPTO_CHAIN_EXPIRED' });
    await expect(validateChain(jane, pki.trust, { at: new Date(T0.getTime() - 86_400_000) })).rejects.toMatchObject({ code: 'ERR_CRYPTO_CHAIN_NOT_YET_VALID' });
    await expect(validateChain(jane, pki.trust, { at: AT })).resolves.toHaveLength(2);
  });

  it('nor to another trust store: a CRL added later revokes, and without the anchor there is no path', async () => {
    const jane = pki.jane.identity.certificate;
    await expect(validateChain(jane, pki.trust, { at: AT })).resolves.toHaveLength(2);
    const ca = certInfo(pki.ca.identity.certificate);
    const sigAlg = algorithm('1.2.840.10045.4.3.2');
    const tbs = sequence(integer(1), sigAlg, ca.subjectName, time(new Date('2026-02-01T00:00:00Z')), time(new Date('2026-04-01T00:00:00Z')), sequence(sequence(certInfo(jane).serial, time(new Date('2026-02-01T00:00:00Z')))));
    const crl = sequence(tbs, sigAlg, bitString(await signWith(pki.ca.identity.signingKey, tbs)));
    const withCrl = new TrustStore().addAnchor(pki.ca.identity.certificate).addCrl(crl);
    for (let i = 0; i < 2; i++) await expect(validateChain(jane, withCrl, { at: AT })).rejects.toMatchObject({ code: 'ERR_CRYPTO_CHAIN_REVOKED' });
    // Revoked from 1 February: valid before, whatever was remembered since.
    await expect(validateChain(jane, withCrl, { at: new Date('2026-01-15T00:00:00Z') })).resolves.toHaveLength(2);
    await expect(validateChain(jane, new TrustStore(), { at: AT })).rejects.toMatchObject({ code: 'ERR_CRYPTO_CHAIN_UNTRUSTED' });
  });

  it('the same TBS with another signature, or an issuer of the same name with another key, is refused after the genuine pair verified', async () => {
    const jane = pki.jane.identity.certificate;
    await expect(validateChain(jane, pki.trust, { at: AT })).resolves.toHaveLength(2);
    const forged = await resigned(jane, pki.carol.identity.signingKey);
    await expect(validateChain(forged, pki.trust, { at: AT })).rejects.toMatchObject({ code: 'ERR_CRYPTO_CHAIN_SIGNATURE' });
    const impostor = await createDevCa({ notBefore: T0 });
    expect(certInfo(impostor.identity.certificate).subjectName).toEqual(certInfo(pki.ca.identity.certificate).subjectName);
    await expect(validateChain(jane, new TrustStore().addAnchor(impostor.identity.certificate), { at: AT })).rejects.toMatchObject({ code: 'ERR_CRYPTO_CHAIN_SIGNATURE' });
  });

  it('the second letter from a sender and receipts to it import no public key and verify only the letter signature', async () => {
    clearCertificateCaches();
    const seal = async () => (await sealEnvelope(new TextEncoder().encode('letter'), { sender: pki.jane.identity, recipients: [pki.carol.identity.certificate], now: AT, receipt: true })).envelope;
    const first = await seal();
    const second = await seal();
    const seenStore = new MemorySeenStore({ now: () => AT });
    const open = (envelope: Uint8Array) => openEnvelope(envelope, { identity: pki.carol.identity, trust: pki.trust, at: AT, seenStore });
    await createReceipt(await open(first), { identity: pki.carol.identity, status: 'delivered', now: AT });

    const importKey = vi.spyOn(subtle(), 'importKey');
    const verify = vi.spyOn(subtle(), 'verify');
    const opened = await open(second);
    expect(importKey.mock.calls.filter(([format]) => format === 'spki')).toHaveLength(0);
    // The letter's own signature; the CA's signature on Jane's certificate was verified with the first letter.
    expect(verify).toHaveBeenCalledTimes(1);
    await createReceipt(opened, { identity: pki.carol.identity, status: 'imported', now: AT });
    expect(importKey.mock.calls.filter(([format]) => format === 'spki')).toHaveLength(0);
  });

  it('after the caches are cleared the same work is done again (the figures above are not vacuous)', async () => {
    const { envelope } = await sealEnvelope(new TextEncoder().encode('letter'), { sender: pki.jane.identity, recipients: [pki.carol.identity.certificate], now: AT });
    clearCertificateCaches();
    const importKey = vi.spyOn(subtle(), 'importKey');
    const verify = vi.spyOn(subtle(), 'verify');
    await openEnvelope(envelope, { identity: pki.carol.identity, trust: pki.trust, at: AT, seenStore: new MemorySeenStore({ now: () => AT }) });
    expect(importKey.mock.calls.filter(([format]) => format === 'spki')).toHaveLength(2);
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it('a failed import is not remembered, and different uses of one key are different CryptoKeys', async () => {
    const importKey = vi.spyOn(subtle(), 'importKey');
    const garbage = Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00);
    await expect(importSpki(garbage, 'ec', 'verify')).rejects.toBeDefined();
    await expect(importSpki(garbage, 'ec', 'verify')).rejects.toBeDefined();
    expect(importKey).toHaveBeenCalledTimes(2);
    const spki = certInfo(pki.jane.identity.certificate).spki;
    const verifyKey = await importSpki(spki, 'ec', 'verify');
    expect(await importSpki(spki, 'ec', 'verify')).toBe(verifyKey);
    const agreeKey = await importSpki(spki, 'ec', 'agree');
    expect(agreeKey).not.toBe(verifyKey);
    expect(agreeKey.algorithm.name).toBe('ECDH');
    expect(verifyKey.algorithm.name).toBe('ECDSA');
  });
});

describe('BoundedCache', () => {
  it('forgets the least recently used entry beyond its capacity', () => {
    const cache = new BoundedCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c'), cache.size]).toEqual([1, 3, 2]);
    expect(() => new BoundedCache(0)).toThrow(RangeError);
  });

  it('bytesKey is exact across its 4 KiB chunks and refuses what is too long to remember', () => {
    const a = new Uint8Array(8000).map((_, i) => i & 0xff);
    const b = a.slice();
    b[7999] = (a[7999] as number) ^ 1;
    expect(bytesKey(a)).toHaveLength(8000);
    expect(bytesKey(a)).toBe(bytesKey(a.slice()));
    expect(bytesKey(a)).not.toBe(bytesKey(b));
    expect(bytesKey(Uint8Array.of(0x00, 0xff))).not.toBe(bytesKey(Uint8Array.of(0xff, 0x00)));
    expect(bytesKey(new Uint8Array(MAX_CACHED_BYTES + 1))).toBeUndefined();
  });
});
