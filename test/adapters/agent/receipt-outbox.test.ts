/**
 * The agent's receipt queue and EMR acknowledgement files, without processes: hold "imported"
 * until the EMR's ACK, AE turns it into a verifiable "rejected", relay outages keep receipts queued,
 * relay refusals mark them failed; ack files are handed over before they are moved (crash-safe).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevCa, createReceipt, generateIdentity, openEnvelope, sealEnvelope, TrustStore, verifyReceipt } from '@sealpost/sdk/crypto';
import type { OpenResult } from '@sealpost/sdk/crypto';
import { TransportError } from '@sealpost/sdk/transport';
import { ReceiptOutbox } from '../../../adapters/agent/receipt-outbox.js';
import { scanAckFiles } from '../../../adapters/file-drop/ack-files.js';
import type { AckFileEvent } from '../../../adapters/file-drop/import-folder.js';
import { oru } from '../support/messages.js';

const T0 = new Date(Date.now() - 3600_000);
let ctx: Awaited<ReturnType<typeof setup>>;
async function setup() {
  const ca = await createDevCa({ notBefore: T0 });
  const lab = (await generateIdentity({ name: 'Lab', address: 'results@lab.example', issuer: ca.identity, notBefore: T0 })).identity;
  const gp = (await generateIdentity({ name: 'GP', address: 'inbox@gp.example', issuer: ca.identity, notBefore: T0 })).identity;
  const trust = new TrustStore().addAnchor(ca.identity.certificate);
  const letter = async (controlId: string): Promise<{ envelope: Uint8Array; opened: OpenResult }> => {
    const { envelope } = await sealEnvelope(new TextEncoder().encode(oru(controlId)), { sender: lab, recipients: [gp.certificate], messageId: `m-${controlId}`, receipt: true, mediaType: 'application/hl7-v2' });
    return { envelope, opened: await openEnvelope(envelope, { identity: gp, trust, seenStore: { remember: () => Promise.resolve(true) } }) };
  };
  return { lab, gp, trust, letter };
}
const dirs: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'sealpost-receipts-'));
  dirs.push(d);
  return d;
};
beforeAll(async () => {
  ctx = await setup();
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const event = (controlId: string, code: string, text = ''): AckFileEvent => ({ file: `${controlId}.ack`, code, controlId, text });

describe('ReceiptOutbox', () => {
  it('holds "imported" until the EMR acknowledges: AA releases it, AE replaces it with a verifiable "rejected"', async () => {
    const outbox = new ReceiptOutbox(join(temp(), 'agent.db'), { identity: ctx.gp });
    const one = await ctx.letter('A1');
    const two = await ctx.letter('A2');
    outbox.expectAck('m-A1', 'A1', one.opened);
    outbox.expectAck('m-A2', 'A2', two.opened);
    for (const [id, l] of [['m-A1', one], ['m-A2', two]] as const) {
      await outbox.sink.send(await createReceipt(l.opened, { identity: ctx.gp, status: 'delivered' }), { messageId: id, status: 'delivered' });
      await outbox.sink.send(await createReceipt(l.opened, { identity: ctx.gp, status: 'imported' }), { messageId: id, status: 'imported' });
    }
    expect(outbox.counts()).toEqual({ queued: 2, held: 2, failed: 0 });
    expect(await outbox.recordAck(event('A1', 'AA'))).toBe('m-A1');
    expect(await outbox.recordAck(event('A2', 'AE', 'Patient record locked'))).toBe('m-A2');
    // Repeating an ACK (a crash before its file was moved) changes nothing.
    expect(await outbox.recordAck(event('A2', 'AE', 'Patient record locked'))).toBe('m-A2');
    expect(await outbox.recordAck(event('UNKNOWN', 'AA'))).toBeUndefined();
    const sent: { messageId: string; status: string; reason?: string; bytes: Uint8Array }[] = [];
    const result = await outbox.flush((messageId, bytes, info) => Promise.resolve(void sent.push({ messageId, bytes, ...info })));
    expect(result).toMatchObject({ sent: 4, queued: 0, held: 0, failed: [] });
    // Messages go concurrently; one message's receipts in order.
    const line = (x: { messageId: string; status: string; reason?: string }): string => `${x.messageId}:${x.status}${x.reason ? `:${x.reason}` : ''}`;
    expect(sent.filter((x) => x.messageId === 'm-A1').map(line)).toEqual(['m-A1:delivered', 'm-A1:imported']);
    expect(sent.filter((x) => x.messageId === 'm-A2').map(line)).toEqual(['m-A2:delivered', 'm-A2:rejected:the EMR refused the import (AE): Patient record locked']);
    expect(outbox.list('sent')).toHaveLength(4);
    expect((await outbox.flush(() => Promise.reject(new Error('nothing is left to send')))).sent).toBe(0);
    const verified = await verifyReceipt(sent.find((x) => x.status === 'rejected')!.bytes, two.envelope, { identity: ctx.lab, trust: ctx.trust });
    expect(verified.status).toMatchObject({ status: 'rejected', messageId: 'm-A2' });
    outbox.close();
  });

  it('an ACK that arrives before the pipeline sends "imported" decides it at once', async () => {
    const outbox = new ReceiptOutbox(join(temp(), 'agent.db'), { identity: ctx.gp });
    const fast = await ctx.letter('F1');
    const refused = await ctx.letter('F2');
    outbox.expectAck('m-F1', 'F1', fast.opened);
    outbox.expectAck('m-F2', 'F2', refused.opened);
    await outbox.recordAck(event('F1', 'CA'));
    await outbox.recordAck(event('F2', 'AR', 'unknown doctor'));
    await outbox.sink.send(await createReceipt(fast.opened, { identity: ctx.gp, status: 'imported' }), { messageId: 'm-F1', status: 'imported' });
    await outbox.sink.send(await createReceipt(refused.opened, { identity: ctx.gp, status: 'imported' }), { messageId: 'm-F2', status: 'imported' });
    expect(outbox.list('queued').map((r) => `${r.messageId}:${r.status}`)).toEqual(['m-F2:rejected', 'm-F1:imported']);
    outbox.close();
  });

  it('keeps receipts queued while the relay is unreachable, marks refused ones failed and retries them at the next start', async () => {
    const path = join(temp(), 'agent.db');
    let outbox = new ReceiptOutbox(path, { identity: ctx.gp });
    for (const id of ['R1', 'R2', 'R3']) {
      const l = await ctx.letter(id);
      await outbox.sink.send(await createReceipt(l.opened, { identity: ctx.gp, status: 'delivered' }), { messageId: `m-${id}`, status: 'delivered' });
    }
    const isTransient = (e: unknown): boolean => e instanceof TransportError && e.kind === 'network';
    const down = await outbox.flush(() => Promise.reject(new TransportError('network', 'connection refused')), { isTransient });
    expect(down).toMatchObject({ sent: 0, queued: 3, failed: [], error: { message: 'connection refused' } });
    const refusing = await outbox.flush((id) => (id === 'm-R2' ? Promise.reject(new TransportError('not-found', 'ERR_RELAY_NOT_FOUND: no such message')) : Promise.resolve()), { isTransient });
    expect(refusing).toMatchObject({ sent: 2, queued: 0, failed: [{ messageId: 'm-R2', status: 'delivered', reason: 'ERR_RELAY_NOT_FOUND: no such message' }] });
    expect(outbox.counts()).toEqual({ queued: 0, held: 0, failed: 1 });
    outbox.close();
    outbox = new ReceiptOutbox(path, { identity: ctx.gp });
    expect(outbox.list('queued').map((r) => r.messageId)).toEqual(['m-R2']);
    outbox.close();
  });
});

describe('scanAckFiles', () => {
  it('hands each ACK over before moving it, so a failure (or a crash) leaves the file for the next scan; unreadable files go to error/', async () => {
    const dir = join(temp(), 'acks');
    mkdirSync(dir);
    writeFileSync(join(dir, 'ACK_1.ack'), 'MSH|^~\\&|EMR|GP|SP|GP|20260101||ACK|X1|P|2.4\rMSA|AA|C1|filed\r');
    writeFileSync(join(dir, 'ACK_2.ack'), 'MSH|^~\\&|EMR|GP|SP|GP|20260101||ACK|X2|P|2.4\rMSA|AE|C2|locked\r');
    writeFileSync(join(dir, 'ACK_3.ack'), 'garbage');
    writeFileSync(join(dir, 'letter.hl7'), oru('C9'));
    const seen: AckFileEvent[] = [];
    await expect(
      scanAckFiles(dir, {
        onAck: (e) => {
          if (e.controlId === 'C2') throw new Error('store unavailable');
          seen.push(e);
        },
      }),
    ).rejects.toThrow('store unavailable');
    expect(readdirSync(dir).sort()).toEqual(['ACK_2.ack', 'ACK_3.ack', 'letter.hl7', 'processed']);
    const second = await scanAckFiles(dir, { onAck: (e) => void seen.push(e) });
    expect(seen).toEqual([
      { file: 'ACK_1.ack', code: 'AA', controlId: 'C1', text: 'filed' },
      { file: 'ACK_2.ack', code: 'AE', controlId: 'C2', text: 'locked' },
    ]);
    expect(second.unreadable).toEqual([{ file: 'ACK_3.ack', reason: expect.stringContaining('MSH') as string }]);
    expect(readdirSync(dir).sort()).toEqual(['error', 'letter.hl7', 'processed']);
    // An EMR that reuses ACK file names: the earlier processed file is kept.
    writeFileSync(join(dir, 'ACK_1.ack'), 'MSH|^~\\&|EMR|GP|SP|GP|20260101||ACK|X3|P|2.4\rMSA|AA|C3\r');
    await scanAckFiles(dir, { onAck: () => {} });
    expect(readdirSync(join(dir, 'processed')).sort()).toEqual(['ACK_1.ack', 'ACK_1.ack.1', 'ACK_2.ack']);
    expect(existsSync(join(dir, 'ACK_1.ack'))).toBe(false);
  });
});
