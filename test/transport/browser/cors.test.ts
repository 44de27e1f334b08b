/** relay/internal/cors.ts through inject(): allowed origins only, preflights, errors readable, off by default. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../relay/app.js';
import { openSqliteStore } from '../../../relay/storage/sqlite.js';
import type { RelayStore } from '../../../relay/storage/types.js';

const PAGE = 'https://app.gp.example';
const EXTENSION = 'chrome-extension://abcdefghijklmnopabcdefghijklmnop';
let store: RelayStore;
let app: FastifyInstance;
let plain: FastifyInstance;

beforeAll(async () => {
  store = openSqliteStore(':memory:');
  await store.migrate();
  app = await buildApp({ store, logger: false, corsOrigins: [PAGE, `${EXTENSION}/`], rateLimitPerIp: 0, rateLimitPerMailbox: 0 });
  plain = await buildApp({ store, logger: false, rateLimitPerIp: 0, rateLimitPerMailbox: 0 });
});
afterAll(async () => {
  await app?.close();
  await plain?.close();
  await store?.close();
});

const preflight = (target: FastifyInstance, origin: string, url = '/v1/messages/abc') =>
  target.inject({ method: 'OPTIONS', url, headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization, content-type, content-digest, sealpost-to' } });

describe('CORS', () => {
  it('answers a preflight from an allowed page or extension origin on any path', async () => {
    for (const [origin, url] of [
      [PAGE, '/v1/messages/abc'],
      [EXTENSION, '/v1/mailboxes/bob%40b.example/messages/abc'],
    ] as const) {
      const res = await preflight(app, origin, url);
      expect(res.statusCode, origin).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(origin);
      expect(res.headers.vary).toBe('Origin');
      expect(String(res.headers['access-control-allow-methods'])).toContain('PUT');
      for (const h of ['authorization', 'content-type', 'content-digest', 'sealpost-to', 'range', 'if-range']) expect(String(res.headers['access-control-allow-headers'])).toContain(h);
    }
  });

  it('gives nothing to other origins, and nothing at all when no origins are configured', async () => {
    const other = await preflight(app, 'https://evil.example');
    expect(other.statusCode).toBe(404);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const off = await preflight(plain, PAGE);
    expect(off.headers['access-control-allow-origin']).toBeUndefined();
    const get = await plain.inject({ method: 'GET', url: '/healthz', headers: { origin: PAGE } });
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('lets an allowed origin read answers, problem+json errors included, and the headers downloads need', async () => {
    const ok = await app.inject({ method: 'GET', url: '/healthz', headers: { origin: PAGE } });
    expect(ok.headers['access-control-allow-origin']).toBe(PAGE);
    for (const h of ['content-digest', 'content-range', 'etag', 'retry-after', 'x-sealpost-signature']) expect(String(ok.headers['access-control-expose-headers'])).toContain(h);
    const denied = await app.inject({ method: 'GET', url: '/v1/mailboxes/bob%40b.example/messages', headers: { origin: PAGE, authorization: 'Bearer nonsense' } });
    expect(denied.statusCode).toBe(401);
    expect(denied.headers['content-type']).toContain('application/problem+json');
    expect(denied.headers['access-control-allow-origin']).toBe(PAGE);
  });
});
