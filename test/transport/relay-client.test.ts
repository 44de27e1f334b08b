/**
 * The transport client against a real relay on 127.0.0.1 (port 0), with fetch wrappers that
 * lose answers, break bodies and fail connections the way networks do.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerMailbox, RelayClient, TransportError } from '@sealpost/sdk/transport';
import type { TransferProgress } from '@sealpost/sdk/transport';
import { startServer } from '../../relay/server.js';
import type { RunningServer } from '../../relay/server.js';
import { openSqliteStore } from '../../relay/storage/sqlite.js';
import type { RelayStore } from '../../relay/storage/types.js';
import { hashInvite } from '../../relay/plugins/mailbox.js';
import { digestOf, makeMailbox, newId, randomEnvelope } from '../relay/helpers.js';
import type { TestMailbox } from '../relay/helpers.js';

let dir: string;
let server: RunningServer;
let alice: TestMailbox;
let bob: TestMailbox;
let store: RelayStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sealpost-transport-'));
  store = openSqliteStore(join(dir, 'relay.db'));
  await store.migrate();
  [alice, bob] = await Promise.all([makeMailbox('alice@a.example'), makeMailbox('bob@b.example')]);
  for (const m of [alice, bob]) await store.addMailbox({ address: m.address, certificate: m.identity.certificate, createdAt: Date.now() });
  server = await startServer({ store, port: 0, logger: false, chunkBytes: 4096, maxEnvelopeBytes: 50_000, rateLimitPerIp: 0, rateLimitPerMailbox: 0, purgeIntervalMs: 0 });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const delays: number[] = [];
const client = (m: TestMailbox, over: Partial<ConstructorParameters<typeof RelayClient>[0]> = {}) =>
  new RelayClient({ relayUrl: server.url, address: m.address, identity: m.identity, chunkThresholdBytes: 10_000, sleep: async (ms) => void delays.push(ms), ...over });

/** A fetch that runs `hook` around the real one, counting calls per path. */
function wrapFetch(hook: (url: string, init: RequestInit | undefined, call: number, real: () => Promise<Response>) => Promise<Response>): typeof fetch {
  const calls = new Map<string, number>();
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    const key = `${init?.method ?? 'GET'} ${new URL(url).pathname}`;
    const call = (calls.get(key) ?? 0) + 1;
    calls.set(key, call);
    return hook(url, init, call, () => fetch(url, init));
  }) as typeof fetch;
}

describe('RelayClient', () => {
  it('submits, lists, downloads and acknowledges', async () => {
    const envelope = randomEnvelope(3000);
    const id = newId();
    const answer = await client(alice).submit(envelope, { messageId: id, to: [bob.address] });
    expect(answer).toMatchObject({ messageId: id, size: 3000, digest: digestOf(envelope), recipients: [bob.address] });
    const bobClient = client(bob);
    const entries = [];
    for await (const entry of bobClient.inbox({ limit: 1 })) entries.push(entry);
    expect(entries.map((e) => e.messageId)).toContain(id);
    expect(Buffer.from(await bobClient.download(id)).equals(Buffer.from(envelope))).toBe(true);
    expect((await bobClient.acknowledge(id)).messageId).toBe(id);
    expect((await bobClient.listInbox()).items.find((e) => e.messageId === id)?.acknowledgedAt).not.toBeNull();
  });

  it('uploads large envelopes in chunks with progress, and downloads them with progress', async () => {
    const envelope = randomEnvelope(30_000);
    const id = newId();
    const up: TransferProgress[] = [];
    await client(alice).submit(envelope, { messageId: id, to: [bob.address], onProgress: (p) => up.push(p) });
    expect(up.at(-1)).toEqual({ loaded: 30_000, total: 30_000 });
    expect(up.length).toBeGreaterThanOrEqual(8);
    expect(up.every((p, i) => i === 0 || p.loaded >= up[i - 1]!.loaded)).toBe(true);
    const down: TransferProgress[] = [];
    const bytes = await client(bob).download(id, { onProgress: (p) => down.push(p) });
    expect(Buffer.from(bytes).equals(Buffer.from(envelope))).toBe(true);
    expect(down.at(-1)).toEqual({ loaded: 30_000, total: 30_000 });
  });

  it('retries network failures and 503 with jittered exponential backoff', async () => {
    delays.length = 0;
    const f = wrapFetch(async (_url, init, call, real) => {
      if (init?.method === 'PUT' && call === 1) throw new TypeError('fetch failed');
      if (init?.method === 'PUT' && call === 2) return new Response(JSON.stringify({ status: 503, code: 'ERR_RELAY_UNAVAILABLE' }), { status: 503, headers: { 'content-type': 'application/problem+json' } });
      return real();
    });
    const c = client(alice, { fetch: f, random: () => 0.5, retry: { baseDelayMs: 100 } });
    await c.submit(randomEnvelope(100), { messageId: newId(), to: [bob.address] });
    // Full jitter: half of 100·2^0, then half of 100·2^1.
    expect(delays).toEqual([50, 100]);
  });

  it('a retry after a lost 201 yields the first answer and one message', async () => {
    const id = newId();
    const envelope = randomEnvelope(500);
    const f = wrapFetch(async (_url, init, call, real) => {
      const res = await real();
      if (init?.method === 'PUT' && call === 1) throw new TypeError('connection reset after the relay answered');
      return res;
    });
    const answer = await client(alice, { fetch: f }).submit(envelope, { messageId: id, to: [bob.address] });
    expect(answer.messageId).toBe(id);
    const all = [];
    for await (const e of client(bob).inbox()) if (e.messageId === id) all.push(e);
    expect(all).toHaveLength(1);
  });

  it('resumes a chunked upload after lost chunk and complete answers', async () => {
    const id = newId();
    const envelope = randomEnvelope(20_000);
    const f = wrapFetch(async (url, init, call, real) => {
      const res = await real();
      if (init?.method === 'PUT' && url.endsWith('/chunks/1') && call === 1) throw new TypeError('lost');
      if (init?.method === 'POST' && url.endsWith('/complete') && call === 1) throw new TypeError('lost');
      return res;
    });
    const answer = await client(alice, { fetch: f }).submit(envelope, { messageId: id, to: [bob.address] });
    expect(answer).toMatchObject({ messageId: id, digest: digestOf(envelope) });
    expect(Buffer.from(await client(bob).download(id)).equals(Buffer.from(envelope))).toBe(true);
  });

  it('resumes a broken download with Range', async () => {
    const id = newId();
    const envelope = randomEnvelope(30_000);
    await client(alice).submit(envelope, { messageId: id, to: [bob.address] });
    const ranges: (string | null)[] = [];
    const f = wrapFetch(async (_url, init, call, real) => {
      const res = await real();
      if (init?.method !== 'GET' || !_url.includes(id)) return res;
      ranges.push(new Headers(init.headers).get('range'));
      if (call > 1) return res;
      // Pass the first 5000 bytes, then break the stream.
      const reader = res.body!.getReader();
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { done, value } = await reader.read();
          if (done || sent >= 5000) {
            void reader.cancel();
            controller.error(new TypeError('terminated'));
            return;
          }
          const part = value.subarray(0, Math.min(value.length, 5000 - sent));
          sent += part.length;
          controller.enqueue(part);
        },
      });
      return new Response(body, { status: res.status, headers: res.headers });
    });
    const bytes = await client(bob, { fetch: f }).download(id);
    expect(Buffer.from(bytes).equals(Buffer.from(envelope))).toBe(true);
    expect(ranges).toEqual([null, 'bytes=5000-']);
  });

  it('types its errors: conflict, auth, quota, not-found, network, digest', async () => {
    const id = newId();
    await client(alice).submit(randomEnvelope(100), { messageId: id, to: [bob.address] });
    const fail = async (p: Promise<unknown>): Promise<TransportError> => {
      const error = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TransportError);
      return error as TransportError;
    };
    const conflict = await fail(client(alice).submit(randomEnvelope(100), { messageId: id, to: [bob.address] }));
    expect(conflict).toMatchObject({ kind: 'conflict', code: 'ERR_TRANSPORT_CONFLICT', status: 409 });
    expect(conflict.problem?.code).toBe('ERR_RELAY_CONFLICT');
    const auth = await fail(new RelayClient({ relayUrl: server.url, address: alice.address, identity: bob.identity }).listInbox());
    expect(auth).toMatchObject({ kind: 'auth', code: 'ERR_TRANSPORT_AUTH', status: 401 });
    const quota = await fail(client(alice, { chunkThresholdBytes: 1_000_000 }).submit(randomEnvelope(60_000), { messageId: newId(), to: [bob.address] }));
    expect(quota).toMatchObject({ kind: 'quota', code: 'ERR_TRANSPORT_QUOTA', status: 413 });
    expect((await fail(client(bob).download(newId()))).kind).toBe('not-found');
    const network = await fail(new RelayClient({ relayUrl: 'http://127.0.0.1:1', address: alice.address, identity: alice.identity, retry: { attempts: 2 }, sleep: async () => undefined }).listInbox());
    expect(network).toMatchObject({ kind: 'network', code: 'ERR_TRANSPORT_NETWORK' });
    const liar = wrapFetch(async (url, init, _call, real) => {
      const res = await real();
      if (init?.method !== 'GET' || !url.includes(id)) return res;
      const headers = new Headers(res.headers);
      headers.set('content-digest', digestOf(randomEnvelope(10)));
      return new Response(res.body, { status: res.status, headers });
    });
    expect(await fail(client(bob, { fetch: liar }).download(id))).toMatchObject({ kind: 'digest', code: 'ERR_TRANSPORT_DIGEST' });
  });

  it('registers a mailbox with an invite, once', async () => {
    const carol = await makeMailbox('carol@b.example');
    await store.createInvite({ codeHash: hashInvite('carol-invite-123'), address: carol.address, expiresAt: Date.now() + 60_000 });
    expect(await registerMailbox(server.url, carol.identity, carol.address, 'carol-invite-123')).toEqual({ address: carol.address });
    const again = await registerMailbox(server.url, carol.identity, carol.address, 'carol-invite-123').catch((e: unknown) => e);
    expect(again).toMatchObject({ kind: 'auth', code: 'ERR_TRANSPORT_AUTH', status: 403 });
    expect((again as TransportError).problem?.code).toBe('ERR_RELAY_INVITE');
    expect((await client(carol).listInbox()).items).toEqual([]);
  });

  it('reads the timeline of a sent message and posts receipts (a relay without identity: events unsigned)', async () => {
    const fail = async (p: Promise<unknown>): Promise<TransportError> => {
      const error = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TransportError);
      return error as TransportError;
    };
    const id = newId();
    await client(alice).submit(randomEnvelope(500), { messageId: id, to: [bob.address] });
    const posted = await client(bob).sendReceipt(id, randomEnvelope(64), { status: 'rejected', reason: 'wrong recipient' });
    expect(posted).toMatchObject({ messageId: id, kind: 'rejected', stored: 'created' });
    const timeline = await client(alice).timeline(id);
    expect(timeline.events.map((e) => [e.kind, e.actor, e.recipient, e.reason, e.format])).toEqual([
      ['accepted', 'relay', null, null, 'unsigned'],
      ['rejected', bob.address, bob.address, 'wrong recipient', 'cms'],
    ]);
    expect(JSON.parse(Buffer.from(timeline.events[0]!.signed!, 'base64url').toString())).toMatchObject({ v: 1, messageId: id, kind: 'accepted', sender: alice.address, recipients: [bob.address] });
    expect((await fail(client(bob).timeline(id))).kind).toBe('not-found');
    expect((await fail(client(alice).sendReceipt(id, randomEnvelope(64), { status: 'read' }))).kind).toBe('not-found');
    await expect(client(bob).sendReceipt(id, randomEnvelope(64), { status: 'rejected' })).rejects.toThrow(TypeError);
    await expect(client(bob).sendReceipt(id, randomEnvelope(64), { status: 'opened' as 'read' })).rejects.toThrow(TypeError);
    await expect(client(bob).sendReceipt(id, new Uint8Array(0), { status: 'read' })).rejects.toThrow(TypeError);
  });
});
