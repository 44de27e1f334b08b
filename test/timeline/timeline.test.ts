/**
 * The delivery timeline (docs/protocol.md, Timeline) against real relays on 127.0.0.1, on SQLite
 * and on PostgreSQL when available: signed relay events committed with the state they record,
 * recipient receipts, the sender-only view, expiry and give-up reports, events carried back across
 * federation exactly once, and the client-side verifier (including a tampered signature).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevCa, createReceipt, generateIdentity, MemorySeenStore, openEnvelope, sealEnvelope, TrustStore } from '@sealpost/sdk/crypto';
import type { Identity } from '@sealpost/sdk/crypto';
import { RelayClient, TransportError, verifyTimeline } from '@sealpost/sdk/transport';
import type { Timeline } from '@sealpost/sdk/transport';
import { startServer } from '../../relay/server.js';
import type { RunningServer } from '../../relay/server.js';
import { openPostgresStore } from '../../relay/storage/postgres.js';
import { openSqliteStore } from '../../relay/storage/sqlite.js';
import type { RelayStore } from '../../relay/storage/types.js';
import { signEventRequest } from '../../relay/timeline/carry-back.js';
import type { WireEvent } from '../../relay/timeline/carry-back.js';
import { postgresUnavailable, startPostgres } from '../relay/postgres-server.js';
import type { PostgresServer } from '../relay/postgres-server.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Backend {
  location(): Promise<string>;
  open(location: string): RelayStore;
}

const DAY = 86_400_000;
const FAST = { intervalMs: 50, baseDelayMs: 100, maxDelayMs: 400 };

function timelineSuite(backend: () => Backend): void {
  let ca: Awaited<ReturnType<typeof createDevCa>>;
  let trust: TrustStore;
  let relayA: Identity;
  let relayB: Identity;
  let alice: Identity;
  let bob: Identity;
  let carol: Identity;
  let dave: Identity;
  let erin: Identity;

  beforeAll(async () => {
    ca = await createDevCa({ name: 'Timeline Test CA' });
    trust = new TrustStore().addAnchor(ca.identity.certificate);
    const make = async (address: string): Promise<Identity> => (await generateIdentity({ name: address, address, issuer: ca.identity })).identity;
    [relayA, relayB, alice, bob, carol, dave, erin] = await Promise.all([
      make('relay@a.example'),
      make('relay@b.example'),
      make('alice@a.example'),
      make('bob@a.example'),
      make('carol@a.example'),
      make('dave@b.example'),
      make('erin@b.example'),
    ]);
  }, 60_000);

  const client = (server: RunningServer, address: string, identity: Identity): RelayClient => new RelayClient({ relayUrl: server.url, address, identity, retry: { attempts: 1 } });

  /** Seals a letter from alice, submits it, returns the envelope (alice's copy) and messageId. */
  const send = async (server: RunningServer, to: string, cert: Uint8Array): Promise<{ messageId: string; envelope: Uint8Array }> => {
    const messageId = randomUUID();
    const { envelope } = await sealEnvelope(new TextEncoder().encode(`letter ${messageId}`), { sender: alice, recipients: [cert], messageId });
    await client(server, 'alice@a.example', alice).submit(envelope, { messageId, to: [to] });
    return { messageId, envelope };
  };

  /** Downloads and opens a message as its recipient, then signs a receipt for it. */
  const receiptFor = async (server: RunningServer, address: string, identity: Identity, messageId: string, status: 'delivered' | 'read' | 'imported' | 'rejected', reason?: string): Promise<Uint8Array> => {
    const bytes = await client(server, address, identity).download(messageId);
    const opened = await openEnvelope(bytes, { identity, trust, seenStore: new MemorySeenStore() });
    return createReceipt(opened, { identity, status, ...(reason ? { reason } : {}) });
  };

  describe('on one relay', () => {
    let server: RunningServer;
    let skew = 0;
    beforeAll(async () => {
      const store = backend().open(await backend().location());
      await store.migrate();
      for (const [address, id] of [['alice@a.example', alice], ['bob@a.example', bob], ['carol@a.example', carol]] as const) await store.addMailbox({ address, certificate: id.certificate, createdAt: Date.now() });
      server = await startServer({ store, domain: 'a.example', identity: relayA, port: 0, logger: false, purgeIntervalMs: 0, rateLimitPerIp: 0, rateLimitPerMailbox: 0, now: () => Date.now() + skew });
    }, 60_000);
    afterAll(async () => server?.close());

    const verifyOptions = (original?: Uint8Array) => ({ relayUrls: { 'a.example': server.url }, relayTrust: trust, identity: alice, trust, ...(original ? { original } : {}) });

    it('records a signed accepted event with the 201, and the recipient receipts, each verified and bound to the message', async () => {
      const { messageId, envelope } = await send(server, 'bob@a.example', bob.certificate);
      const first = await client(server, 'alice@a.example', alice).timeline(messageId);
      expect(first.events).toMatchObject([{ kind: 'accepted', actor: 'a.example', recipient: null, format: 'jws' }]);
      const bobClient = client(server, 'bob@a.example', bob);
      const delivered = await receiptFor(server, 'bob@a.example', bob, messageId, 'delivered');
      expect(await bobClient.sendReceipt(messageId, delivered, { status: 'delivered' })).toMatchObject({ messageId, kind: 'delivered', stored: 'created' });
      // Re-sent after a crash: stored once.
      expect(await bobClient.sendReceipt(messageId, delivered, { status: 'delivered' })).toMatchObject({ kind: 'delivered', stored: 'exists' });
      const read = await receiptFor(server, 'bob@a.example', bob, messageId, 'read');
      await bobClient.sendReceipt(messageId, read, { status: 'read' });
      const timeline = await client(server, 'alice@a.example', alice).timeline(messageId);
      expect(timeline.events.map((e) => [e.kind, e.actor, e.recipient])).toEqual([
        ['accepted', 'a.example', null],
        ['delivered', 'bob@a.example', 'bob@a.example'],
        ['read', 'bob@a.example', 'bob@a.example'],
      ]);
      const checked = await verifyTimeline(timeline, verifyOptions(envelope));
      expect(checked.map((e) => [e.kind, e.verified, e.bound, e.problem])).toEqual([
        ['accepted', true, true, undefined],
        ['delivered', true, true, undefined],
        ['read', true, true, undefined],
      ]);
      expect(checked[0]!.claims).toMatchObject({ messageId, kind: 'accepted', actor: 'a.example', sender: 'alice@a.example', recipients: ['bob@a.example'] });
      // Without the sender's copy: signatures checked, binding unknown, and said so.
      const loose = await verifyTimeline(timeline, verifyOptions());
      expect(loose[1]).toMatchObject({ verified: true, bound: 'unknown', problem: expect.stringMatching(/no copy of the message/) });
    }, 60_000);

    it('shows the timeline only to the sender and takes receipts only from recipients (404 otherwise, no existence leak)', async () => {
      const { messageId } = await send(server, 'bob@a.example', bob.certificate);
      const asBob = await client(server, 'bob@a.example', bob).timeline(messageId).catch((e: unknown) => e);
      const missing = await client(server, 'bob@a.example', bob).timeline(randomUUID()).catch((e: unknown) => e);
      for (const error of [asBob, missing]) {
        expect(error).toBeInstanceOf(TransportError);
        expect(error).toMatchObject({ status: 404, problem: { code: 'ERR_RELAY_NOT_FOUND' } });
      }
      const receipt = await receiptFor(server, 'bob@a.example', bob, messageId, 'delivered');
      const asCarol = await client(server, 'carol@a.example', carol).sendReceipt(messageId, receipt, { status: 'delivered' }).catch((e: unknown) => e);
      expect(asCarol).toMatchObject({ status: 404, problem: { code: 'ERR_RELAY_NOT_FOUND' } });
      const noReason = await server.app.inject({ method: 'POST', url: `/v1/messages/${messageId}/receipts`, headers: { authorization: `Bearer ${await client(server, 'bob@a.example', bob).login()}` }, payload: { status: 'rejected', receipt: 'AAAAAAAAAAAAAAAAAAAAAA' } });
      expect(noReason.statusCode).toBe(400);
      expect(noReason.json()).toMatchObject({ code: 'ERR_RELAY_BAD_REQUEST' });
      expect((await client(server, 'alice@a.example', alice).timeline(messageId)).events.map((e) => e.kind)).toEqual(['accepted']);
    }, 60_000);

    it('takes a late read receipt after the message was acknowledged and purged, still only from a recipient', async () => {
      const { messageId, envelope } = await send(server, 'bob@a.example', bob.certificate);
      const read = await receiptFor(server, 'bob@a.example', bob, messageId, 'read');
      await client(server, 'bob@a.example', bob).acknowledge(messageId);
      skew = 8 * DAY;
      try {
        await server.app.relay.store.purge(Date.now() + skew, { retentionMs: 7 * DAY, orphanBlobAgeMs: 60_000 });
        expect(await server.app.relay.store.getAnswer(messageId)).toBeUndefined();
        expect(await client(server, 'bob@a.example', bob).sendReceipt(messageId, read, { status: 'read' })).toMatchObject({ stored: 'created' });
        const asCarol = await client(server, 'carol@a.example', carol).sendReceipt(messageId, read, { status: 'read' }).catch((e: unknown) => e);
        expect(asCarol).toMatchObject({ status: 404, problem: { code: 'ERR_RELAY_NOT_FOUND' } });
        const timeline = await client(server, 'alice@a.example', alice).timeline(messageId);
        expect(timeline.events.map((e) => e.kind)).toEqual(['accepted', 'read']);
        expect((await verifyTimeline(timeline, verifyOptions(envelope))).every((e) => e.verified && e.bound === true)).toBe(true);
      } finally {
        skew = 0;
      }
    }, 60_000);

    it('records expiry of an uncollected message as a signed expired event (pinned clock)', async () => {
      const { messageId, envelope } = await send(server, 'carol@a.example', carol.certificate);
      const store = server.app.relay.store;
      // Not yet expired: nothing.
      await store.purge(Date.now() + skew, { retentionMs: 7 * DAY, orphanBlobAgeMs: 60_000 });
      expect((await client(server, 'alice@a.example', alice).timeline(messageId)).events.map((e) => e.kind)).toEqual(['accepted']);
      skew = 5 * DAY + 60_000;
      const result = await store.purge(Date.now() + skew, { retentionMs: 7 * DAY, orphanBlobAgeMs: 60_000 });
      expect(result.expired).toBeGreaterThanOrEqual(1);
      expect(await store.getDelivery('carol@a.example', messageId, Date.now() + skew)).toBeUndefined();
      const timeline = await client(server, 'alice@a.example', alice).timeline(messageId);
      expect(timeline.events.map((e) => [e.kind, e.actor, e.recipient])).toEqual([
        ['accepted', 'a.example', null],
        ['expired', 'a.example', 'carol@a.example'],
      ]);
      const checked = await verifyTimeline(timeline, { ...verifyOptions(envelope), at: new Date(Date.now() + skew) });
      expect(checked.map((e) => [e.kind, e.verified, e.bound])).toEqual([
        ['accepted', true, true],
        ['expired', true, true],
      ]);
      skew = 0;
    }, 60_000);

    it('reports a tampered event or receipt as not verified, with the reason', async () => {
      const { messageId, envelope } = await send(server, 'bob@a.example', bob.certificate);
      const receipt = await receiptFor(server, 'bob@a.example', bob, messageId, 'delivered');
      await client(server, 'bob@a.example', bob).sendReceipt(messageId, receipt, { status: 'delivered' });
      const timeline = await client(server, 'alice@a.example', alice).timeline(messageId);
      const jws = Buffer.from(timeline.events[0]!.signed!, 'base64url').toString('ascii');
      const [h, p, s] = jws.split('.') as [string, string, string];
      const sig = Buffer.from(s, 'base64url');
      sig[5] = sig[5]! ^ 1;
      // Claims rewritten (another recipient) under the original signature, and a flipped signature bit.
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { recipients: string[] };
      claims.recipients = ['mallory@a.example'];
      const flipped: Timeline = { ...timeline, events: [{ ...timeline.events[0]!, signed: Buffer.from(`${h}.${p}.${sig.toString('base64url')}`).toString('base64url') }] };
      const rewritten: Timeline = { ...timeline, events: [{ ...timeline.events[0]!, signed: Buffer.from(`${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`).toString('base64url') }] };
      for (const bad of [flipped, rewritten]) {
        const [checked] = await verifyTimeline(bad, verifyOptions(envelope));
        expect(checked).toMatchObject({ kind: 'accepted', verified: false, problem: "the signature is not a.example's" });
      }
      const cms = Buffer.from(timeline.events[1]!.signed!, 'base64url');
      cms[cms.length - 20] = cms[cms.length - 20]! ^ 0xff;
      const [badReceipt] = await verifyTimeline({ ...timeline, events: [{ ...timeline.events[1]!, signed: cms.toString('base64url') }] }, verifyOptions(envelope));
      expect(badReceipt).toMatchObject({ kind: 'delivered', verified: false, problem: expect.stringMatching(/^ERR_ENVELOPE_/) });
      // The relay says "read" but the signed receipt says "delivered".
      const [relabelled] = await verifyTimeline({ ...timeline, events: [{ ...timeline.events[1]!, kind: 'read' }] }, verifyOptions(envelope));
      expect(relabelled).toMatchObject({ verified: false, problem: 'the signed status is delivered, the relay says read' });
      // A certificate for another relay is refused.
      const [wrongCert] = await verifyTimeline(timeline, { relayCertificates: { 'a.example': relayB.certificate } });
      expect(wrongCert).toMatchObject({ verified: false, problem: 'the relay certificate does not name relay@a.example' });
    }, 60_000);
  });

  describe('across two relays', () => {
    let a: RunningServer;
    let b: RunningServer;
    let storeB: RelayStore;
    let locationB: string;
    let portB: number;
    let peersB: Record<string, string>;
    let skewB = 0;
    let skewA = 0;

    const startB = async (): Promise<RunningServer> => {
      storeB = backend().open(locationB);
      await storeB.migrate();
      return startServer({ store: storeB, domain: 'b.example', port: portB, peers: peersB, identity: relayB, logger: false, purgeIntervalMs: 0, rateLimitPerIp: 0, rateLimitPerMailbox: 0, forwarder: FAST, now: () => Date.now() + skewB });
    };

    beforeAll(async () => {
      const portA = await freePort();
      portB = await freePort();
      peersB = { 'a.example': `http://127.0.0.1:${portA}` };
      // down.example: a pinned peer that never answers (nothing listens on that port).
      const portDown = await freePort();
      const storeA = backend().open(await backend().location());
      await storeA.migrate();
      await storeA.addMailbox({ address: 'alice@a.example', certificate: alice.certificate, createdAt: Date.now() });
      locationB = await backend().location();
      b = await startB();
      await storeB.addMailbox({ address: 'dave@b.example', certificate: dave.certificate, createdAt: Date.now() });
      await storeB.addMailbox({ address: 'erin@b.example', certificate: erin.certificate, createdAt: Date.now() });
      a = await startServer({
        store: storeA,
        domain: 'a.example',
        port: portA,
        peers: { 'b.example': `http://127.0.0.1:${portB}`, 'down.example': `http://127.0.0.1:${portDown}` },
        identity: relayA,
        logger: false,
        purgeIntervalMs: 0,
        forwarder: FAST,
        now: () => Date.now() + skewA,
      });
    }, 60_000);
    afterAll(async () => {
      await a?.close();
      await b?.close();
    });

    const timelineAtA = (messageId: string): Promise<Timeline> => client(a, 'alice@a.example', alice).timeline(messageId);
    const has = (kinds: string[]) => async (messageId: string): Promise<Timeline | undefined> => {
      const t = await timelineAtA(messageId);
      return kinds.every((k) => t.events.some((e) => e.kind === k)) ? t : undefined;
    };
    const verifyAtA = (t: Timeline, original: Uint8Array, at?: Date) =>
      verifyTimeline(t, { relayUrls: { 'a.example': a.url, 'b.example': b.url }, relayTrust: trust, identity: alice, trust, original, ...(at ? { at } : {}) });

    it("shows B's signed forwarded event and B's recipient's receipts in A's timeline, all verified", async () => {
      const { messageId, envelope } = await send(a, 'dave@b.example', dave.certificate);
      await waitFor('forwarded at A', () => has(['forwarded'])(messageId));
      const daveClient = client(b, 'dave@b.example', dave);
      await daveClient.sendReceipt(messageId, await receiptFor(b, 'dave@b.example', dave, messageId, 'delivered'), { status: 'delivered' });
      await daveClient.sendReceipt(messageId, await receiptFor(b, 'dave@b.example', dave, messageId, 'imported'), { status: 'imported' });
      await daveClient.sendReceipt(messageId, await receiptFor(b, 'dave@b.example', dave, messageId, 'read'), { status: 'read' });
      const timeline = await waitFor('the receipts at A', () => has(['delivered', 'imported', 'read'])(messageId));
      expect(timeline.events.map((e) => [e.kind, e.actor, e.recipient])).toEqual([
        ['accepted', 'a.example', null],
        ['forwarded', 'b.example', 'dave@b.example'],
        ['delivered', 'dave@b.example', 'dave@b.example'],
        ['imported', 'dave@b.example', 'dave@b.example'],
        ['read', 'dave@b.example', 'dave@b.example'],
      ]);
      const checked = await verifyAtA(timeline, envelope);
      expect(checked.every((e) => e.verified && e.bound === true)).toBe(true);
    }, 90_000);

    it('carries events back exactly once: B down then up, and a repeated carry is stored once', async () => {
      await b.close();
      const sent: { messageId: string; envelope: Uint8Array }[] = [];
      for (let i = 0; i < 4; i++) sent.push(await send(a, 'dave@b.example', dave.certificate));
      await waitFor('failed attempts at A', async () => {
        const rows = (await a.app.relay.store.listOutbound()).filter((r) => sent.some((s) => s.messageId === r.messageId));
        return rows.length === sent.length && rows.every((r) => r.attempts >= 1 && r.forwardedAt === null) ? true : undefined;
      });
      b = await startB();
      for (const { messageId } of sent) await waitFor('forwarded at A', () => has(['forwarded'])(messageId));
      // Let the forwarders run a few more rounds, then count.
      await new Promise((r) => setTimeout(r, 300));
      for (const { messageId } of sent) {
        const events = (await timelineAtA(messageId)).events;
        expect(events.map((e) => e.kind)).toEqual(['accepted', 'forwarded']);
      }
      // B's event rows are marked carried; a manual repeat of the carry is accepted and stored once.
      const [row] = (await storeB.listTimeline(sent[0]!.messageId)).filter((e) => e.kind === 'forwarded');
      expect(row).toMatchObject({ returnTo: 'a.example', returnedAt: expect.any(Number), failedAt: null });
      const wire: WireEvent = { messageId: row!.messageId, kind: row!.kind, at: new Date(row!.at).toISOString(), actor: row!.actor, recipient: row!.recipient, reason: row!.reason, format: row!.format, signed: Buffer.from(row!.signed!).toString('base64url') };
      const post = async (signer: Identity): Promise<Response> =>
        fetch(`${a.url}/v1/relay/events`, { method: 'POST', headers: { 'content-type': 'application/json', 'sealpost-relay': 'b.example', 'sealpost-relay-signature': await signEventRequest(signer, 'b.example', wire) }, body: JSON.stringify(wire) });
      const again = await post(relayB);
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual({ stored: 'exists' });
      expect((await timelineAtA(sent[0]!.messageId)).events).toHaveLength(2);
      // Signed by A's own key while claiming to be B: refused.
      const forged = await post(relayA);
      expect(forged.status).toBe(401);
      expect(await forged.json()).toMatchObject({ code: 'ERR_RELAY_AUTH' });
      // B reporting for a recipient A never sent this message to: refused.
      const other = await send(a, 'dave@b.example', dave.certificate);
      const stray = { ...wire, messageId: other.messageId };
      const res = await fetch(`${a.url}/v1/relay/events`, { method: 'POST', headers: { 'content-type': 'application/json', 'sealpost-relay': 'b.example', 'sealpost-relay-signature': await signEventRequest(relayB, 'b.example', { ...stray, recipient: 'erin@b.example' }) }, body: JSON.stringify({ ...stray, recipient: 'erin@b.example' }) });
      expect(res.status).toBe(404);
    }, 120_000);

    it('records a final refusal by the peer as a signed undeliverable event at the home relay', async () => {
      const { messageId, envelope } = await send(a, 'nobody@b.example', dave.certificate);
      const timeline = await waitFor('undeliverable at A', () => has(['undeliverable'])(messageId));
      const event = timeline.events.find((e) => e.kind === 'undeliverable')!;
      expect(event).toMatchObject({ actor: 'a.example', recipient: 'nobody@b.example', reason: expect.stringMatching(/^422 ERR_RELAY_UNKNOWN_RECIPIENT/) });
      const checked = await verifyAtA(timeline, envelope);
      expect(checked.map((e) => [e.kind, e.verified])).toEqual([
        ['accepted', true],
        ['undeliverable', true],
      ]);
    }, 60_000);

    it('delivers to two recipients on B (one forward each) and shows a forwarded event and receipt for each', async () => {
      const messageId = randomUUID();
      const { envelope } = await sealEnvelope(new TextEncoder().encode('to both'), { sender: alice, recipients: [dave.certificate, erin.certificate], messageId });
      await client(a, 'alice@a.example', alice).submit(envelope, { messageId, to: ['dave@b.example', 'erin@b.example'] });
      await waitFor('two forwarded events', async () => ((await timelineAtA(messageId)).events.filter((e) => e.kind === 'forwarded').length === 2 ? true : undefined));
      await client(b, 'erin@b.example', erin).sendReceipt(messageId, await receiptFor(b, 'erin@b.example', erin, messageId, 'delivered'), { status: 'delivered' });
      await client(b, 'dave@b.example', dave).sendReceipt(messageId, await receiptFor(b, 'dave@b.example', dave, messageId, 'delivered'), { status: 'delivered' });
      const timeline = await waitFor('both receipts', async () => {
        const t = await timelineAtA(messageId);
        return t.events.filter((e) => e.kind === 'delivered').length === 2 ? t : undefined;
      });
      expect(timeline.events.map((e) => `${e.kind} ${e.recipient ?? '*'}`).sort()).toEqual(['accepted *', 'delivered dave@b.example', 'delivered erin@b.example', 'forwarded dave@b.example', 'forwarded erin@b.example']);
      expect((await verifyAtA(timeline, envelope)).every((e) => e.verified && e.bound === true)).toBe(true);
    }, 60_000);

    it('gives up on a forward still pending after the give-up age and records a signed undeliverable event', async () => {
      const { messageId, envelope } = await send(a, 'nobody@down.example', dave.certificate);
      await waitFor('failed attempts', async () => ((await a.app.relay.store.listOutbound()).find((r) => r.messageId === messageId && r.attempts >= 1) ? true : undefined));
      expect((await timelineAtA(messageId)).events.map((e) => e.kind)).toEqual(['accepted']);
      skewA = 5 * DAY + 60_000;
      try {
        const timeline = await waitFor('undeliverable at A', () => has(['undeliverable'])(messageId));
        const event = timeline.events.find((e) => e.kind === 'undeliverable')!;
        expect(event).toMatchObject({ actor: 'a.example', recipient: 'nobody@down.example', reason: expect.stringMatching(/federation gave up/) });
        expect((await a.app.relay.store.listOutbound()).find((r) => r.messageId === messageId)).toMatchObject({ failedAt: expect.any(Number), forwardedAt: null });
        const checked = await verifyAtA(timeline, envelope, new Date(Date.now() + skewA));
        expect(checked.map((e) => [e.kind, e.verified])).toEqual([
          ['accepted', true],
          ['undeliverable', true],
        ]);
      } finally {
        skewA = 0;
      }
    }, 60_000);

    it("sends B's non-delivery report (expired, signed by B) back to the sender's relay", async () => {
      const { messageId, envelope } = await send(a, 'dave@b.example', dave.certificate);
      await waitFor('forwarded at A', () => has(['forwarded'])(messageId));
      skewB = 5 * DAY + 60_000;
      try {
        await storeB.purge(Date.now() + skewB, { retentionMs: 7 * DAY, orphanBlobAgeMs: 60_000 });
        const timeline = await waitFor('expired at A', () => has(['expired'])(messageId));
        expect(timeline.events.map((e) => [e.kind, e.actor, e.recipient])).toEqual([
          ['accepted', 'a.example', null],
          ['forwarded', 'b.example', 'dave@b.example'],
          ['expired', 'b.example', 'dave@b.example'],
        ]);
        const checked = await verifyAtA(timeline, envelope);
        expect(checked.every((e) => e.verified && e.bound === true)).toBe(true);
      } finally {
        skewB = 0;
      }
    }, 60_000);
  });
}

describe('on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-timeline-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  timelineSuite(() => ({ location: async () => join(dir, `${randomUUID()}.db`), open: (path) => openSqliteStore(path) }));
});

const missing = postgresUnavailable();
describe.skipIf(missing !== undefined)('on PostgreSQL', () => {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(async () => server?.stop());
  timelineSuite(() => ({ location: () => server!.createDatabase(), open: (url) => openPostgresStore(url) }));
});
