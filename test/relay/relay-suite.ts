/**
 * THE relay suite: the storage contract and the HTTP API through inject(), run once per store
 * (sqlite.test.ts, postgres.test.ts). Anything a 201 promises is asserted here for both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../relay/app.js';
import type { RelayConfig } from '../../relay/config.js';
import { hashInvite } from '../../relay/plugins/mailbox.js';
import type { NewSubmission, RelayStore } from '../../relay/storage/types.js';
import { digestOf, login, makeMailbox, newId, randomEnvelope, signChallenge } from './helpers.js';
import type { StoreFactory, TestMailbox } from './helpers.js';

const DAY = 86_400_000;

function submission(over: Partial<NewSubmission> & { data: Uint8Array }): NewSubmission {
  const now = Date.now();
  return {
    messageId: newId(),
    sender: 'alice@a.example',
    recipients: ['bob@b.example'],
    digest: digestOf(over.data),
    size: over.data.length,
    submittedAt: now,
    expiresAt: now + 5 * DAY,
    ...over,
  };
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of it) parts.push(Buffer.from(p));
  return Buffer.concat(parts);
}

export function relaySuite(factory: StoreFactory): void {
  describe(`store contract (${factory.kind})`, () => {
    let store: RelayStore;
    beforeAll(async () => {
      store = await factory.create();
      for (const address of ['alice@a.example', 'bob@b.example', 'carol@b.example']) {
        await store.addMailbox({ address, certificate: new Uint8Array([1, 2, 3]), createdAt: Date.now() });
      }
    });
    afterAll(async () => store.close());

    it('migrates idempotently and keeps one 32-byte secret', async () => {
      const before = await store.secret();
      await store.migrate();
      expect(before).toHaveLength(32);
      expect(Buffer.from(await store.secret())).toEqual(Buffer.from(before));
      await store.ping();
    });

    it('adds a mailbox once and reads it back', async () => {
      const mailbox = { address: 'dave@b.example', certificate: new Uint8Array([9, 8, 7]), createdAt: 1_700_000_000_000 };
      expect(await store.addMailbox(mailbox)).toBe('created');
      expect(await store.addMailbox({ ...mailbox, certificate: new Uint8Array([0]) })).toBe('exists');
      const read = await store.getMailbox('dave@b.example');
      expect(read?.address).toBe('dave@b.example');
      expect(Array.from(read!.certificate)).toEqual([9, 8, 7]);
      expect(read?.createdAt).toBe(1_700_000_000_000);
      expect(await store.getMailbox('nobody@b.example')).toBeUndefined();
    });

    it('submits once: same digest replays the first answer, another digest or sender conflicts', async () => {
      const data = randomEnvelope(4096);
      const first = submission({ data });
      const created = await store.submit(first);
      expect(created.kind).toBe('created');
      const replay = await store.submit({ ...first, submittedAt: first.submittedAt + 1000 });
      expect(replay).toEqual({ kind: 'replayed', answer: created.answer });
      const other = randomEnvelope(4096);
      expect((await store.submit({ ...first, data: other, digest: digestOf(other) })).kind).toBe('conflict');
      expect((await store.submit({ ...first, sender: 'carol@b.example' })).kind).toBe('conflict');
      const delivery = await store.getDelivery('bob@b.example', first.messageId, Date.now());
      expect(delivery?.digest).toBe(first.digest);
      expect(await collect(store.readBlob(delivery!.blobId, 0, data.length - 1))).toEqual(Buffer.from(data));
      expect(await store.getAnswer(first.messageId)).toEqual({ sender: 'alice@a.example', origin: null, answer: created.answer });
    });

    it('the same messageId submitted concurrently yields exactly one message', async () => {
      const data = randomEnvelope(1000);
      const base = submission({ data, recipients: ['carol@b.example'] });
      const outcomes = await Promise.all(Array.from({ length: 25 }, () => store.submit({ ...base })));
      expect(outcomes.filter((o) => o.kind === 'created')).toHaveLength(1);
      expect(outcomes.filter((o) => o.kind === 'replayed')).toHaveLength(24);
      const inbox = await store.listInbox('carol@b.example', 0, 1000, Date.now());
      expect(inbox.filter((i) => i.messageId === base.messageId)).toHaveLength(1);
    });

    it('commits many concurrent submissions and pages through them in order', async () => {
      await store.addMailbox({ address: 'pager@b.example', certificate: new Uint8Array([1]), createdAt: Date.now() });
      const subs = Array.from({ length: 120 }, (_, i) => submission({ data: new TextEncoder().encode(`m${i}`), recipients: ['pager@b.example'] }));
      const outcomes = await Promise.all(subs.map((s) => store.submit(s)));
      expect(outcomes.every((o) => o.kind === 'created')).toBe(true);
      const seen: string[] = [];
      let after = 0;
      for (;;) {
        const page = await store.listInbox('pager@b.example', after, 50, Date.now());
        if (page.length === 0) break;
        seen.push(...page.map((p) => p.messageId));
        after = page.at(-1)!.seq;
      }
      expect(new Set(seen).size).toBe(120);
      expect(seen.sort()).toEqual(subs.map((s) => s.messageId).sort());
    });

    it('streams blobs in chunks and reads any byte range across chunk borders', async () => {
      const data = randomEnvelope(10_000);
      const blobId = await store.createBlob(Date.now());
      for (let seq = 0, at = 0; at < data.length; seq++, at += 3000) await store.writeChunk(blobId, seq, at, data.subarray(at, at + 3000));
      const sub = submission({ data: new Uint8Array(0), blobId, size: data.length, digest: digestOf(data) });
      delete sub.data;
      expect((await store.submit(sub)).kind).toBe('created');
      for (const [start, end] of [
        [0, 9999],
        [2999, 3000],
        [2500, 7600],
        [9999, 9999],
        [0, 0],
      ] as const) {
        expect(await collect(store.readBlob(blobId, start, end))).toEqual(Buffer.from(data.subarray(start, end + 1)));
      }
    });

    it('keeps an upload invisible until complete, in order, chunk by chunk', async () => {
      const data = randomEnvelope(2500);
      const now = Date.now();
      const upload = {
        uploadId: newId(),
        messageId: newId(),
        sender: 'alice@a.example',
        recipients: ['carol@b.example'],
        size: data.length,
        chunkSize: 1000,
        digest: digestOf(data),
        blobId: newId(),
        nextIndex: 0,
        received: 0,
        createdAt: now,
        expiresAt: now + DAY,
      };
      await store.createUpload(upload);
      const chunk = (i: number): Uint8Array => data.subarray(i * 1000, (i + 1) * 1000);
      expect((await store.putUploadChunk(upload.uploadId, 1, chunk(1), digestOf(chunk(1))))?.kind).toBe('out-of-order');
      expect((await store.putUploadChunk(upload.uploadId, 0, chunk(0), digestOf(chunk(0))))?.kind).toBe('stored');
      expect((await store.putUploadChunk(upload.uploadId, 0, chunk(0), digestOf(chunk(0))))?.kind).toBe('repeated');
      expect((await store.putUploadChunk(upload.uploadId, 0, chunk(1), digestOf(chunk(1))))?.kind).toBe('digest-differs');
      expect((await store.putUploadChunk(upload.uploadId, 1, chunk(1), digestOf(chunk(1))))?.kind).toBe('stored');
      const last = await store.putUploadChunk(upload.uploadId, 2, chunk(2), digestOf(chunk(2)));
      expect(last?.upload).toMatchObject({ nextIndex: 3, received: 2500 });
      expect(await store.getDelivery('carol@b.example', upload.messageId, Date.now())).toBeUndefined();
      expect(await store.getAnswer(upload.messageId)).toBeUndefined();
      const stored = (await store.getUpload(upload.uploadId))!;
      const outcome = await store.completeUpload(stored, {
        messageId: upload.messageId,
        sender: upload.sender,
        recipients: upload.recipients,
        digest: upload.digest,
        size: upload.size,
        submittedAt: now,
        expiresAt: now + DAY,
        blobId: upload.blobId,
      });
      expect(outcome.kind).toBe('created');
      expect(await store.getUpload(upload.uploadId)).toBeUndefined();
      const delivery = await store.getDelivery('carol@b.example', upload.messageId, Date.now());
      expect(await collect(store.readBlob(delivery!.blobId, 0, 2499))).toEqual(Buffer.from(data));
    });

    it('acknowledges idempotently and only in the recipient mailbox', async () => {
      const sub = submission({ data: randomEnvelope(100), expiresAt: 1_900_000_000_000 });
      await store.submit(sub);
      expect(await store.acknowledge('carol@b.example', sub.messageId, Date.now())).toBeUndefined();
      const at = await store.acknowledge('bob@b.example', sub.messageId, 1_800_000_000_000);
      expect(at).toBe(1_800_000_000_000);
      expect(await store.acknowledge('bob@b.example', sub.messageId, 1_800_000_000_999)).toBe(at);
    });

    it('expires unacknowledged messages, purges acknowledged ones after retention, and their blobs', async () => {
      await store.addMailbox({ address: 'exp@b.example', certificate: new Uint8Array([1]), createdAt: Date.now() });
      const now = Date.now();
      const stale = submission({ data: randomEnvelope(64), recipients: ['exp@b.example'], expiresAt: now + 1000 });
      const acked = submission({ data: randomEnvelope(64), recipients: ['exp@b.example'] });
      const kept = submission({ data: randomEnvelope(64), recipients: ['exp@b.example'] });
      for (const s of [stale, acked, kept]) await store.submit(s);
      await store.acknowledge('exp@b.example', acked.messageId, now);
      const staleBlob = (await store.getDelivery('exp@b.example', stale.messageId, now))!.blobId;
      const ackedBlob = (await store.getDelivery('exp@b.example', acked.messageId, now))!.blobId;
      const later = now + 2000;
      // Past its expiry an unacknowledged message is gone from the inbox even before the purge runs.
      expect((await store.listInbox('exp@b.example', 0, 100, later)).map((i) => i.messageId)).toEqual([acked.messageId, kept.messageId]);
      expect(await store.getDelivery('exp@b.example', stale.messageId, later)).toBeUndefined();
      const result = await store.purge(later, { retentionMs: 1000, orphanBlobAgeMs: 0 });
      expect(result.expired).toBeGreaterThanOrEqual(1);
      expect(result.purged).toBeGreaterThanOrEqual(1);
      // Their content is gone too (however the store keeps small content).
      expect(await collect(store.readBlob(staleBlob, 0, 63))).toHaveLength(0);
      expect(await collect(store.readBlob(ackedBlob, 0, 63))).toHaveLength(0);
      expect((await store.listInbox('exp@b.example', 0, 100, later)).map((i) => i.messageId)).toEqual([kept.messageId]);
      expect(await store.getAnswer(stale.messageId)).toBeUndefined();
      expect(await store.getAnswer(kept.messageId)).toBeDefined();
    });

    it('keeps the timeline: events only with a created message, once each, expiries recorded by purge, events carried back in order', async () => {
      const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
      const now = Date.now();
      const accepted = { kind: 'accepted' as const, at: now, actor: 'a.example', format: 'jws' as const, signed: bytes('h.p.s') };
      const sub = submission({ data: randomEnvelope(64), recipients: ['carol@b.example'], events: [accepted], expiresAt: now + 1000 });
      expect((await store.submit(sub)).kind).toBe('created');
      // A replay carries a new signed event: it is not recorded (nothing new happened).
      expect((await store.submit({ ...sub, events: [{ ...accepted, at: now + 5, signed: bytes('other') }] })).kind).toBe('replayed');
      // A conflicting submission records nothing either.
      const other = randomEnvelope(64);
      expect((await store.submit({ ...sub, data: other, digest: digestOf(other), events: [{ ...accepted, actor: 'x.example' }] })).kind).toBe('conflict');
      let timeline = await store.listTimeline(sub.messageId);
      expect(timeline).toMatchObject([{ messageId: sub.messageId, sender: 'alice@a.example', kind: 'accepted', at: now, actor: 'a.example', recipient: '', reason: null, format: 'jws', returnTo: null }]);
      expect(Buffer.from(timeline[0]!.signed!).toString()).toBe('h.p.s');
      const receipt = { kind: 'read' as const, at: now + 10, actor: 'carol@b.example', recipient: 'carol@b.example', format: 'cms' as const, signed: new Uint8Array([0x30, 1, 2]) };
      expect(await store.addEvent(sub.messageId, 'alice@a.example', null, receipt)).toBe('created');
      expect(await store.addEvent(sub.messageId, 'alice@a.example', null, { ...receipt, at: now + 20 })).toBe('exists');
      expect(await store.getAnswer(sub.messageId)).toMatchObject({ sender: 'alice@a.example', origin: null });
      // A message from a peer: its events (and an expiry) are queued back to that relay.
      const fromPeer = submission({ data: randomEnvelope(64), sender: 'zed@z.example', recipients: ['bob@b.example'], origin: 'z.example', hops: 1, expiresAt: now + 1000, events: [{ kind: 'forwarded', at: now, actor: 'b.example', recipient: 'bob@b.example', format: 'jws', signed: bytes('f') }] });
      expect((await store.submit(fromPeer)).kind).toBe('created');
      expect(await store.getAnswer(fromPeer.messageId)).toMatchObject({ sender: 'zed@z.example', origin: 'z.example' });
      await store.purge(now + 2000, { retentionMs: 7 * DAY, orphanBlobAgeMs: 60_000 });
      timeline = await store.listTimeline(sub.messageId);
      expect(timeline.map((e) => [e.kind, e.actor, e.recipient])).toEqual([
        ['accepted', 'a.example', ''],
        ['read', 'carol@b.example', 'carol@b.example'],
        ['expired', '', 'carol@b.example'],
      ]);
      expect(timeline[2]).toMatchObject({ at: now + 2000, digest: sub.digest, format: 'unsigned', signed: null });
      const unsigned = await store.unsignedEvents(100, fromPeer.messageId);
      expect(unsigned).toMatchObject([{ kind: 'expired', recipient: 'bob@b.example', returnTo: 'z.example', digest: fromPeer.digest }]);
      // Unsigned events are not carried yet.
      expect((await store.dueEvents(now + 3000, 100)).filter((e) => e.messageId === fromPeer.messageId).map((e) => e.kind)).toEqual(['forwarded']);
      await store.signEvent(unsigned[0]!.seq, 'b.example', 'jws', bytes('e'));
      await store.signEvent(unsigned[0]!.seq, 'other.example', 'jws', bytes('late'));
      expect(await store.unsignedEvents(100, fromPeer.messageId)).toEqual([]);
      const due = (await store.dueEvents(now + 3000, 100)).filter((e) => e.messageId === fromPeer.messageId);
      expect(due.map((e) => [e.kind, e.actor])).toEqual([
        ['forwarded', 'b.example'],
        ['expired', 'b.example'],
      ]);
      await store.updateEvent(due[0]!.seq, { returnedAt: now + 3000 });
      await store.updateEvent(due[1]!.seq, { nextAttemptAt: now + 9000, lastError: 'fetch failed' });
      expect((await store.dueEvents(now + 8999, 100)).filter((e) => e.messageId === fromPeer.messageId)).toEqual([]);
      expect((await store.dueEvents(now + 9000, 100)).filter((e) => e.messageId === fromPeer.messageId)).toMatchObject([{ kind: 'expired', attempts: 1, lastError: 'fetch failed' }]);
      // Events outlive the message, and leave after the timeline retention.
      expect(await store.getAnswer(fromPeer.messageId)).toBeUndefined();
      expect(await store.listTimeline(fromPeer.messageId)).toHaveLength(2);
      await store.purge(now + 4000, { retentionMs: 7 * DAY, orphanBlobAgeMs: 60_000, timelineRetentionMs: 1000 });
      expect(await store.listTimeline(fromPeer.messageId)).toEqual([]);
    });

    it('redeems an invite once, only for its address and before it expires', async () => {
      const now = Date.now();
      await store.createInvite({ codeHash: 'h1', address: 'inv@b.example', expiresAt: now + DAY });
      await store.createInvite({ codeHash: 'h2', address: null, expiresAt: now - 1 });
      const mb = (address: string) => ({ address, certificate: new Uint8Array([5]), createdAt: now });
      expect(await store.redeemInvite('h1', mb('other@b.example'), now)).toBe('invalid');
      expect(await store.redeemInvite('h2', mb('x@b.example'), now)).toBe('invalid');
      expect(await store.redeemInvite('h1', mb('inv@b.example'), now)).toBe('created');
      expect(await store.redeemInvite('h1', mb('inv@b.example'), now)).toBe('invalid');
      await store.createInvite({ codeHash: 'h3', address: null, expiresAt: now + DAY });
      expect(await store.redeemInvite('h3', mb('alice@a.example'), now)).toBe('exists');
      // The invite survives a failed registration.
      expect(await store.redeemInvite('h3', mb('fresh@b.example'), now)).toBe('created');
    });
  });

  describe(`HTTP API (${factory.kind})`, () => {
    let store: RelayStore;
    let app: FastifyInstance;
    let clock = Date.now();
    let alice: TestMailbox;
    let bob: TestMailbox;
    let aliceToken: string;
    let bobToken: string;
    const config: Partial<RelayConfig> = { maxEnvelopeBytes: 200_000, maxSubmissionBytes: 1_000_000, chunkBytes: 16_384, logger: false, rateLimitPerIp: 0, rateLimitPerMailbox: 0 };

    beforeAll(async () => {
      store = await factory.create();
      [alice, bob] = await Promise.all([makeMailbox('alice@a.example'), makeMailbox('bob@b.example', 'RSA-2048')]);
      for (const m of [alice, bob]) await store.addMailbox({ address: m.address, certificate: m.identity.certificate, createdAt: Date.now() });
      app = await buildApp({ ...config, store, now: () => clock });
      aliceToken = await login(app, alice);
      bobToken = await login(app, bob);
    });
    afterAll(async () => {
      await app.close();
      await store.close();
    });

    const put = (id: string, body: Uint8Array | string, headers: Record<string, string> = {}, token = aliceToken) =>
      app.inject({
        method: 'PUT',
        url: `/v1/messages/${id}`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'sealpost-to': 'bob@b.example', ...headers },
        payload: typeof body === 'string' ? body : Buffer.from(body),
      });
    const expectProblem = (res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }, status: number, code: string): void => {
      expect(res.statusCode).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status, code, type: `urn:sealpost:problem:${code}` });
    };

    describe('authentication', () => {
      it('gives a token for a signed challenge (P-256 and RSA mailboxes)', () => {
        expect(aliceToken).toMatch(/^[\w-]+\.[\w-]+$/);
        expect(bobToken).toMatch(/^[\w-]+\.[\w-]+$/);
      });

      it('refuses a signature by another key, a foreign challenge and an unknown mailbox alike', async () => {
        const { challenge } = (await app.inject({ method: 'POST', url: '/v1/auth/challenge', payload: { address: alice.address } })).json<{ challenge: string }>();
        const wrongKey = await signChallenge(bob.identity, `sealpost-auth-v1\n${alice.address}\n${challenge}`);
        expectProblem(await app.inject({ method: 'POST', url: '/v1/auth/token', payload: { address: alice.address, challenge, signature: wrongKey } }), 401, 'ERR_RELAY_AUTH');
        // Alice's challenge answered for bob's address.
        const asBob = await signChallenge(bob.identity, `sealpost-auth-v1\n${bob.address}\n${challenge}`);
        expectProblem(await app.inject({ method: 'POST', url: '/v1/auth/token', payload: { address: bob.address, challenge, signature: asBob } }), 401, 'ERR_RELAY_AUTH');
        const ghost = (await app.inject({ method: 'POST', url: '/v1/auth/challenge', payload: { address: 'ghost@a.example' } })).json<{ challenge: string }>();
        const res = await app.inject({ method: 'POST', url: '/v1/auth/token', payload: { address: 'ghost@a.example', challenge: ghost.challenge, signature: wrongKey } });
        expectProblem(res, 401, 'ERR_RELAY_AUTH');
      });

      it('refuses an expired challenge and an expired token', async () => {
        const { challenge } = (await app.inject({ method: 'POST', url: '/v1/auth/challenge', payload: { address: alice.address } })).json<{ challenge: string }>();
        const signature = await signChallenge(alice.identity, `sealpost-auth-v1\n${alice.address}\n${challenge}`);
        const token = await login(app, alice);
        clock += 16 * 60_000;
        try {
          expectProblem(await app.inject({ method: 'POST', url: '/v1/auth/token', payload: { address: alice.address, challenge, signature } }), 401, 'ERR_RELAY_AUTH');
          const res = await app.inject({ method: 'GET', url: `/v1/mailboxes/${alice.address}/messages`, headers: { authorization: `Bearer ${token}` } });
          expectProblem(res, 401, 'ERR_RELAY_AUTH');
          expect(res.json<{ detail: string }>().detail).toBe('the token has expired');
        } finally {
          clock -= 16 * 60_000;
        }
      });

      it('refuses a tampered token, a missing one, and a token replayed for another mailbox', async () => {
        const [payload, mac] = aliceToken.split('.') as [string, string];
        const forged = Buffer.from(JSON.stringify({ m: bob.address, e: clock + 60_000 })).toString('base64url');
        for (const token of [`${forged}.${mac}`, `${payload}.${mac.slice(0, -2)}AA`, 'garbage']) {
          expectProblem(await app.inject({ method: 'GET', url: `/v1/mailboxes/${bob.address}/messages`, headers: { authorization: `Bearer ${token}` } }), 401, 'ERR_RELAY_AUTH');
        }
        expectProblem(await app.inject({ method: 'GET', url: `/v1/mailboxes/${bob.address}/messages` }), 401, 'ERR_RELAY_AUTH');
        expectProblem(await app.inject({ method: 'GET', url: `/v1/mailboxes/${bob.address}/messages`, headers: { authorization: `Bearer ${aliceToken}` } }), 403, 'ERR_RELAY_FORBIDDEN');
      });

      it('registers a mailbox with an invite once, with proof of key possession', async () => {
        const carol = await makeMailbox('carol@b.example');
        await store.createInvite({ codeHash: hashInvite('invite-code-1234'), address: null, expiresAt: clock + DAY });
        const body = async (identitySigner: TestMailbox) => ({
          address: carol.address,
          certificate: Buffer.from(carol.identity.certificate).toString('base64url'),
          invite: 'invite-code-1234',
          signature: await signChallenge(identitySigner.identity, `sealpost-register-v1\n${carol.address}\ninvite-code-1234`),
        });
        expectProblem(await app.inject({ method: 'POST', url: '/v1/mailboxes', payload: await body(alice) }), 401, 'ERR_RELAY_AUTH');
        const ok = await app.inject({ method: 'POST', url: '/v1/mailboxes', payload: await body(carol) });
        expect(ok.statusCode).toBe(201);
        expect(ok.json()).toEqual({ address: carol.address });
        expectProblem(await app.inject({ method: 'POST', url: '/v1/mailboxes', payload: await body(carol) }), 403, 'ERR_RELAY_INVITE');
        expect(await login(app, carol)).toBeTruthy();
        // A certificate that does not name the address.
        await store.createInvite({ codeHash: hashInvite('invite-code-5678'), address: null, expiresAt: clock + DAY });
        const wrong = { ...(await body(carol)), address: 'mallory@b.example', invite: 'invite-code-5678' };
        expectProblem(await app.inject({ method: 'POST', url: '/v1/mailboxes', payload: wrong }), 400, 'ERR_RELAY_BAD_REQUEST');
      });
    });

    describe('submit', () => {
      it('answers 201 with the digest, and the first answer again to an identical retry', async () => {
        const id = newId();
        const body = randomEnvelope(4096);
        const first = await put(id, body, { 'content-digest': digestOf(body) });
        expect(first.statusCode).toBe(201);
        const answer = first.json<Record<string, unknown>>();
        expect(answer).toMatchObject({ messageId: id, digest: digestOf(body), size: 4096, recipients: ['bob@b.example'] });
        clock += 5000;
        const retry = await put(id, body);
        clock -= 5000;
        expect(retry.statusCode).toBe(201);
        expect(retry.json()).toEqual(answer);
        expectProblem(await put(id, randomEnvelope(4096)), 409, 'ERR_RELAY_CONFLICT');
        // Another sender reusing the id conflicts too (and learns nothing else).
        expectProblem(await put(id, body, {}, bobToken), 409, 'ERR_RELAY_CONFLICT');
      });

      it('the same messageId sent concurrently on several connections yields one message and one answer', async () => {
        const id = newId();
        const body = randomEnvelope(2048);
        const answers = await Promise.all(Array.from({ length: 20 }, () => put(id, body)));
        expect(answers.map((a) => a.statusCode)).toEqual(Array(20).fill(201));
        expect(new Set(answers.map((a) => a.body)).size).toBe(1);
        const listed = await app.inject({ method: 'GET', url: `/v1/mailboxes/${bob.address}/messages?limit=1000`, headers: { authorization: `Bearer ${bobToken}` } });
        expect(listed.json<{ items: { messageId: string }[] }>().items.filter((i) => i.messageId === id)).toHaveLength(1);
      });

      it('streams bodies larger than one chunk and serves them back byte for byte', async () => {
        const id = newId();
        const body = randomEnvelope(100_000);
        expect((await put(id, body)).statusCode).toBe(201);
        const res = await app.inject({ method: 'GET', url: `/v1/mailboxes/${bob.address}/messages/${id}`, headers: { authorization: `Bearer ${bobToken}` } });
        expect(res.statusCode).toBe(200);
        expect(res.rawPayload.equals(Buffer.from(body))).toBe(true);
        expect(res.headers['content-digest']).toBe(digestOf(body));
        expect(res.headers['sealpost-from']).toBe(alice.address);
      });

      it('refuses bad submissions with problem+json', async () => {
        expectProblem(await put(newId(), randomEnvelope(200_001)), 413, 'ERR_RELAY_TOO_LARGE');
        expectProblem(await put(newId(), 'x', { 'sealpost-to': 'nobody@b.example' }), 422, 'ERR_RELAY_UNKNOWN_RECIPIENT');
        expectProblem(await put(newId(), 'x', { 'sealpost-to': 'not an address' }), 400, 'ERR_RELAY_BAD_REQUEST');
        expectProblem(await put(newId(), randomEnvelope(10), { 'content-digest': digestOf(randomEnvelope(10)) }), 400, 'ERR_RELAY_DIGEST_MISMATCH');
        expectProblem(await put(newId(), '{"a":1}', { 'content-type': 'application/json' }), 415, 'ERR_RELAY_UNSUPPORTED_MEDIA_TYPE');
        expectProblem(await put(newId(), 'x', { 'content-type': 'text/plain' }), 415, 'ERR_RELAY_UNSUPPORTED_MEDIA_TYPE');
        expectProblem(await put('bad id!', 'x'), 400, 'ERR_RELAY_BAD_REQUEST');
        expectProblem(await put(newId(), ''), 400, 'ERR_RELAY_BAD_REQUEST');
        const noTo = await app.inject({ method: 'PUT', url: `/v1/messages/${newId()}`, headers: { authorization: `Bearer ${aliceToken}`, 'content-type': 'application/octet-stream' }, payload: 'x' });
        expectProblem(noTo, 400, 'ERR_RELAY_BAD_REQUEST');
        expectProblem(await put(newId(), 'x', {}, 'nope'), 401, 'ERR_RELAY_AUTH');
      });

      it('answers bad JSON, wrong JSON and oversized JSON with problem+json', async () => {
        const post = (payload: string, type = 'application/json') => app.inject({ method: 'POST', url: '/v1/auth/challenge', headers: { 'content-type': type }, payload });
        expectProblem(await post('{"address":'), 400, 'ERR_RELAY_BAD_REQUEST');
        expectProblem(await post('{"address":42}'), 400, 'ERR_RELAY_BAD_REQUEST');
        expectProblem(await post('{"address":"a@b.example","x":1}'), 400, 'ERR_RELAY_BAD_REQUEST');
        expectProblem(await post(`{"address":"${'a'.repeat(300_000)}"}`), 413, 'ERR_RELAY_TOO_LARGE');
        expectProblem(await post('address=a', 'application/x-www-form-urlencoded'), 415, 'ERR_RELAY_UNSUPPORTED_MEDIA_TYPE');
        expectProblem(await app.inject({ method: 'GET', url: '/v1/nothing' }), 404, 'ERR_RELAY_NOT_FOUND');
      });
    });

    describe('chunked upload', () => {
      const auth = () => ({ authorization: `Bearer ${aliceToken}` });
      const open = (body: object) => app.inject({ method: 'POST', url: '/v1/uploads', headers: auth(), payload: body });
      const chunk = (uploadId: string, index: number, data: Uint8Array, digest = digestOf(data)) =>
        app.inject({ method: 'PUT', url: `/v1/uploads/${uploadId}/chunks/${index}`, headers: { ...auth(), 'content-type': 'application/octet-stream', 'content-digest': digest }, payload: Buffer.from(data) });

      it('uploads in order with per-chunk digests, resumes, and commits on the final digest', async () => {
        const data = randomEnvelope(40_000);
        const id = newId();
        const opened = await open({ messageId: id, to: [bob.address], size: data.length, digest: digestOf(data) });
        expect(opened.statusCode).toBe(201);
        const upload = opened.json<{ uploadId: string; chunkSize: number }>();
        expect(upload.chunkSize).toBe(16_384);
        const part = (i: number) => data.subarray(i * 16_384, (i + 1) * 16_384);
        const gap = await chunk(upload.uploadId, 1, part(1));
        expectProblem(gap, 409, 'ERR_RELAY_CHUNK_ORDER');
        expect(gap.json()).toMatchObject({ nextIndex: 0, received: 0 });
        expectProblem(await chunk(upload.uploadId, 0, part(0), digestOf(part(1))), 400, 'ERR_RELAY_DIGEST_MISMATCH');
        expect((await chunk(upload.uploadId, 0, part(0))).json()).toMatchObject({ nextIndex: 1, received: 16_384 });
        expectProblem(await app.inject({ method: 'POST', url: `/v1/uploads/${upload.uploadId}/complete`, headers: auth() }), 422, 'ERR_RELAY_INCOMPLETE');
        // A client that lost its state asks where to resume.
        expect((await app.inject({ method: 'GET', url: `/v1/uploads/${upload.uploadId}`, headers: auth() })).json()).toMatchObject({ nextIndex: 1, received: 16_384 });
        // Bob cannot see Alice's upload.
        expectProblem(await app.inject({ method: 'GET', url: `/v1/uploads/${upload.uploadId}`, headers: { authorization: `Bearer ${bobToken}` } }), 404, 'ERR_RELAY_NOT_FOUND');
        expect((await chunk(upload.uploadId, 0, part(0))).statusCode).toBe(200);
        expectProblem(await chunk(upload.uploadId, 1, part(1).subarray(1)), 400, 'ERR_RELAY_BAD_REQUEST');
        expect((await chunk(upload.uploadId, 1, part(1))).statusCode).toBe(200);
        expectProblem(await chunk(upload.uploadId, 3, part(2)), 413, 'ERR_RELAY_TOO_LARGE');
        expect((await chunk(upload.uploadId, 2, part(2))).json()).toMatchObject({ nextIndex: 3, received: 40_000 });
        const inbox = () => app.inject({ method: 'GET', url: `/v1/mailboxes/${bob.address}/messages?limit=1000`, headers: { authorization: `Bearer ${bobToken}` } });
        expect((await inbox()).json<{ items: { messageId: string }[] }>().items.some((i) => i.messageId === id)).toBe(false);
        const done = await app.inject({ method: 'POST', url: `/v1/uploads/${upload.uploadId}/complete`, headers: auth() });
        expect(done.statusCode).toBe(201);
        expect(done.json()).toMatchObject({ messageId: id, size: 40_000, digest: digestOf(data) });
        expect((await inbox()).json<{ items: { messageId: string }[] }>().items.some((i) => i.messageId === id)).toBe(true);
        const again = await open({ messageId: id, to: [bob.address], size: data.length, digest: digestOf(data) });
        expect(again.statusCode).toBe(200);
        expect(again.json()).toEqual({ message: done.json() });
        const dl = await app.inject({ method: 'GET', url: `/v1/mailboxes/${bob.address}/messages/${id}`, headers: { authorization: `Bearer ${bobToken}` } });
        expect(dl.rawPayload.equals(Buffer.from(data))).toBe(true);
      });

      it('refuses a final digest mismatch, an oversized submission and a reused messageId', async () => {
        const data = randomEnvelope(1000);
        const opened = (await open({ messageId: newId(), to: [bob.address], size: 1000, digest: digestOf(randomEnvelope(1000)) })).json<{ uploadId: string }>();
        await chunk(opened.uploadId, 0, data);
        expectProblem(await app.inject({ method: 'POST', url: `/v1/uploads/${opened.uploadId}/complete`, headers: auth() }), 400, 'ERR_RELAY_DIGEST_MISMATCH');
        expectProblem(await open({ messageId: newId(), to: [bob.address], size: 1_000_001, digest: digestOf(data) }), 413, 'ERR_RELAY_TOO_LARGE');
        const id = newId();
        expect((await put(id, data)).statusCode).toBe(201);
        expectProblem(await open({ messageId: id, to: [bob.address], size: 1000, digest: digestOf(randomEnvelope(1000)) }), 409, 'ERR_RELAY_CONFLICT');
      });
    });

    describe('inbox', () => {
      let dave: TestMailbox;
      let daveToken: string;
      const ids: string[] = [];
      const bodies: Buffer[] = [];
      beforeAll(async () => {
        dave = await makeMailbox('dave@b.example');
        await store.addMailbox({ address: dave.address, certificate: dave.identity.certificate, createdAt: clock });
        daveToken = await login(app, dave);
        for (let i = 0; i < 5; i++) {
          const id = newId();
          const body = Buffer.from(randomEnvelope(1000 + i));
          ids.push(id);
          bodies.push(body);
          expect((await put(id, body, { 'sealpost-to': dave.address })).statusCode).toBe(201);
        }
      });
      const get = (url: string, headers: Record<string, string> = {}, token = daveToken) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}`, ...headers } });

      it('pages with a cursor, oldest first', async () => {
        const seen: string[] = [];
        let url = `/v1/mailboxes/${dave.address}/messages?limit=2`;
        for (let pages = 0; pages < 10; pages++) {
          const page = (await get(url)).json<{ items: { messageId: string; from: string; size: number }[]; nextCursor: string | null }>();
          seen.push(...page.items.map((i) => i.messageId));
          expect(page.items.every((i) => i.from === alice.address)).toBe(true);
          if (page.nextCursor === null) break;
          url = `/v1/mailboxes/${dave.address}/messages?limit=2&cursor=${page.nextCursor}`;
        }
        expect(seen).toEqual(ids);
        expectProblem(await get(`/v1/mailboxes/${dave.address}/messages?cursor=abc`), 400, 'ERR_RELAY_BAD_REQUEST');
      });

      it('downloads with Range so a broken download resumes', async () => {
        const url = `/v1/mailboxes/${dave.address}/messages/${ids[0]}`;
        const part = await get(url, { range: 'bytes=100-199' });
        expect(part.statusCode).toBe(206);
        expect(part.headers['content-range']).toBe('bytes 100-199/1000');
        expect(part.rawPayload.equals(bodies[0]!.subarray(100, 200))).toBe(true);
        const rest = await get(url, { range: 'bytes=200-', 'if-range': `"${digestOf(bodies[0]!)}"` });
        expect(rest.statusCode).toBe(206);
        expect(Buffer.concat([bodies[0]!.subarray(0, 200), rest.rawPayload]).equals(bodies[0]!)).toBe(true);
        const suffix = await get(url, { range: 'bytes=-10' });
        expect(suffix.rawPayload.equals(bodies[0]!.subarray(990))).toBe(true);
        // A stale If-Range means the content changed: the whole body, 200.
        expect((await get(url, { range: 'bytes=200-', 'if-range': '"other"' })).statusCode).toBe(200);
        const bad = await get(url, { range: 'bytes=5000-' });
        expectProblem(bad, 416, 'ERR_RELAY_RANGE');
        expect(bad.headers['content-range']).toBe('bytes */1000');
      });

      it('isolates mailboxes: no listing, download or acknowledgement of another mailbox', async () => {
        const url = `/v1/mailboxes/${dave.address}/messages/${ids[1]}`;
        expectProblem(await get(`/v1/mailboxes/${dave.address}/messages`, {}, bobToken), 403, 'ERR_RELAY_FORBIDDEN');
        expectProblem(await get(url, {}, bobToken), 403, 'ERR_RELAY_FORBIDDEN');
        expectProblem(await app.inject({ method: 'POST', url: `${url}/ack`, headers: { authorization: `Bearer ${bobToken}` } }), 403, 'ERR_RELAY_FORBIDDEN');
        // Bob asking for Dave's message in his own mailbox: it is simply not there.
        expectProblem(await get(`/v1/mailboxes/${bob.address}/messages/${ids[1]}`, {}, bobToken), 404, 'ERR_RELAY_NOT_FOUND');
        expectProblem(await app.inject({ method: 'POST', url: `/v1/mailboxes/${bob.address}/messages/${ids[1]}/ack`, headers: { authorization: `Bearer ${bobToken}` } }), 404, 'ERR_RELAY_NOT_FOUND');
      });

      it('acknowledges, keeps the message through retention, then purges it', async () => {
        const ack = await app.inject({ method: 'POST', url: `/v1/mailboxes/${dave.address}/messages/${ids[2]}/ack`, headers: { authorization: `Bearer ${daveToken}` } });
        expect(ack.statusCode).toBe(200);
        expect(ack.json()).toEqual({ messageId: ids[2], acknowledgedAt: new Date(clock).toISOString() });
        const listed = (await get(`/v1/mailboxes/${dave.address}/messages`)).json<{ items: { messageId: string; acknowledgedAt: string | null }[] }>();
        expect(listed.items.find((i) => i.messageId === ids[2])?.acknowledgedAt).toBe(new Date(clock).toISOString());
        await store.purge(clock + 8 * DAY, { retentionMs: 7 * DAY, orphanBlobAgeMs: 0 });
        // Past retention the acknowledged one is gone; past 5 days the unacknowledged ones expired.
        const after = (await get(`/v1/mailboxes/${dave.address}/messages`)).json<{ items: unknown[] }>();
        expect(after.items).toEqual([]);
        expectProblem(await get(`/v1/mailboxes/${dave.address}/messages/${ids[0]}`), 404, 'ERR_RELAY_NOT_FOUND');
      });
    });

    describe('operations', () => {
      it('serves health, readiness, metrics and an OpenAPI 3.1 document covering every route', async () => {
        expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
        expect((await app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready', store: factory.kind });
        const metrics = await app.inject({ method: 'GET', url: '/metrics' });
        expect(metrics.body).toMatch(new RegExp(`sealpost_relay_submissions_total\\{store="${factory.kind}"\\} [1-9]`));
        expect(metrics.body).toMatch(/sealpost_relay_http_requests_total\{route="\/v1\/messages\/:messageId",method="PUT",status="201"\} \d+/);
        const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>();
        expect(doc.openapi).toBe('3.1.0');
        const routes = app
          .printRoutes({ commonPrefix: false })
          .split('\n')
          .filter((l) => l.includes('('));
        expect(routes.length).toBeGreaterThan(5);
        for (const route of ['/v1/auth/challenge', '/v1/auth/token', '/v1/mailboxes', '/v1/messages/{messageId}', '/v1/uploads', '/v1/uploads/{uploadId}', '/v1/uploads/{uploadId}/chunks/{index}', '/v1/uploads/{uploadId}/complete', '/v1/mailboxes/{address}/messages', '/v1/mailboxes/{address}/messages/{messageId}', '/v1/mailboxes/{address}/messages/{messageId}/ack']) {
          expect(doc.paths[route], route).toBeDefined();
        }
      });
    });
  });
}
