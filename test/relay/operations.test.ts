/** Rate limits (per IP and per mailbox, problem+json 429) and TLS on a real socket. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../relay/app.js';
import { startServer } from '../../relay/server.js';
import { openSqliteStore } from '../../relay/storage/sqlite.js';
import type { RelayStore } from '../../relay/storage/types.js';
import { login, makeMailbox } from './helpers.js';

let dir: string;
let store: RelayStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sealpost-ops-'));
  store = openSqliteStore(join(dir, 'relay.db'));
  await store.migrate();
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('rate limits', () => {
  it('limits per IP and per mailbox separately, with problem+json 429 and Retry-After', async () => {
    const alice = await makeMailbox('alice@a.example');
    await store.addMailbox({ address: alice.address, certificate: alice.identity.certificate, createdAt: Date.now() });
    const app = await buildApp({ store, logger: false, rateLimitPerIp: 6, rateLimitPerMailbox: 3 });
    try {
      // login uses 2 of the IP's 6 requests.
      const token = await login(app, alice);
      const inbox = () => app.inject({ method: 'GET', url: `/v1/mailboxes/${alice.address}/messages`, headers: { authorization: `Bearer ${token}` } });
      expect((await inbox()).statusCode).toBe(200);
      expect((await inbox()).statusCode).toBe(200);
      expect((await inbox()).statusCode).toBe(200);
      const limited = await inbox();
      expect(limited.statusCode).toBe(429);
      expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(limited.json()).toMatchObject({ code: 'ERR_RELAY_RATE_LIMITED', status: 429 });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // The IP still has requests left for unauthenticated calls (2 used of 6).
      const challenge = () => app.inject({ method: 'POST', url: '/v1/auth/challenge', payload: { address: alice.address } });
      for (let i = 0; i < 4; i++) expect((await challenge()).statusCode).toBe(200);
      expect((await challenge()).statusCode).toBe(429);
      // Health checks are never limited.
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('TLS', () => {
  it('serves HTTPS when configured, and refuses plain HTTP beyond loopback', async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const cert = readFileSync(join(dir, 'cert.pem'));
    const server = await startServer({ store, port: 0, logger: false, purgeIntervalMs: 0, closeStore: false, tls: { key: readFileSync(join(dir, 'key.pem')), cert } });
    try {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(`${server.url}/healthz`, { ca: cert }, (res) => {
          let data = '';
          res.on('data', (d: Buffer) => void (data += d.toString()));
          res.on('end', () => resolve(data));
        });
        req.on('error', reject);
        req.end();
      });
      expect(JSON.parse(body)).toEqual({ status: 'ok' });
    } finally {
      await server.close();
    }
    await expect(startServer({ store, host: '0.0.0.0', port: 0, logger: false, closeStore: false })).rejects.toThrow(RangeError);
  });
});

describe('readiness', () => {
  it('answers /readyz 503 when the store is down, while /healthz stays 200', async () => {
    const own = openSqliteStore(join(dir, 'ready.db'));
    await own.migrate();
    const app = await buildApp({ store: own, logger: false });
    try {
      expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      await own.close();
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'unavailable', store: 'sqlite' });
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
