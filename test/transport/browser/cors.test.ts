/**
 * relay/internal/cors.ts through inject(): allowed origins only, preflights, errors readable, off
 * by default; and `sealpost relay start --cors-origin` (the real CLI in its own process).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/run.js';
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

describe('sealpost relay start --cors-origin', () => {
  const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
  it('passes the origins to the relay', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealpost-cors-cli-'));
    const env = { ...process.env, SEALPOST_PASSPHRASE: 'cors-test-passphrase' };
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', join(ROOT, 'cli/main.ts'), 'relay', 'start', '--port', '0', '--db', `sqlite:${join(dir, 'relay.db')}`, '--log-level', 'warn', '--cors-origin', PAGE, '--cors-origin', `${EXTENSION}/`], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`relay did not start: ${stderr}`)), 60_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const match = /relay listening on (\S+)/.exec(out);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
        child.once('exit', (code) => reject(new Error(`relay exited with ${code}: ${stderr}`)));
      });
      for (const origin of [PAGE, EXTENSION]) {
        const res = await fetch(`${url}/v1/auth/challenge`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
        expect(res.status, origin).toBe(204);
        expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      }
      const other = await fetch(`${url}/healthz`, { headers: { origin: 'https://evil.example' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('refuses something that is not an origin (exit 2)', async () => {
    let err = '';
    const code = await runCli(['relay', 'start', '--port', '0', '--cors-origin', 'https://app.example/path'], { cwd: process.cwd(), env: {}, stdout: () => undefined, stderr: (s) => void (err += s) });
    expect(code).toBe(2);
    expect(err).toContain("--cors-origin: 'https://app.example/path' is not an origin");
  });
});
