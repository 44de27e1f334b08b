import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevCa, EnvelopeError, generateIdentity, MemorySeenStore, sealEnvelope, TrustStore, verifyReceipt } from '@sealpost/sdk/crypto';
import type { SeenStore } from '@sealpost/sdk/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdapterError } from '../../../adapters/errors.js';
import { ImportFolder } from '../../../adapters/file-drop/import-folder.js';
import { CryptoWorkerPool } from '../../../adapters/import/crypto-pool.js';
import { ImportPipeline } from '../../../adapters/import/pipeline.js';
import type { InboxItem } from '../../../adapters/import/pipeline.js';
import { renderHl7Letter } from '../../../adapters/import/render-hl7.js';
import type { PatientCandidate } from '../../../adapters/match/match-patient.js';
import { IDENTIFIER_SYSTEMS } from '../../../adapters/match/match-patient.js';
import { oru } from '../support/messages.js';

const T0 = new Date(Date.now() - 24 * 3600_000);
const JANE: PatientCandidate = { id: 'patient-jane', identifiers: [{ system: IDENTIFIER_SYSTEMS.medicare, value: '8003608166' }], family: 'Citizen', given: ['Jane'], birthDate: '1980-01-01', sex: 'female', postcode: '2000' };
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

let ctx: Awaited<ReturnType<typeof setup>>;
let pool: CryptoWorkerPool;
async function setup() {
  const ca = await createDevCa({ notBefore: T0 });
  const sender = await generateIdentity({ name: 'ACME Pathology', address: 'results@acme-path.example', issuer: ca.identity, notBefore: T0 });
  const practice = await generateIdentity({ name: 'Harbourside GP', address: 'inbox@harbourside-gp.example', issuer: ca.identity, notBefore: T0 });
  const trust = new TrustStore().addAnchor(ca.identity.certificate);
  const seal = async (hl7: string, messageId: string, receipt = true) =>
    (await sealEnvelope(enc(hl7), { sender: sender.identity, recipients: [practice.identity.certificate], messageId, receipt, mediaType: 'application/hl7-v2' })).envelope;
  return { ca, sender, practice, trust, seal };
}
beforeAll(async () => {
  ctx = await setup();
  pool = new CryptoWorkerPool({ identity: ctx.practice.identity, trust: { anchors: [ctx.ca.identity.certificate] }, size: 2 });
});

const dirs: string[] = [];
afterAll(async () => {
  await pool.close();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

describe('CryptoWorkerPool', () => {
  it('opens on worker threads with the caller’s replay store and signs receipts the sender verifies', async () => {
    const envelope = await ctx.seal(oru('W1'), 'msg-w1');
    const asked: string[] = [];
    const seen = new MemorySeenStore();
    const recording: SeenStore = { remember: (signer, messageId, expiresAt) => (asked.push(messageId), seen.remember(signer, messageId, expiresAt)) };
    const { opened, delivered } = await pool.open({ envelope, seenStore: recording, at: new Date(), delivered: true });
    expect(new TextDecoder().decode(opened.payload)).toBe(oru('W1'));
    expect(opened.header?.messageId).toBe('msg-w1');
    expect(asked).toEqual(['msg-w1']);
    expect(await verifyReceipt(delivered!, envelope, { identity: ctx.sender.identity, trust: ctx.trust })).toMatchObject({ status: { status: 'delivered', messageId: 'msg-w1' } });
    const imported = await pool.receipt(opened, { status: 'imported' });
    expect(await verifyReceipt(imported, envelope, { identity: ctx.sender.identity, trust: ctx.trust })).toMatchObject({ status: { status: 'imported', messageId: 'msg-w1' } });
    // The same store refuses the second open: a replay, as an EnvelopeError the pipeline can tell from a failure.
    const replay = await pool.open({ envelope, seenStore: recording, at: new Date() }).catch((e: unknown) => e);
    expect(replay).toBeInstanceOf(EnvelopeError);
    expect(replay).toMatchObject({ reason: 'replay', code: 'ERR_ENVELOPE_REPLAY' });
  });

  it('reports a letter that does not open with its reason, makes no delivered receipt when none was asked for, and fails once closed', async () => {
    const broken = await ctx.seal(oru('W2'), 'msg-w2');
    broken[broken.length - 20]! ^= 0xff;
    expect(await pool.open({ envelope: broken, seenStore: new MemorySeenStore(), at: new Date(), delivered: true }).catch((e: unknown) => e)).toMatchObject({ reason: 'decrypt' });
    const quiet = await pool.open({ envelope: await ctx.seal(oru('W3'), 'msg-w3', false), seenStore: new MemorySeenStore(), at: new Date(), delivered: true });
    expect(quiet.delivered).toBeUndefined();
    const other = new CryptoWorkerPool({ identity: ctx.practice.identity, trust: { anchors: [ctx.ca.identity.certificate] }, size: 1 });
    const inFlight = other.open({ envelope: await ctx.seal(oru('W4'), 'msg-w4'), seenStore: new MemorySeenStore(), at: new Date() });
    await other.close();
    const error = await inFlight.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdapterError);
    expect(error).toMatchObject({ code: 'ERR_IMPORT_CRYPTO_WORKER' });
    expect(await other.receipt({ header: undefined, receiptRequest: undefined, binding: { signature: new Uint8Array(1), signedAttributes: new Uint8Array(1), contentType: '1.2.840.113549.1.7.1' }, signer: { certificate: new Uint8Array(1), subject: '', addresses: [] } }, { status: 'read' }).catch((e: unknown) => e)).toMatchObject({ code: 'ERR_IMPORT_CRYPTO_WORKER' });
  });

  it('drives the pipeline: several pages in one run, a replayed copy in a later page refused, every receipt verifiable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealpost-pool-'));
    dirs.push(dir);
    const letters = await Promise.all(Array.from({ length: 12 }, (_, i) => ctx.seal(oru(`P${i}`), `msg-p${i}`)));
    // Page size 5: the copy of msg-p1 arrives in the third page, after its original was committed.
    const inbox = new Map<string, Uint8Array>([...letters.map((l, i): [string, Uint8Array] => [`i${String(i).padStart(2, '0')}`, l]), ['i99', letters[1]!]]);
    const receipts: { messageId: string; status: string; bytes: Uint8Array }[] = [];
    const folder = new ImportFolder({ dir: join(dir, 'import') });
    let pages = 0;
    const pipeline = new ImportPipeline({
      path: join(dir, 'agent.db'),
      identity: ctx.practice.identity,
      trust: ctx.trust,
      crypto: pool,
      batchSize: 5,
      source: { fetch: (limit) => (pages++, Promise.resolve([...inbox].slice(0, limit).map(([id, envelope]): InboxItem => ({ id, envelope })))), remove: (id) => Promise.resolve(void inbox.delete(id)) },
      target: {
        findPatients: () => Promise.resolve([JANE]),
        file: () => Promise.reject(new Error('fileBatch is used')),
        fileBatch: async (batch) => void (await folder.fileMany(batch.map((l) => ({ messageId: l.messageId, bytes: l.letter.content })))),
      },
      receipts: { send: () => Promise.reject(new Error('sendMany is used')), sendMany: (many) => Promise.resolve(void receipts.push(...many.map((r) => ({ ...r.info, bytes: r.receipt })))) },
      render: (payload) => renderHl7Letter(payload),
    });
    expect(await pipeline.run()).toEqual({ fetched: 13, filed: 12, review: 0, rejected: 0, invalid: 1 });
    expect(pages).toBe(3);
    expect(inbox.size).toBe(0);
    expect(pipeline.record('i99')).toMatchObject({ state: 'invalid' });
    expect(pipeline.record('i99')?.reason).toMatch(/^ERR_ENVELOPE_REPLAY/);
    const filed = readdirSync(join(dir, 'import')).filter((f) => !f.startsWith('.')).sort();
    expect(filed).toEqual(letters.map((_, i) => `msg-p${i}.hl7`).sort());
    expect(readFileSync(join(dir, 'import', 'msg-p7.hl7'), 'utf8')).toBe(oru('P7'));
    expect(receipts.filter((r) => r.status === 'delivered').length).toBe(12);
    expect(receipts.filter((r) => r.status === 'imported').length).toBe(12);
    for (const r of receipts) {
      const original = letters[Number(r.messageId.slice('msg-p'.length))]!;
      expect(await verifyReceipt(r.bytes, original, { identity: ctx.sender.identity, trust: ctx.trust })).toMatchObject({ status: { status: r.status, messageId: r.messageId } });
    }
    pipeline.close();
  });
});
