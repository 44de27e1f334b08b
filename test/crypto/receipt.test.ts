import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReceipt, MemorySeenStore, openEnvelope, sealEnvelope, verifyReceipt } from '@sealpost/sdk/crypto';
import { AT, makePki } from './pki.js';
import type { TestPki } from './pki.js';
import { openssl, tempDir } from './helpers.js';

describe('signed receipts', () => {
  let pki: TestPki;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    pki = await makePki();
    tmp = await tempDir();
  });
  afterAll(() => tmp.cleanup());

  async function exchange(receipt: boolean) {
    const { envelope: original, header } = await sealEnvelope(new TextEncoder().encode('referral'), { sender: pki.jane.identity, recipients: [pki.bob.identity.certificate], now: AT, receipt });
    const opened = await openEnvelope(original, { identity: pki.bob.identity, trust: pki.trust, at: AT, seenStore: new MemorySeenStore({ now: () => AT }) });
    return { original, header, opened };
  }

  it('binds a receipt to the exact message and carries the Sealpost status', async () => {
    const { original, header, opened } = await exchange(true);
    expect(opened.receiptRequest?.receiptsTo).toEqual(['jane@harbourside-gp.example']);
    const receipt = await createReceipt(opened, { identity: pki.bob.identity, status: 'rejected', reason: 'patient not found', now: AT });
    const verified = await verifyReceipt(receipt, original, { identity: pki.jane.identity, trust: pki.trust, at: AT });
    expect(verified.status).toEqual({ v: 1, status: 'rejected', reason: 'patient not found', messageId: header.messageId, at: AT.toISOString() });
    expect(verified.signer.subject).toBe('CN=Dr Bob Rsa, E=bob@hospital.example');

    const other = await exchange(true);
    await expect(verifyReceipt(receipt, other.original, { identity: pki.jane.identity, trust: pki.trust, at: AT })).rejects.toMatchObject({ code: 'ERR_ENVELOPE_RECEIPT' });
  });

  it('refuses a receipt from someone who was not an intended recipient', async () => {
    const { original, opened } = await exchange(false);
    // Carol somehow got the opened message (e.g. forwarded plaintext) and signs a receipt for it.
    const receipt = await createReceipt(opened, { identity: pki.carol.identity, status: 'read', now: AT });
    await expect(verifyReceipt(receipt, original, { identity: pki.jane.identity, trust: pki.trust, at: AT })).rejects.toMatchObject({ code: 'ERR_ENVELOPE_RECEIPT' });
  });

  it('openssl cms -verify_receipt accepts the receipt', async () => {
    const { original, opened } = await exchange(true);
    const receipt = await createReceipt(opened, { identity: pki.bob.identity, status: 'delivered', now: AT });
    const janeCert = await tmp.write('jane.pem', pki.certPem(pki.jane));
    const janeKey = await tmp.write('jane.key', await pki.keyPem(pki.jane));
    const ca = await tmp.write('ca.pem', pki.certPem(pki.ca));
    const originalFile = await tmp.write('original.p7m', original);
    const receiptFile = await tmp.write('receipt.p7m', receipt);
    const signedOriginal = await tmp.write('original-signed.der', await openssl(['cms', '-decrypt', '-inform', 'DER', '-in', originalFile, '-recip', janeCert, '-inkey', janeKey, '-passin', 'pass:pw', '-binary']));
    const signedReceipt = await tmp.write('receipt-signed.der', await openssl(['cms', '-decrypt', '-inform', 'DER', '-in', receiptFile, '-recip', janeCert, '-inkey', janeKey, '-passin', 'pass:pw', '-binary']));
    const out = await openssl(['cms', '-verify_receipt', signedReceipt, '-rctform', 'DER', '-in', signedOriginal, '-inform', 'DER', '-CAfile', ca, '-attime', String(AT.getTime() / 1000)]);
    expect(out.toString()).toBe('');
    // and a receipt for another message is refused by OpenSSL too
    const other = await exchange(true);
    const otherFile = await tmp.write('other.p7m', other.original);
    const otherSigned = await tmp.write('other-signed.der', await openssl(['cms', '-decrypt', '-inform', 'DER', '-in', otherFile, '-recip', janeCert, '-inkey', janeKey, '-passin', 'pass:pw', '-binary']));
    await expect(openssl(['cms', '-verify_receipt', signedReceipt, '-rctform', 'DER', '-in', otherSigned, '-inform', 'DER', '-CAfile', ca, '-attime', String(AT.getTime() / 1000)])).rejects.toThrow(/failed/);
  });
});
