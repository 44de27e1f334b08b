/**
 * The import pipeline over a real relay (in-process on 127.0.0.1, port 0) with bulk collecting:
 * small envelopes come in the listing (only larger ones are downloaded), each batch is
 * acknowledged in one `POST …/acks`, never before its envelopes are durable in the agent; a relay
 * without these additions is used the old way; a relay that no longer holds a letter at
 * acknowledgement ends the run without losing it.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealEnvelope, TrustStore } from '@sealpost/sdk/crypto';
import { RelayClient, TransportError } from '@sealpost/sdk/transport';
import { startServer } from '../../../relay/server.js';
import type { RunningServer } from '../../../relay/server.js';
import { openSqliteStore } from '../../../relay/storage/sqlite.js';
import type { RelayStore } from '../../../relay/storage/types.js';
import { makeMailbox } from '../../relay/helpers.js';
import type { TestMailbox } from '../../relay/helpers.js';
import { ImportFolder } from '../../../adapters/file-drop/import-folder.js';
import { ImportPipeline } from '../../../adapters/import/pipeline.js';
import type { InboxSource } from '../../../adapters/import/pipeline.js';
import { relayInboxSource } from '../../../adapters/import/relay-source.js';
import { renderHl7Letter } from '../../../adapters/import/render-hl7.js';
import { IDENTIFIER_SYSTEMS } from '../../../adapters/match/match-patient.js';
import { oru } from '../support/messages.js';

let dir: string;
let server: RunningServer;
let store: RelayStore;
let lab: TestMailbox;
let gp: TestMailbox;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sealpost-relay-import-bulk-'));
  store = openSqliteStore(join(dir, 'relay.db'));
  await store.migrate();
  [lab, gp] = await Promise.all([makeMailbox('results@acme-path.example'), makeMailbox('inbox@harbourside-gp.example')]);
  for (const m of [lab, gp]) await store.addMailbox({ address: m.address, certificate: m.identity.certificate, createdAt: Date.now() });
  // Envelopes up to 6000 bytes travel in the listing: a letter with a long OBX does not.
  server = await startServer({ store, port: 0, logger: false, rateLimitPerIp: 0, rateLimitPerMailbox: 0, purgeIntervalMs: 0, inlineEnvelopeBytes: 6000 });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function sendLetters(tag: string, fillers: number[]): Promise<string[]> {
  const sender = new RelayClient({ relayUrl: server.url, address: lab.address, identity: lab.identity });
  const ids: string[] = [];
  for (const [i, filler] of fillers.entries()) {
    const messageId = crypto.randomUUID();
    const { envelope } = await sealEnvelope(new TextEncoder().encode(oru(`${tag}${i}`, { filler })), { sender: lab.identity, recipients: [gp.identity.certificate], messageId });
    await sender.submit(envelope, { messageId, to: [gp.address] });
    ids.push(messageId);
  }
  return ids;
}

/** Requests by method and route shape, e.g. `GET download`, `POST acks`. */
function countingFetch(counts: Map<string, number>): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const path = new URL(String(input)).pathname;
    const kind = path.endsWith('/acks') ? 'acks' : path.endsWith('/ack') ? 'ack' : /\/messages\/[^/]+$/.test(path) ? 'download' : path.endsWith('/messages') ? 'list' : 'other';
    const key = `${init?.method ?? 'GET'} ${kind}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    return fetch(input, init);
  }) as typeof fetch;
}

const pipelineFor = (name: string, source: InboxSource, folder: ImportFolder): ImportPipeline =>
  new ImportPipeline({
    path: join(dir, `${name}.db`),
    identity: gp.identity,
    trust: new TrustStore().addAnchor(gp.identity.chain.at(-1)!),
    source,
    target: {
      findPatients: () => Promise.resolve([{ id: 'p1', identifiers: [{ system: IDENTIFIER_SYSTEMS.ihi, value: '8003608166690503' }], birthDate: '1980-01-01' }]),
      file: (letter, _p, messageId) => Promise.resolve(void folder.file(messageId, letter.content)),
    },
    receipts: { send: () => Promise.resolve() },
    render: (payload) => renderHl7Letter(payload),
    batchSize: 4,
  });

describe('import pipeline with bulk collecting from the relay', () => {
  it('takes small envelopes from the listing, downloads the rest, and acknowledges each batch in one call after it is stored', async () => {
    // Two letters of ~60 KB (a long OBX) among eight small ones.
    const ids = await sendLetters('B', [1, 1, 5000, 1, 1, 1, 5000, 1, 1, 1]);
    const counts = new Map<string, number>();
    const client = new RelayClient({ relayUrl: server.url, address: gp.address, identity: gp.identity, fetch: countingFetch(counts) });
    const relay = relayInboxSource(client, { pageSize: 4 });
    const folder = new ImportFolder({ dir: join(dir, 'emr-bulk') });
    const agent: { pipeline?: ImportPipeline } = {};
    const removed: string[][] = [];
    const source: InboxSource = {
      fetch: (limit, options) => relay.fetch(limit, options),
      remove: () => Promise.reject(new Error('the pipeline must use removeMany when the source has it')),
      removeMany: async (batch) => {
        // The invariant: every envelope acknowledged is already committed in the agent's store.
        for (const id of batch) expect(agent.pipeline!.record(id)).toBeDefined();
        removed.push([...batch]);
        await relay.removeMany!(batch);
      },
    };
    const pipeline = (agent.pipeline = pipelineFor('bulk', source, folder));
    expect(await pipeline.run()).toMatchObject({ fetched: 10, filed: 10 });
    expect(readdirSync(join(dir, 'emr-bulk')).filter((f) => !f.startsWith('.')).sort()).toEqual(ids.map((id) => `${id}.hl7`).sort());
    // Downloads only for the two large letters; one bulk acknowledgement per fetched batch, no single ones.
    expect(counts.get('GET download')).toBe(2);
    expect(removed.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(removed.flat().sort()).toEqual([...ids].sort());
    expect(counts.get('POST acks')).toBe(3);
    expect(counts.get('POST ack')).toBeUndefined();
    const listing = await client.listInbox({ limit: 1000 });
    expect(listing.items.filter((e) => ids.includes(e.messageId)).every((e) => e.acknowledgedAt !== null)).toBe(true);
    expect(await pipeline.run()).toMatchObject({ fetched: 0 });
    pipeline.close();
  });

  it('asks the relay for no more entries than a fetch can use, so no envelope travels for nothing', async () => {
    const ids = await sendLetters('L', [1, 1, 1, 1, 1]);
    const listed: number[] = [];
    const watching = (async (input: string | URL | Request, init?: RequestInit) => {
      const res = await fetch(input, init);
      if (new URL(String(input)).pathname.endsWith('/messages')) listed.push(((await res.clone().json()) as { items: unknown[] }).items.length);
      return res;
    }) as typeof fetch;
    const source = relayInboxSource(new RelayClient({ relayUrl: server.url, address: gp.address, identity: gp.identity, fetch: watching }), { pageSize: 100 });
    expect((await source.fetch(2)).map((i) => i.id)).toEqual(ids.slice(0, 2));
    expect(listed).toEqual([2]);
    // Items being removed are asked for on top, and left out.
    expect((await source.fetch(2, { skip: new Set(ids.slice(0, 2)) })).map((i) => i.id)).toEqual(ids.slice(2, 4));
    expect(listed).toEqual([2, 4]);
    await source.removeMany!(ids);
  });

  it('falls back to plain listings, downloads and single acknowledgements with a relay that has no bulk collect', async () => {
    const ids = await sendLetters('O', [1, 1, 1, 1, 1]);
    const counts = new Map<string, number>();
    const counting = countingFetch(counts);
    // A relay of before bulk collect: `include` is an unknown query member, `…/acks` no route.
    const problem = (status: number, code: string): Response =>
      new Response(JSON.stringify({ type: `urn:sealpost:problem:${code}`, title: 'x', status, code }), { status, headers: { 'content-type': 'application/problem+json' } });
    const older = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = String(input);
      if (url.includes('include=envelope')) return problem(400, 'ERR_RELAY_BAD_REQUEST');
      if (url.endsWith('/acks')) return problem(404, 'ERR_RELAY_NOT_FOUND');
      return counting(input, init);
    }) as typeof fetch;
    const client = new RelayClient({ relayUrl: server.url, address: gp.address, identity: gp.identity, fetch: older });
    const pipeline = pipelineFor('older', relayInboxSource(client, { pageSize: 100 }), new ImportFolder({ dir: join(dir, 'emr-older') }));
    expect(await pipeline.run()).toMatchObject({ fetched: 5, filed: 5 });
    expect(counts.get('GET download')).toBe(5);
    expect(counts.get('POST ack')).toBe(5);
    const listed = (await client.listInbox({ limit: 1000 })).items.filter((e) => ids.includes(e.messageId));
    expect(listed.every((e) => e.acknowledgedAt !== null)).toBe(true);
    pipeline.close();
  });

  it('a letter the relay no longer holds when acknowledged ends the run with not-found, stored and filed all the same', async () => {
    const ids = await sendLetters('G', [1, 1, 1]);
    const client = new RelayClient({ relayUrl: server.url, address: gp.address, identity: gp.identity });
    const relay = relayInboxSource(client);
    const folder = new ImportFolder({ dir: join(dir, 'emr-gone') });
    const source: InboxSource = {
      fetch: (limit, options) => relay.fetch(limit, options),
      remove: (id) => relay.remove(id),
      // Another device of the mailbox took the second letter, and the relay purged it, between listing and acknowledgement.
      removeMany: async (batch) => {
        await store.acknowledge(gp.address, ids[1]!, Date.now() - 10 * 86_400_000);
        await store.purge(Date.now(), { retentionMs: 86_400_000, orphanBlobAgeMs: 0 });
        await relay.removeMany!(batch);
      },
    };
    const pipeline = pipelineFor('gone', source, folder);
    const error = await pipeline.run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ kind: 'not-found' });
    expect(String((error as Error).message)).toContain(ids[1]);
    // Nothing lost: all three stored and filed; the other two acknowledged on the relay.
    expect(ids.map((id) => pipeline.record(id)?.state)).toEqual(['done', 'done', 'done']);
    expect(readdirSync(join(dir, 'emr-gone')).filter((f) => !f.startsWith('.')).sort()).toEqual([...ids].sort().map((id) => `${id}.hl7`));
    const listed = (await client.listInbox({ limit: 1000 })).items.filter((e) => ids.includes(e.messageId));
    expect(listed.map((e) => e.messageId)).toEqual([ids[0], ids[2]]);
    expect(listed.every((e) => e.acknowledgedAt !== null)).toBe(true);
    pipeline.close();
  });
});
