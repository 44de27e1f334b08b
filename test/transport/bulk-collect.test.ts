/**
 * RelayClient's bulk collecting against a real relay on 127.0.0.1 (port 0): envelopes carried in
 * the inbox listing (`include: 'envelope'`), checked like downloads, and `acknowledgeMany`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient, TransportError } from '@sealpost/sdk/transport';
import { startServer } from '../../relay/server.js';
import type { RunningServer } from '../../relay/server.js';
import { openSqliteStore } from '../../relay/storage/sqlite.js';
import type { RelayStore } from '../../relay/storage/types.js';
import { makeMailbox, newId, randomEnvelope } from '../relay/helpers.js';
import type { TestMailbox } from '../relay/helpers.js';

let dir: string;
let server: RunningServer;
let store: RelayStore;
let lab: TestMailbox;
let gp: TestMailbox;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sealpost-transport-bulk-'));
  store = openSqliteStore(join(dir, 'relay.db'));
  await store.migrate();
  [lab, gp] = await Promise.all([makeMailbox('results@lab.example'), makeMailbox('inbox@gp.example')]);
  for (const m of [lab, gp]) await store.addMailbox({ address: m.address, certificate: m.identity.certificate, createdAt: Date.now() });
  // Envelopes of at most 3000 bytes travel in the listing, 10 000 bytes per page.
  server = await startServer({ store, port: 0, logger: false, rateLimitPerIp: 0, rateLimitPerMailbox: 0, purgeIntervalMs: 0, inlineEnvelopeBytes: 3000, inlinePageBytes: 10_000 });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const client = (m: TestMailbox, fetchImpl?: typeof fetch) => new RelayClient({ relayUrl: server.url, address: m.address, identity: m.identity, sleep: async () => undefined, ...(fetchImpl ? { fetch: fetchImpl } : {}) });

async function send(sizes: number[]): Promise<{ id: string; body: Uint8Array }[]> {
  const sender = client(lab);
  const sent: { id: string; body: Uint8Array }[] = [];
  for (const size of sizes) {
    const body = randomEnvelope(size);
    const id = newId();
    await sender.submit(body, { messageId: id, to: [gp.address] });
    sent.push({ id, body });
  }
  return sent;
}

describe('RelayClient bulk collect', () => {
  it('lists with envelopes inline as bytes, the rest to download, and acknowledges them in one call', async () => {
    const sent = await send([2000, 5000, 2999]);
    const gpClient = client(gp);
    const page = await gpClient.listInbox({ include: 'envelope', only: 'unacknowledged' });
    const items = page.items.filter((i) => sent.some((s) => s.id === i.messageId));
    expect(items.map((i) => i.messageId)).toEqual(sent.map((s) => s.id));
    expect(items[0]!.envelope).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(items[0]!.envelope!)).toEqual(Buffer.from(sent[0]!.body));
    expect(items[1]!.envelope).toBeUndefined();
    expect(Buffer.from(items[2]!.envelope!)).toEqual(Buffer.from(sent[2]!.body));
    expect(Buffer.from(await gpClient.download(sent[1]!.id))).toEqual(Buffer.from(sent[1]!.body));
    // Without include nothing is inlined.
    expect((await gpClient.listInbox()).items.every((i) => i.envelope === undefined)).toBe(true);
    // The iterator passes include on.
    const seen: boolean[] = [];
    for await (const entry of gpClient.inbox({ include: 'envelope', limit: 2 })) if (sent.some((s) => s.id === entry.messageId)) seen.push(entry.envelope !== undefined);
    expect(seen).toEqual([true, false, true]);

    const result = await gpClient.acknowledgeMany([sent[0]!.id, sent[1]!.id, sent[0]!.id, 'never-sent', sent[2]!.id]);
    expect(result.acknowledged.map((a) => a.messageId)).toEqual(sent.map((s) => s.id));
    expect(result.acknowledged.every((a) => !Number.isNaN(Date.parse(a.acknowledgedAt)))).toBe(true);
    expect(result.notFound).toEqual(['never-sent']);
    // Only the unacknowledged: these three are gone from that view.
    expect((await gpClient.listInbox({ include: 'envelope', only: 'unacknowledged' })).items.some((i) => sent.some((s) => s.id === i.messageId))).toBe(false);
    const after = await gpClient.listInbox({ include: 'envelope' });
    // Acknowledged: listed (until retention ends), no longer carried.
    expect(after.items.filter((i) => sent.some((s) => s.id === i.messageId)).every((i) => i.acknowledgedAt !== null && i.envelope === undefined)).toBe(true);
    // Again: idempotent, the first times stand.
    expect((await gpClient.acknowledgeMany(sent.map((s) => s.id))).acknowledged).toEqual(result.acknowledged);
    expect(await gpClient.acknowledgeMany([])).toEqual({ acknowledged: [], notFound: [] });
  });

  it('refuses an inline envelope that does not match its digest, as a download would', async () => {
    const [one] = await send([1000]);
    // A relay (or a proxy) that changes one byte of the inline envelope.
    const tampering: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!String(input).includes('include=envelope')) return res;
      const page = (await res.json()) as { items: { messageId: string; envelope?: string }[] };
      for (const item of page.items) {
        if (item.messageId !== one!.id || !item.envelope) continue;
        const bytes = Buffer.from(item.envelope, 'base64url');
        bytes[10] = bytes[10]! ^ 1;
        item.envelope = bytes.toString('base64url');
      }
      return new Response(JSON.stringify(page), { status: 200, headers: { 'content-type': 'application/json' } });
    };
    const error = await client(gp, tampering).listInbox({ include: 'envelope' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ kind: 'digest', code: 'ERR_TRANSPORT_DIGEST' });
    await client(gp).acknowledgeMany([one!.id]);
  });

  it('splits more than 1000 ids into calls of 1000 and refuses malformed ids before sending', async () => {
    const calls: number[] = [];
    const counting: typeof fetch = async (input, init) => {
      if (String(input).endsWith('/acks')) calls.push((JSON.parse(String(init?.body)) as { messageIds: string[] }).messageIds.length);
      return fetch(input, init);
    };
    const [one] = await send([100]);
    const ids = [one!.id, ...Array.from({ length: 2100 }, (_, i) => `unknown-${i}`)];
    const result = await client(gp, counting).acknowledgeMany(ids);
    expect(calls).toEqual([1000, 1000, 101]);
    expect(result.acknowledged.map((a) => a.messageId)).toEqual([one!.id]);
    expect(result.notFound).toEqual(ids.slice(1));
    await expect(client(gp, counting).acknowledgeMany(['fine', 'not fine'])).rejects.toBeInstanceOf(TypeError);
    expect(calls).toHaveLength(3);
  });
});
