/**
 * Federation between two relays on 127.0.0.1 with different domains (docs/protocol.md,
 * Federation): cross-relay send and receive, a peer that is down while letters queue up, dedupe by
 * messageId at the receiving relay, and the hop limit. Runs on SQLite, and on PostgreSQL when it
 * is available (test/relay/postgres-server.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevCa, generateIdentity, MemorySeenStore, openEnvelope, sealEnvelope, TrustStore } from '@sealpost/sdk/crypto';
import type { Identity } from '@sealpost/sdk/crypto';
import { RelayClient } from '@sealpost/sdk/transport';
import { backoffDelay } from '../../relay/federation/forwarder.js';
import { signForward } from '../../relay/federation/signing.js';
import { startServer } from '../../relay/server.js';
import type { RunningServer } from '../../relay/server.js';
import { openPostgresStore } from '../../relay/storage/postgres.js';
import { openSqliteStore } from '../../relay/storage/sqlite.js';
import type { RelayStore } from '../../relay/storage/types.js';
import { digestOf, randomEnvelope } from './helpers.js';
import { postgresUnavailable, startPostgres } from './postgres-server.js';
import type { PostgresServer } from './postgres-server.js';

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

/** Where a relay keeps its data, reopened across a restart. */
interface Backend {
  kind: string;
  location(): Promise<string>;
  open(location: string): RelayStore;
}

function federationSuite(backend: () => Backend): void {
  describe('the outbound queue in the store', () => {
    it('commits forwards with the message, once; keeps the message while a forward is pending; purges after retention', async () => {
      const store = backend().open(await backend().location());
      await store.migrate();
      try {
        const now = Date.now();
        const submission = {
          messageId: randomUUID(),
          sender: 'alice@a.example',
          recipients: ['carol@a.example', 'bob@b.example'],
          digest: digestOf(new Uint8Array([1, 2, 3])),
          size: 3,
          submittedAt: now,
          expiresAt: now + 86_400_000,
          data: new Uint8Array([1, 2, 3]),
          forward: [{ recipient: 'bob@b.example', peer: 'b.example' }],
          hops: 2,
        };
        expect((await store.submit(submission)).kind).toBe('created');
        expect((await store.submit(submission)).kind).toBe('replayed');
        const rows = await store.listOutbound();
        expect(rows).toEqual([
          { messageId: submission.messageId, recipient: 'bob@b.example', peer: 'b.example', sender: 'alice@a.example', digest: submission.digest, size: 3, blobId: expect.any(String), hops: 2, attempts: 0, nextAttemptAt: now, forwardedAt: null, failedAt: null, lastError: null },
        ]);
        // Only the local recipient has a delivery.
        expect(await store.getDelivery('bob@b.example', submission.messageId, now)).toBeUndefined();
        expect(await store.getDelivery('carol@a.example', submission.messageId, now)).toBeDefined();
        expect(await store.dueOutbound(now - 1, 10)).toEqual([]);
        expect(await store.dueOutbound(now, 10)).toHaveLength(1);
        await store.updateOutbound(submission.messageId, 'bob@b.example', { nextAttemptAt: now + 5000, lastError: 'fetch failed' });
        expect(await store.dueOutbound(now + 4999, 10)).toEqual([]);
        // The local delivery goes (acknowledged, past retention); the pending forward keeps the message.
        await store.acknowledge('carol@a.example', submission.messageId, now);
        await store.purge(now + 1000, { retentionMs: 500, orphanBlobAgeMs: 0 });
        expect(await store.getAnswer(submission.messageId)).toBeDefined();
        expect(await store.dueOutbound(now + 5000, 10)).toMatchObject([{ attempts: 1, lastError: 'fetch failed' }]);
        await store.updateOutbound(submission.messageId, 'bob@b.example', { forwardedAt: now + 6000 });
        expect(await store.dueOutbound(now + 60_000, 10)).toEqual([]);
        await store.purge(now + 7000, { retentionMs: 500, orphanBlobAgeMs: 0 });
        expect(await store.listOutbound()).toEqual([]);
        expect(await store.getAnswer(submission.messageId)).toBeUndefined();
      } finally {
        await store.close();
      }
    });

    it('claims each due forward once (skipping busy peers), records outcomes in one go, and lets a lapsed claim come back', async () => {
      const location = await backend().location();
      const store = backend().open(location);
      await store.migrate();
      // On PostgreSQL a second store object is another relay process on the same database; on
      // SQLite the claim is the one process's, so the same object claims again.
      const other = backend().kind === 'postgres' ? backend().open(location) : store;
      try {
        const now = Date.now();
        const body = new Uint8Array([7]);
        for (let i = 0; i < 6; i++) {
          const peer = i < 4 ? 'b.example' : 'c.example';
          const recipient = `r${i}@${peer}`;
          await store.submit({ messageId: randomUUID(), sender: 'alice@a.example', recipients: [recipient], digest: digestOf(body), size: 1, submittedAt: now + i, expiresAt: now + 86_400_000, data: body, forward: [{ recipient, peer }] });
        }
        const lease = { leaseUntil: now + 60_000 };
        const [first, second] = await Promise.all([store.claimOutbound(now + 10, 3, lease), other.claimOutbound(now + 10, 3, lease)]);
        const key = (o: { messageId: string; recipient: string }): string => `${o.messageId} ${o.recipient}`;
        expect(first).toHaveLength(3);
        expect(second).toHaveLength(3);
        expect(new Set([...first, ...second].map(key)).size).toBe(6);
        expect(await store.claimOutbound(now + 10, 10, lease)).toEqual([]);
        // Settled for a retry in 5 s: due again then, not before; forwarded: never again.
        const [retry, ...done] = [...first, ...second];
        await store.settleOutbound([
          { messageId: retry!.messageId, recipient: retry!.recipient, nextAttemptAt: now + 5000, lastError: 'fetch failed' },
          ...done.map((o) => ({ messageId: o.messageId, recipient: o.recipient, forwardedAt: now + 20 })),
        ]);
        expect(await store.claimOutbound(now + 4999, 10, lease)).toEqual([]);
        expect(await store.claimOutbound(now + 5000, 10, { ...lease, skipPeers: [retry!.peer] })).toEqual([]);
        const again = await store.claimOutbound(now + 5000, 10, { leaseUntil: now + 6000 });
        expect(again.map(key)).toEqual([key(retry!)]);
        expect(again[0]).toMatchObject({ attempts: 1, lastError: 'fetch failed' });
        // Its claimer "died": the lease lapses and another claim takes it.
        expect(await other.claimOutbound(now + 5999, 10, lease)).toEqual([]);
        expect((await other.claimOutbound(now + 6000, 10, lease)).map(key)).toEqual([key(retry!)]);
        // A forward already forwarded is not turned into a failure by a late outcome.
        const [forwarded] = done;
        await store.settleOutbound([{ messageId: forwarded!.messageId, recipient: forwarded!.recipient, failedAt: now + 30, lastError: 'late' }]);
        expect((await store.listOutbound()).find((o) => key(o) === key(forwarded!))).toMatchObject({ forwardedAt: now + 20, failedAt: null, attempts: 1 });
      } finally {
        if (other !== store) await other.close();
        await store.close();
      }
    });
  });

  describe(`federation between two relays`, () => {
    let ca: Awaited<ReturnType<typeof createDevCa>>;
    let relayA: Identity;
    let relayB: Identity;
    let alice: Identity;
    let bob: Identity;
    let storeB: RelayStore;
    let locationB: string;
    let a: RunningServer;
    let b: RunningServer;
    let portB: number;
    let peersA: Record<string, string>;
    let peersB: Record<string, string>;

    const startB = async (): Promise<RunningServer> => {
      storeB = backend().open(locationB);
      await storeB.migrate();
      return startServer({ store: storeB, domain: 'b.example', port: portB, peers: peersB, identity: relayB, logger: false, purgeIntervalMs: 0, forwarder: { intervalMs: 50, baseDelayMs: 100, maxDelayMs: 400 } });
    };

    beforeAll(async () => {
      ca = await createDevCa({ name: 'Federation Test CA' });
      const make = async (address: string): Promise<Identity> => (await generateIdentity({ name: address, address, issuer: ca.identity })).identity;
      [relayA, relayB, alice, bob] = await Promise.all([make('relay@a.example'), make('relay@b.example'), make('alice@a.example'), make('bob@b.example')]);
      const portA = await freePort();
      portB = await freePort();
      // loop.example points each relay at the other: a closed loop.
      peersA = { 'b.example': `http://127.0.0.1:${portB}`, 'loop.example': `http://127.0.0.1:${portB}` };
      peersB = { 'a.example': `http://127.0.0.1:${portA}`, 'loop.example': `http://127.0.0.1:${portA}` };
      const storeA = backend().open(await backend().location());
      await storeA.migrate();
      await storeA.addMailbox({ address: 'alice@a.example', certificate: alice.certificate, createdAt: Date.now() });
      locationB = await backend().location();
      b = await startB();
      await storeB.addMailbox({ address: 'bob@b.example', certificate: bob.certificate, createdAt: Date.now() });
      a = await startServer({ store: storeA, domain: 'a.example', port: portA, peers: peersA, identity: relayA, logger: false, purgeIntervalMs: 0, forwarder: { intervalMs: 50, baseDelayMs: 100, maxDelayMs: 400 } });
    }, 60_000);
    afterAll(async () => {
      await a?.close();
      await b?.close();
    });

    const aliceAtA = (): RelayClient => new RelayClient({ relayUrl: a.url, address: 'alice@a.example', identity: alice, retry: { attempts: 1 } });
    const bobAtB = (): RelayClient => new RelayClient({ relayUrl: b.url, address: 'bob@b.example', identity: bob });
    const inboxIds = async (): Promise<string[]> => {
      const ids: string[] = [];
      let cursor: string | null = null;
      const client = bobAtB();
      do {
        const page = await client.listInbox({ cursor, limit: 100 });
        ids.push(...page.items.map((item) => item.messageId));
        cursor = page.nextCursor;
      } while (cursor !== null);
      return ids;
    };

    it('sends from A to B: queued at A, forwarded, and the envelope opens at the recipient on B', async () => {
      const messageId = randomUUID();
      const letter = new TextEncoder().encode('Dear Dr Bob, referral attached.');
      const { envelope } = await sealEnvelope(letter, { sender: alice, recipients: [bob.certificate], messageId });
      const answer = await aliceAtA().submit(envelope, { messageId, to: ['bob@b.example'] });
      expect(answer.recipients).toEqual(['bob@b.example']);
      // Nothing is delivered locally at A: it is in A's outbound queue.
      const outbound = await waitFor('the forward', async () => {
        const row = (await a.app.relay.store.listOutbound()).find((r) => r.messageId === messageId);
        return row?.forwardedAt ? row : undefined;
      });
      expect(outbound).toMatchObject({ recipient: 'bob@b.example', peer: 'b.example', sender: 'alice@a.example', hops: 0, failedAt: null });
      await waitFor('the letter in bob@b.example', async () => ((await inboxIds()).includes(messageId) ? true : undefined));
      const page = await bobAtB().listInbox();
      expect(page.items.find((item) => item.messageId === messageId)).toMatchObject({ from: 'alice@a.example', digest: digestOf(envelope), size: envelope.length });
      const downloaded = await bobAtB().download(messageId);
      const opened = await openEnvelope(downloaded, { identity: bob, trust: new TrustStore().addAnchor(ca.identity.certificate), seenStore: new MemorySeenStore() });
      expect(new TextDecoder().decode(opened.payload)).toBe('Dear Dr Bob, referral attached.');
      // B's signed `forwarded` came back in B's answer to the forward (Sealpost-Events: inline):
      // recorded at A with the outcome, and at B as returned, never posted on its own.
      const atB = (await b.app.relay.store.listTimeline(messageId)).find((e) => e.kind === 'forwarded');
      expect(atB).toMatchObject({ actor: 'b.example', recipient: 'bob@b.example', returnTo: 'a.example', attempts: 0, returnedAt: expect.any(Number) });
      const atA = (await a.app.relay.store.listTimeline(messageId)).find((e) => e.kind === 'forwarded');
      expect(atA).toMatchObject({ actor: 'b.example', recipient: 'bob@b.example', format: 'jws', returnTo: null });
      expect(Buffer.from(atA!.signed!).equals(Buffer.from(atB!.signed!))).toBe(true);
    }, 60_000);

    it('keeps letters while B is down and delivers each exactly once when B returns', async () => {
      await b.close();
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) {
        const messageId = randomUUID();
        const { envelope } = await sealEnvelope(new TextEncoder().encode(`letter ${i}`), { sender: alice, recipients: [bob.certificate], messageId });
        await aliceAtA().submit(envelope, { messageId, to: ['bob@b.example'] });
        ids.push(messageId);
      }
      // Every forward fails at least once while B is down, and stays queued.
      await waitFor('failed attempts', async () => {
        const rows = (await a.app.relay.store.listOutbound()).filter((r) => ids.includes(r.messageId));
        return rows.length === ids.length && rows.every((r) => r.attempts >= 1 && r.forwardedAt === null && r.failedAt === null && r.lastError !== null) ? true : undefined;
      });
      b = await startB();
      await waitFor('all forwards', async () => {
        const rows = (await a.app.relay.store.listOutbound()).filter((r) => ids.includes(r.messageId));
        return rows.every((r) => r.forwardedAt !== null) ? true : undefined;
      });
      const inbox = await inboxIds();
      for (const id of ids) expect(inbox.filter((x) => x === id)).toHaveLength(1);
    }, 90_000);

    it('dedupes a repeated forward by messageId at the receiving relay', async () => {
      const [row] = (await a.app.relay.store.listOutbound()).filter((r) => r.forwardedAt !== null);
      const chunks: Uint8Array[] = [];
      for await (const piece of a.app.relay.store.readBlob(row!.blobId, 0, row!.size - 1)) chunks.push(piece);
      const body = Buffer.concat(chunks);
      const facts = { relay: 'a.example', messageId: row!.messageId, sender: row!.sender, to: ['bob@b.example'], hops: 1, digest: row!.digest };
      const put = async (inline = false): Promise<Response> =>
        fetch(`${b.url}/v1/relay/messages/${row!.messageId}`, {
          method: 'PUT',
          headers: {
            ...(inline ? { 'sealpost-events': 'inline' } : {}),
            'content-type': 'application/octet-stream',
            'content-digest': facts.digest,
            'sealpost-relay': 'a.example',
            'sealpost-relay-signature': await signForward(relayA, facts),
            'sealpost-sender': facts.sender,
            'sealpost-to': 'bob@b.example',
            'sealpost-hops': '1',
          },
          body,
        });
      const first = await put();
      const second = await put();
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(await second.json()).toEqual(await first.json());
      expect((await inboxIds()).filter((x) => x === row!.messageId)).toHaveLength(1);
      // Asked for inline events, a repeat gets the `forwarded` stored the first time.
      const third = await put(true);
      expect(third.status).toBe(201);
      const { events, ...answer } = (await third.json()) as { events: { kind: string; actor: string; recipient: string; signed: string }[] };
      expect(answer).toEqual(await (await put()).json());
      const stored = (await b.app.relay.store.listTimeline(row!.messageId)).filter((e) => e.kind === 'forwarded');
      expect(events).toEqual([expect.objectContaining({ kind: 'forwarded', actor: 'b.example', recipient: 'bob@b.example', signed: Buffer.from(stored[0]!.signed!).toString('base64url') })]);
    }, 30_000);

    it('refuses a forward past the hop limit with 508 ERR_RELAY_LOOP, and one not signed by the peer with 401', async () => {
      const body = new TextEncoder().encode('looping');
      const facts = { relay: 'a.example', messageId: randomUUID(), sender: 'alice@a.example', to: ['bob@b.example'], hops: 9, digest: digestOf(body) };
      const headers = (signature: string, hops: number): Record<string, string> => ({
        'content-type': 'application/octet-stream',
        'content-digest': facts.digest,
        'sealpost-relay': 'a.example',
        'sealpost-relay-signature': signature,
        'sealpost-sender': facts.sender,
        'sealpost-to': 'bob@b.example',
        'sealpost-hops': String(hops),
      });
      const loop = await fetch(`${b.url}/v1/relay/messages/${facts.messageId}`, { method: 'PUT', headers: headers(await signForward(relayA, facts), 9), body });
      expect(loop.status).toBe(508);
      expect(loop.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await loop.json()).toMatchObject({ code: 'ERR_RELAY_LOOP', status: 508 });
      // Signed by B's key, claiming to be A: refused.
      const forged = await fetch(`${b.url}/v1/relay/messages/${facts.messageId}`, { method: 'PUT', headers: headers(await signForward(relayB, { ...facts, hops: 1 }), 1), body });
      expect(forged.status).toBe(401);
      expect(await forged.json()).toMatchObject({ code: 'ERR_RELAY_AUTH' });
      expect((await inboxIds()).includes(facts.messageId)).toBe(false);
    }, 30_000);

    it('ends a two-relay loop: the message coming back to A is its own messageId, stored once', async () => {
      const messageId = randomUUID();
      const { envelope } = await sealEnvelope(new TextEncoder().encode('loop'), { sender: alice, recipients: [bob.certificate], messageId });
      await aliceAtA().submit(envelope, { messageId, to: ['nobody@loop.example'] });
      // A → B (hop 1), B queues it back to A (hop 2), A answers with its first answer: no new row.
      const atB = await waitFor('the return forward from B', async () => {
        const row = (await b.app.relay.store.listOutbound()).find((r) => r.messageId === messageId);
        return row?.forwardedAt ? row : undefined;
      });
      expect(atB).toMatchObject({ hops: 1, peer: 'loop.example' });
      const atA = (await a.app.relay.store.listOutbound()).filter((r) => r.messageId === messageId);
      expect(atA).toHaveLength(1);
      expect(atA[0]).toMatchObject({ hops: 0 });
    }, 30_000);

    it('records a final refusal by the peer (no such mailbox at B) and stops retrying it', async () => {
      const messageId = randomUUID();
      const { envelope } = await sealEnvelope(new TextEncoder().encode('to nobody'), { sender: alice, recipients: [bob.certificate], messageId });
      // A cannot know B's mailboxes: it accepts and queues; B's 422 is final.
      await aliceAtA().submit(envelope, { messageId, to: ['nobody@b.example'] });
      const row = await waitFor('the refusal', async () => {
        const found = (await a.app.relay.store.listOutbound()).find((r) => r.messageId === messageId);
        return found?.failedAt ? found : undefined;
      });
      expect(row).toMatchObject({ attempts: 1, forwardedAt: null });
      expect(row.lastError).toMatch(/^422 ERR_RELAY_UNKNOWN_RECIPIENT/);
      expect(await a.app.relay.store.dueOutbound(Date.now() + 3_600_000, 100)).toEqual([]);
    }, 30_000);

    it('forwards a large submission sent in resumable chunks, streamed from the store', async () => {
      const messageId = randomUUID();
      const envelope = randomEnvelope(9 * 1024 * 1024 + 123);
      // Over the client's 8 MiB threshold: the chunked upload path at A.
      await aliceAtA().submit(envelope, { messageId, to: ['bob@b.example'] });
      await waitFor('the large forward', async () => ((await a.app.relay.store.listOutbound()).find((r) => r.messageId === messageId)?.forwardedAt ? true : undefined), 60_000);
      // Compared by digest: a deep equality over 9 MiB element by element takes vitest most of a minute.
      const downloaded = await bobAtB().download(messageId);
      expect(downloaded.length).toBe(envelope.length);
      expect(digestOf(downloaded)).toBe(digestOf(envelope));
    }, 90_000);

    it('describes the federation routes in /openapi.json', async () => {
      const doc = (await a.app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, unknown> }>();
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/relay/messages/{messageId}', '/v1/relay/identity']));
    });

    it('backs off exponentially with jitter, bounded', () => {
      expect(backoffDelay(0, 1000, 300_000, () => 0)).toBe(500);
      expect(backoffDelay(3, 1000, 300_000, () => 0.999999)).toBe(8000);
      expect(backoffDelay(40, 1000, 300_000, () => 0.999999)).toBe(300_000);
      for (let i = 0; i < 50; i++) expect(backoffDelay(5, 1000, 300_000)).toBeGreaterThanOrEqual(16_000);
    });
  });
}

describe('on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-federation-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  federationSuite(() => ({ kind: 'sqlite', location: async () => join(dir, `${randomUUID()}.db`), open: (path) => openSqliteStore(path) }));
});

const missing = postgresUnavailable();
describe.skipIf(missing !== undefined)('on PostgreSQL', () => {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(async () => server?.stop());
  federationSuite(() => ({ kind: 'postgres', location: () => server!.createDatabase(), open: (url) => openPostgresStore(url) }));
});
