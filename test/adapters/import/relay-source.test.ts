/**
 * The import pipeline fed by a real relay (relay/, in-process on 127.0.0.1 port 0) through
 * sdk/transport's RelayClient: letters are downloaded, filed once, and acknowledged on the relay
 * only after they are durable in the agent.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealEnvelope, TrustStore } from '@sealpost/sdk/crypto';
import { RelayClient } from '@sealpost/sdk/transport';
import { startServer } from '../../../relay/server.js';
import type { RunningServer } from '../../../relay/server.js';
import { openSqliteStore } from '../../../relay/storage/sqlite.js';
import type { RelayStore } from '../../../relay/storage/types.js';
import { makeMailbox } from '../../relay/helpers.js';
import type { TestMailbox } from '../../relay/helpers.js';
import { ImportFolder } from '../../../adapters/file-drop/import-folder.js';
import { ImportPipeline } from '../../../adapters/import/pipeline.js';
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
  dir = mkdtempSync(join(tmpdir(), 'sealpost-relay-import-'));
  store = openSqliteStore(join(dir, 'relay.db'));
  await store.migrate();
  [lab, gp] = await Promise.all([makeMailbox('results@acme-path.example'), makeMailbox('inbox@harbourside-gp.example')]);
  for (const m of [lab, gp]) await store.addMailbox({ address: m.address, certificate: m.identity.certificate, createdAt: Date.now() });
  server = await startServer({ store, port: 0, logger: false, rateLimitPerIp: 0, rateLimitPerMailbox: 0, purgeIntervalMs: 0 });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('import pipeline with the relay inbox (sdk/transport)', () => {
  it('fetches from the relay, files each letter once, and acknowledges it on the relay', async () => {
    const sender = new RelayClient({ relayUrl: server.url, address: lab.address, identity: lab.identity });
    const ids = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000003'];
    for (const [i, messageId] of ids.entries()) {
      const { envelope } = await sealEnvelope(new TextEncoder().encode(oru(`R${i}`)), { sender: lab.identity, recipients: [gp.identity.certificate], messageId });
      await sender.submit(envelope, { messageId, to: [gp.address] });
    }
    const client = new RelayClient({ relayUrl: server.url, address: gp.address, identity: gp.identity });
    // Items the pipeline is still acknowledging are left out, across listing pages.
    const source = relayInboxSource(client, { pageSize: 2 });
    expect((await source.fetch(5, { skip: new Set([ids[0]!, ids[2]!]) })).map((i) => i.id)).toEqual([ids[1]]);
    expect((await source.fetch(2)).map((i) => i.id)).toEqual(ids.slice(0, 2));
    const folder = new ImportFolder({ dir: join(dir, 'emr') });
    const pipeline = new ImportPipeline({
      path: join(dir, 'agent.db'),
      identity: gp.identity,
      trust: new TrustStore().addAnchor(gp.identity.chain.at(-1)!),
      source: relayInboxSource(client, { pageSize: 2 }),
      target: {
        findPatients: () => Promise.resolve([{ id: 'p1', identifiers: [{ system: IDENTIFIER_SYSTEMS.ihi, value: '8003608166690503' }], birthDate: '1980-01-01' }]),
        file: (letter, _p, messageId) => Promise.resolve(void folder.file(messageId, letter.content)),
      },
      receipts: { send: () => Promise.resolve() },
      render: (payload) => renderHl7Letter(payload),
      batchSize: 2,
    });
    expect(await pipeline.runOnce()).toMatchObject({ fetched: 2, filed: 2 });
    expect(await pipeline.runOnce()).toMatchObject({ fetched: 1, filed: 1 });
    expect(await pipeline.runOnce()).toMatchObject({ fetched: 0, filed: 0 });
    // A run goes on page after page while pages come back full, without waiting for the acknowledgements.
    const more = ['00000000-0000-4000-8000-000000000004', '00000000-0000-4000-8000-000000000005', '00000000-0000-4000-8000-000000000006', '00000000-0000-4000-8000-000000000007', '00000000-0000-4000-8000-000000000008'];
    for (const [i, messageId] of more.entries()) {
      const { envelope } = await sealEnvelope(new TextEncoder().encode(oru(`S${i}`)), { sender: lab.identity, recipients: [gp.identity.certificate], messageId });
      await sender.submit(envelope, { messageId, to: [gp.address] });
    }
    expect(await pipeline.run()).toMatchObject({ fetched: 5, filed: 5 });
    ids.push(...more);
    const files = readdirSync(join(dir, 'emr')).filter((f) => !f.startsWith('.')).sort();
    expect(files).toEqual(ids.map((id) => `${id}.hl7`));
    expect(readFileSync(join(dir, 'emr', files[0]!), 'utf8')).toBe(oru('R0'));
    const listing = await client.listInbox();
    expect(listing.items.filter((e) => ids.includes(e.messageId)).every((e) => e.acknowledgedAt !== null)).toBe(true);
    pipeline.close();
  });
});
