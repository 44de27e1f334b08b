/**
 * Bulk collecting (docs/protocol.md §7): envelopes carried in the inbox listing
 * (`include=envelope`) and acknowledgements of many messages in one call (`POST …/acks`), through
 * the store contract and the HTTP API, run once per store (bulk-collect-sqlite.test.ts,
 * bulk-collect-postgres.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../relay/app.js';
import type { NewSubmission, RelayStore } from '../../relay/storage/types.js';
import { digestOf, login, makeMailbox, newId, randomEnvelope } from './helpers.js';
import type { StoreFactory, TestMailbox } from './helpers.js';

const DAY = 86_400_000;

function submission(data: Uint8Array, over: Partial<NewSubmission> = {}): NewSubmission {
  const now = Date.now();
  return { messageId: newId(), sender: 'alice@a.example', recipients: ['bob@b.example'], digest: digestOf(data), size: data.length, submittedAt: now, expiresAt: now + 5 * DAY, data, ...over };
}

interface Item {
  messageId: string;
  size: number;
  digest: string;
  acknowledgedAt: string | null;
  envelope?: string;
}

export function bulkCollectSuite(factory: StoreFactory): void {
  describe(`bulk collect, store contract (${factory.kind})`, () => {
    let store: RelayStore;
    beforeAll(async () => {
      store = await factory.create();
      for (const address of ['alice@a.example', 'bob@b.example', 'carol@b.example']) await store.addMailbox({ address, certificate: new Uint8Array([1]), createdAt: Date.now() });
    });
    afterAll(async () => store.close());

    it('acknowledges many in one call: idempotent, the first time stands, other mailboxes and expired messages not found', async () => {
      const now = Date.now();
      const subs = [randomEnvelope(100), randomEnvelope(200), randomEnvelope(300)].map((d) => submission(d));
      const expiring = submission(randomEnvelope(50), { expiresAt: now + 1000 });
      const carols = submission(randomEnvelope(60), { recipients: ['carol@b.example'] });
      for (const s of [...subs, expiring, carols]) expect((await store.submit(s)).kind).toBe('created');
      // One of them acknowledged earlier on its own.
      expect(await store.acknowledge('bob@b.example', subs[1]!.messageId, now)).toBe(now);
      const ids = [subs[0]!.messageId, subs[1]!.messageId, 'no-such-message', carols.messageId, expiring.messageId, subs[2]!.messageId];
      const later = now + 2000;
      expect(await store.acknowledgeMany('bob@b.example', ids, later)).toEqual([later, now, undefined, undefined, undefined, later]);
      // Again, later: the same times (idempotent), nothing new acknowledged.
      expect(await store.acknowledgeMany('bob@b.example', ids, later + 5000)).toEqual([later, now, undefined, undefined, undefined, later]);
      expect(await store.acknowledgeMany('bob@b.example', [], later)).toEqual([]);
      const listed = await store.listInbox('bob@b.example', 0, 100, later);
      expect(listed.filter((i) => i.acknowledgedAt !== null).map((i) => i.messageId).sort()).toEqual(subs.map((s) => s.messageId).sort());
      // Carol's message was not touched by Bob's call.
      expect((await store.listInbox('carol@b.example', 0, 100, later)).find((i) => i.messageId === carols.messageId)?.acknowledgedAt).toBeNull();
    });

    it('lists only unacknowledged deliveries when asked, unexpired, in order, paging by seq', async () => {
      await store.addMailbox({ address: 'una@b.example', certificate: new Uint8Array([1]), createdAt: Date.now() });
      const now = Date.now();
      const subs = Array.from({ length: 6 }, (_, i) => submission(randomEnvelope(40 + i), { recipients: ['una@b.example'], ...(i === 4 ? { expiresAt: now + 1000 } : {}) }));
      for (const s of subs) expect((await store.submit(s)).kind).toBe('created');
      await store.acknowledgeMany('una@b.example', [subs[0]!.messageId, subs[2]!.messageId], now);
      const later = now + 2000;
      const all = await store.listInbox('una@b.example', 0, 100, later);
      // Without the option: acknowledged ones too (kept through retention), the expired one not.
      expect(all.map((i) => i.messageId)).toEqual([0, 1, 2, 3, 5].map((i) => subs[i]!.messageId));
      const open = await store.listInbox('una@b.example', 0, 100, later, { unacknowledged: true });
      expect(open.map((i) => i.messageId)).toEqual([1, 3, 5].map((i) => subs[i]!.messageId));
      expect(open.every((i) => i.acknowledgedAt === null)).toBe(true);
      // Paging: after the first item's seq, the rest.
      const page = await store.listInbox('una@b.example', open[0]!.seq, 1, later, { unacknowledged: true });
      expect(page.map((i) => i.messageId)).toEqual([subs[3]!.messageId]);
    });

    it('reads whole contents of a mailbox, inline and chunked, leaving out what it does not hold', async () => {
      const now = Date.now();
      const small = randomEnvelope(700);
      const inline = submission(small);
      // Content in blob chunks, as a chunked upload leaves it: three chunks of 1000, 1000 and 500.
      const big = randomEnvelope(2500);
      const blobId = await store.createBlob(now);
      for (let seq = 0; seq * 1000 < big.length; seq++) await store.writeChunk(blobId, seq, seq * 1000, big.subarray(seq * 1000, Math.min(big.length, (seq + 1) * 1000)));
      const chunked: NewSubmission = { ...submission(big), data: undefined, blobId } as NewSubmission;
      delete (chunked as { data?: Uint8Array }).data;
      const carols = submission(randomEnvelope(80), { recipients: ['carol@b.example'] });
      const expiring = submission(randomEnvelope(90), { expiresAt: now + 1000 });
      for (const s of [inline, chunked, carols, expiring]) expect((await store.submit(s)).kind).toBe('created');
      const contents = await store.readContents('bob@b.example', [inline.messageId, chunked.messageId, carols.messageId, 'no-such-message', expiring.messageId], now + 2000);
      expect([...contents.keys()].sort()).toEqual([inline.messageId, chunked.messageId].sort());
      expect(Buffer.from(contents.get(inline.messageId)!)).toEqual(Buffer.from(small));
      expect(Buffer.from(contents.get(chunked.messageId)!)).toEqual(Buffer.from(big));
      expect((await store.readContents('bob@b.example', [], now)).size).toBe(0);
    });
  });

  describe(`bulk collect, HTTP API (${factory.kind})`, () => {
    let store: RelayStore;
    let app: FastifyInstance;
    let clock = Date.now();
    let alice: TestMailbox;
    let bob: TestMailbox;
    let aliceToken: string;
    let bobToken: string;
    // Small limits so a test page can reach them: envelopes of at most 2000 bytes, 5000 per page.
    beforeAll(async () => {
      store = await factory.create();
      [alice, bob] = await Promise.all([makeMailbox('alice@a.example'), makeMailbox('bob@b.example')]);
      for (const m of [alice, bob]) await store.addMailbox({ address: m.address, certificate: m.identity.certificate, createdAt: Date.now() });
      app = await buildApp({ store, logger: false, rateLimitPerIp: 0, rateLimitPerMailbox: 0, inlineEnvelopeBytes: 2000, inlinePageBytes: 5000, now: () => clock });
      aliceToken = await login(app, alice);
      bobToken = await login(app, bob);
    });
    afterAll(async () => {
      await app.close();
      await store.close();
    });

    const put = async (body: Uint8Array): Promise<string> => {
      const id = newId();
      const res = await app.inject({ method: 'PUT', url: `/v1/messages/${id}`, headers: { authorization: `Bearer ${aliceToken}`, 'content-type': 'application/octet-stream', 'sealpost-to': bob.address }, payload: Buffer.from(body) });
      expect(res.statusCode).toBe(201);
      return id;
    };
    const list = (query: string, token = bobToken) => app.inject({ method: 'GET', url: `/v1/mailboxes/${bob.address}/messages${query}`, headers: { authorization: `Bearer ${token}` } });
    const acks = (payload: unknown, token = bobToken, address = bob.address) =>
      app.inject({ method: 'POST', url: `/v1/mailboxes/${address}/acks`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
    const expectProblem = (res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }, status: number, code: string): void => {
      expect(res.statusCode).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status, code });
    };

    it('carries small unacknowledged envelopes in the listing, within the page budget, only when asked', async () => {
      // Sizes in listing order; 2500 is over the per-envelope limit, 1900 would take the page over 5000.
      const sizes = [1000, 2500, 1500, 1200, 1900, 800, 300];
      const bodies = sizes.map((n) => randomEnvelope(n));
      const ids: string[] = [];
      for (const b of bodies) ids.push(await put(b));
      // The 800-byte one is acknowledged: its recipient has it already.
      expect((await acks({ messageIds: [ids[5]] })).statusCode).toBe(200);

      const plain = (await list('')).json<{ items: Item[] }>();
      expect(plain.items.map((i) => i.messageId)).toEqual(ids);
      expect(plain.items.every((i) => !('envelope' in i))).toBe(true);

      const res = await list('?include=envelope');
      expect(res.statusCode).toBe(200);
      const page = res.json<{ items: Item[]; nextCursor: string | null }>();
      expect(page.items.map((i) => i.messageId)).toEqual(ids);
      // 1000 + 1500 + 1200 = 3700; 1900 does not fit in 5000, the 300 after it does: 4000.
      const inlined = page.items.flatMap((item, i) => (item.envelope === undefined ? [] : [i]));
      expect(inlined).toEqual([0, 2, 3, 6]);
      for (const i of inlined) {
        expect(Buffer.from(page.items[i]!.envelope!, 'base64url')).toEqual(Buffer.from(bodies[i]!));
        expect(page.items[i]!.digest).toBe(digestOf(bodies[i]!));
      }
      // base64url, as the protocol's other bytes in JSON: no padding, no '+' or '/'.
      expect(page.items.every((i) => i.envelope === undefined || /^[A-Za-z0-9_-]*$/.test(i.envelope))).toBe(true);
      // A page boundary restarts the budget: the second page of two carries its own.
      const first = (await list('?include=envelope&limit=3')).json<{ items: Item[]; nextCursor: string }>();
      expect(first.items.map((i) => i.envelope !== undefined)).toEqual([true, false, true]);
      const second = (await list(`?include=envelope&limit=3&cursor=${first.nextCursor}`)).json<{ items: Item[] }>();
      expect(second.items.map((i) => i.envelope !== undefined)).toEqual([true, true, false]);

      // Only the unacknowledged ones, with their envelopes: the acknowledged 800-byte one is gone from the page.
      const open = (await list('?include=envelope&only=unacknowledged')).json<{ items: Item[] }>();
      expect(open.items.map((i) => i.messageId)).toEqual(ids.filter((_, i) => i !== 5));
      expect(open.items.map((i) => i.envelope !== undefined)).toEqual([true, false, true, true, false, true]);
      expectProblem(await list('?include=body'), 400, 'ERR_RELAY_BAD_REQUEST');
      expectProblem(await list('?only=acknowledged'), 400, 'ERR_RELAY_BAD_REQUEST');
      expectProblem(await list('?include=envelope', aliceToken), 403, 'ERR_RELAY_FORBIDDEN');
      // Acknowledge them all, for the next test's clean inbox.
      expect((await acks({ messageIds: ids })).json<{ notFound: string[] }>().notFound).toEqual([]);
    });

    it('acknowledges many in one call: per id acknowledged or not found, idempotent, own mailbox only', async () => {
      const ids = [await put(randomEnvelope(100)), await put(randomEnvelope(100)), await put(randomEnvelope(100))];
      const alicesOwn = newId();
      expect((await app.inject({ method: 'PUT', url: `/v1/messages/${alicesOwn}`, headers: { authorization: `Bearer ${bobToken}`, 'content-type': 'application/octet-stream', 'sealpost-to': alice.address }, payload: Buffer.from(randomEnvelope(10)) })).statusCode).toBe(201);
      const first = clock;
      const res = await acks({ messageIds: [ids[0], 'unknown-id', ids[2], alicesOwn] });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        acknowledged: [
          { messageId: ids[0], acknowledgedAt: new Date(first).toISOString() },
          { messageId: ids[2], acknowledgedAt: new Date(first).toISOString() },
        ],
        // Alice's message is simply not in Bob's mailbox, as with the single acknowledgement.
        notFound: ['unknown-id', alicesOwn],
      });
      clock += 60_000;
      const again = (await acks({ messageIds: [ids[2], ids[1], ids[0]] })).json<{ acknowledged: { messageId: string; acknowledgedAt: string }[] }>();
      expect(again.acknowledged).toEqual([
        { messageId: ids[2], acknowledgedAt: new Date(first).toISOString() },
        { messageId: ids[1], acknowledgedAt: new Date(clock).toISOString() },
        { messageId: ids[0], acknowledgedAt: new Date(first).toISOString() },
      ]);
      // The single-id route sees the same state, and still answers as before.
      const single = await app.inject({ method: 'POST', url: `/v1/mailboxes/${bob.address}/messages/${ids[1]}/ack`, headers: { authorization: `Bearer ${bobToken}` } });
      expect(single.json()).toEqual({ messageId: ids[1], acknowledgedAt: new Date(clock).toISOString() });
      const listed = (await list('')).json<{ items: Item[] }>();
      expect(listed.items.filter((i) => ids.includes(i.messageId)).map((i) => i.acknowledgedAt)).toEqual([new Date(first).toISOString(), new Date(clock).toISOString(), new Date(first).toISOString()]);

      expectProblem(await acks({ messageIds: [ids[0]] }, aliceToken), 403, 'ERR_RELAY_FORBIDDEN');
      expectProblem(await acks({ messageIds: [alicesOwn] }, bobToken, alice.address), 403, 'ERR_RELAY_FORBIDDEN');
      const noToken = await app.inject({ method: 'POST', url: `/v1/mailboxes/${bob.address}/acks`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ messageIds: [ids[0]] }) });
      expectProblem(noToken, 401, 'ERR_RELAY_AUTH');
    });

    it('refuses malformed bulk acknowledgements whole, acknowledging nothing', async () => {
      const id = await put(randomEnvelope(100));
      for (const body of [
        { messageIds: [] },
        { messageIds: [id, id] },
        { messageIds: [id, 'not a message id'] },
        { messageIds: Array.from({ length: 1001 }, (_, i) => `m-${i}`) },
        { messageIds: [id], extra: true },
        { ids: [id] },
      ]) {
        expectProblem(await acks(body), 400, 'ERR_RELAY_BAD_REQUEST');
      }
      expect((await list('')).json<{ items: Item[] }>().items.find((i) => i.messageId === id)?.acknowledgedAt).toBeNull();
      // 1000 is the limit: accepted, one answer per id.
      const many = [id, ...Array.from({ length: 999 }, (_, i) => `m-${i}`)];
      const res = (await acks({ messageIds: many })).json<{ acknowledged: unknown[]; notFound: string[] }>();
      expect(res.acknowledged).toHaveLength(1);
      expect(res.notFound).toHaveLength(999);
    });
  });
}
