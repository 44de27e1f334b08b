/**
 * Hostile clients on real sockets (127.0.0.1, port 0): oversized headers, a body with no length
 * that grows past the limit, a client that stalls mid-upload, a client that drops mid-body. Each
 * gets problem+json (or a closed socket when it has gone), and the relay keeps serving others.
 * Also: graceful shutdown lets an in-flight submission finish with its 201.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient } from '@sealpost/sdk/transport';
import { startServer } from '../../relay/server.js';
import type { RunningServer } from '../../relay/server.js';
import { openSqliteStore } from '../../relay/storage/sqlite.js';
import type { RelayStore } from '../../relay/storage/types.js';
import { makeMailbox, newId, randomEnvelope } from './helpers.js';
import type { TestMailbox } from './helpers.js';

let dir: string;
let store: RelayStore;
let server: RunningServer;
let alice: TestMailbox;
let bob: TestMailbox;
let token: string;
let host: string;
let port: number;

/** Sends raw bytes and resolves with everything the server answers until it closes (bounded). */
function raw(request: string | Buffer, options: { stallAfterMs?: number; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${options.timeoutMs ?? 10_000} ms; got: ${answer}`));
    }, options.timeoutMs ?? 10_000);
    socket.on('data', (d) => void (answer += d.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.on('error', () => undefined);
    socket.write(request);
  });
}

const client = (m: TestMailbox) => new RelayClient({ relayUrl: server.url, address: m.address, identity: m.identity, retry: { attempts: 1 } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sealpost-sockets-'));
  store = openSqliteStore(join(dir, 'relay.db'));
  await store.migrate();
  [alice, bob] = await Promise.all([makeMailbox('alice@a.example'), makeMailbox('bob@b.example')]);
  for (const m of [alice, bob]) await store.addMailbox({ address: m.address, certificate: m.identity.certificate, createdAt: Date.now() });
  server = await startServer({ store, port: 0, logger: false, maxEnvelopeBytes: 100_000, requestTimeoutMs: 1500, purgeIntervalMs: 0, rateLimitPerIp: 0, rateLimitPerMailbox: 0, closeStore: false });
  ({ hostname: host } = new URL(server.url));
  port = server.port;
  token = await client(alice).login();
});
afterAll(async () => {
  await server.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const head = (path: string, extra = '') => `PUT ${path} HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/octet-stream\r\nSealpost-To: bob@b.example\r\n${extra}`;
const problemOf = (answer: string): { status: number; body: Record<string, unknown> } => {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
  expect(answer).toMatch(/content-type: application\/problem\+json/i);
  const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
  // Chunked responses: take the JSON object out of the framing.
  return { status, body: JSON.parse(body.slice(body.indexOf('{'), body.lastIndexOf('}') + 1)) as Record<string, unknown> };
};

describe('hostile clients on real sockets', () => {
  it('answers oversized headers with a 431 problem', async () => {
    const answer = await raw(`GET /healthz HTTP/1.1\r\nHost: relay\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(problemOf(answer)).toMatchObject({ status: 431, body: { code: 'ERR_RELAY_HEADERS_TOO_LARGE' } });
  });

  it('answers a malformed request line with a 400 problem', async () => {
    expect(problemOf(await raw('BLAH\r\n\r\n'))).toMatchObject({ status: 400, body: { code: 'ERR_RELAY_BAD_REQUEST' } });
  });

  it('cuts off a chunked body without length as soon as it passes the limit (413)', async () => {
    const piece = 'a'.repeat(30_000);
    const chunk = `${piece.length.toString(16)}\r\n${piece}\r\n`;
    const answer = await raw(`${head(`/v1/messages/${newId()}`, 'Transfer-Encoding: chunked\r\n')}\r\n${chunk.repeat(5)}0\r\n\r\n`);
    expect(problemOf(answer)).toMatchObject({ status: 413, body: { code: 'ERR_RELAY_TOO_LARGE' } });
  });

  it('refuses a declared length over the limit before reading the body', async () => {
    const answer = await raw(`${head(`/v1/messages/${newId()}`, 'Content-Length: 5000000\r\n')}\r\n`);
    expect(problemOf(answer)).toMatchObject({ status: 413, body: { code: 'ERR_RELAY_TOO_LARGE' } });
  });

  it('drops a client that stalls mid-upload (bounded by requestTimeoutMs) and keeps serving others; nothing is stored', async () => {
    const id = newId();
    const stalled = raw(`${head(`/v1/messages/${id}`, 'Content-Length: 50000\r\n')}\r\n${'a'.repeat(1000)}`, { timeoutMs: 10_000 });
    // While it stalls, another client submits normally.
    const other = newId();
    expect((await client(alice).submit(randomEnvelope(1000), { messageId: other, to: [bob.address] })).messageId).toBe(other);
    const answer = await stalled;
    // Node reports the timed-out request to the relay's client-error handler: a 408 problem.
    expect(problemOf(answer)).toMatchObject({ status: 408, body: { code: 'ERR_RELAY_TIMEOUT' } });
    expect(await store.getAnswer(id)).toBeUndefined();
    expect(await store.getAnswer(other)).toBeDefined();
  });

  it('stores nothing for a client that disconnects mid-body', async () => {
    const id = newId();
    await new Promise<void>((resolve) => {
      const socket = connect(port, host, () => {
        socket.write(`${head(`/v1/messages/${id}`, 'Content-Length: 50000\r\n')}\r\n${'a'.repeat(20_000)}`, () => {
          socket.destroy();
          resolve();
        });
      });
      socket.on('error', () => undefined);
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(await store.getAnswer(id)).toBeUndefined();
    const listed = await client(bob).listInbox({ limit: 1000 });
    expect(listed.items.some((i) => i.messageId === id)).toBe(false);
  });
});

describe('graceful shutdown', () => {
  it('finishes an in-flight submission with its 201, then refuses new connections', async () => {
    const dir2 = mkdtempSync(join(tmpdir(), 'sealpost-shutdown-'));
    const store2 = openSqliteStore(join(dir2, 'relay.db'));
    await store2.migrate();
    for (const m of [alice, bob]) await store2.addMailbox({ address: m.address, certificate: m.identity.certificate, createdAt: Date.now() });
    const s = await startServer({ store: store2, port: 0, logger: false, purgeIntervalMs: 0 });
    try {
      const c = new RelayClient({ relayUrl: s.url, address: alice.address, identity: alice.identity, retry: { attempts: 1 } });
      const t = await c.login();
      const id = newId();
      const body = Buffer.from(randomEnvelope(40_000));
      // Start a submission whose body trickles in, then close the server in the middle of it.
      const result = new Promise<string>((resolve) => {
        const socket = connect(s.port, '127.0.0.1', () => {
          socket.write(`PUT /v1/messages/${id} HTTP/1.1\r\nHost: r\r\nAuthorization: Bearer ${t}\r\nContent-Type: application/octet-stream\r\nSealpost-To: bob@b.example\r\nContent-Length: ${body.length}\r\n\r\n`);
          socket.write(body.subarray(0, 20_000));
          setTimeout(() => socket.write(body.subarray(20_000)), 300);
        });
        let answer = '';
        socket.on('data', (d) => void (answer += d.toString()));
        socket.on('close', () => resolve(answer));
        socket.on('error', () => undefined);
      });
      await new Promise((r) => setTimeout(r, 100));
      const closing = s.close();
      const answer = await result;
      await closing;
      expect(answer).toMatch(/^HTTP\/1\.1 201/);
      const reopened = openSqliteStore(join(dir2, 'relay.db'));
      expect((await reopened.getAnswer(id))?.answer.size).toBe(40_000);
      await reopened.close();
      await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
    } finally {
      await s.close();
      rmSync(dir2, { recursive: true, force: true });
    }
  });
});
