/**
 * The served /openapi.json (relay/openapi.ts) is a valid OpenAPI 3.1 document, and it describes
 * every route the relay app registers, with every optional part switched on (directory, domain,
 * relay identity, pinned peers), and nothing the app does not serve.
 *
 * Routes are recorded with an `onRoute` hook added to the fastify instance the moment buildApp
 * creates it (the factory is wrapped, not replaced), so routes inside encapsulated plugins count.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as FastifyModule from 'fastify';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { Validator } from '@seriousme/openapi-schema-validator';
import { buildApp } from '../../relay/app.js';
import { openSqliteDirectoryStore } from '../../relay/directory/index.js';
import type { DirectoryStore } from '../../relay/directory/index.js';
import { openSqliteStore } from '../../relay/storage/sqlite.js';
import type { RelayStore } from '../../relay/storage/types.js';
import { relayIdentity } from '../directory/helpers.js';

const registered = vi.hoisted(() => [] as { method: string; url: string }[]);

vi.mock('fastify', async (importOriginal) => {
  const original = await importOriginal<typeof FastifyModule>();
  const wrapped = ((options: Parameters<typeof original.default>[0]) => {
    const app = original.default(options);
    app.addHook('onRoute', (route: RouteOptions) => {
      for (const method of [route.method].flat()) registered.push({ method: method.toLowerCase(), url: route.url });
    });
    return app;
  }) as unknown as typeof original.default;
  return { ...original, default: wrapped, fastify: wrapped };
});

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

/** fastify's `/a/:b` (and `*`) as an OpenAPI path template `/a/{b}`. */
const toTemplate = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

let app: FastifyInstance;
let store: RelayStore;
let directory: DirectoryStore;

beforeAll(async () => {
  store = openSqliteStore(':memory:');
  await store.migrate();
  directory = openSqliteDirectoryStore(':memory:');
  await directory.migrate();
  const identity = await relayIdentity('relay.harbourside.example');
  app = await buildApp({
    store,
    logger: false,
    domain: 'harbourside.example',
    identity,
    peers: { 'other.example': 'http://127.0.0.1:9' },
    directory: { store: directory, signer: identity, publicUrl: 'https://relay.harbourside.example' },
    rateLimitPerIp: 0,
    rateLimitPerMailbox: 0,
  });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await store?.close();
  await directory?.close();
});

async function servedDocument(): Promise<{ paths: Record<string, Record<string, unknown>> } & Record<string, unknown>> {
  const res = await app.inject({ method: 'GET', url: '/openapi.json' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return res.json();
}

describe('/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const document = await servedDocument();
    expect(document.openapi).toMatch(/^3\.1\./);
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('the validator does refuse a broken document (the check above can fail)', async () => {
    const document = await servedDocument();
    const broken = structuredClone(document);
    (broken.paths['/healthz'] as Record<string, unknown>).get = { responses: { 200: { summary: 'no description' } } };
    const result = await new Validator().validate(broken);
    expect(result.valid).toBe(false);
  });

  it('documents every route the app registers (all optional plugins on)', async () => {
    const document = await servedDocument();
    // HEAD routes fastify adds for every GET are implied by the GET.
    const routes = registered.filter((r) => r.method !== 'head' || !registered.some((g) => g.method === 'get' && g.url === r.url));
    expect(routes.length).toBeGreaterThan(20);
    // Sanity: the optional plugins did register (otherwise the check below proves little).
    expect(routes).toEqual(expect.arrayContaining([
      { method: 'get', url: '/fhir/metadata' },
      { method: 'get', url: '/.well-known/sealpost' },
      { method: 'put', url: '/v1/relay/messages/:messageId' },
      { method: 'get', url: '/v1/messages/:messageId/timeline' },
    ]));
    const undocumented = routes.filter((r) => document.paths[toTemplate(r.url)]?.[r.method] === undefined).map((r) => `${r.method.toUpperCase()} ${r.url}`);
    expect(undocumented).toEqual([]);
  });

  it('documents nothing the app does not serve', async () => {
    const document = await servedDocument();
    const served = new Set(registered.map((r) => `${r.method} ${toTemplate(r.url)}`));
    const extra: string[] = [];
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of Object.keys(item).filter((k) => HTTP_METHODS.includes(k))) if (!served.has(`${method} ${path}`)) extra.push(`${method.toUpperCase()} ${path}`);
    }
    expect(extra).toEqual([]);
  });

  it('names every path parameter of a templated path', async () => {
    const document = await servedDocument();
    const problems: string[] = [];
    for (const [path, item] of Object.entries(document.paths)) {
      const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const method of Object.keys(item).filter((k) => HTTP_METHODS.includes(k))) {
        const operation = item[method] as { parameters?: { name: string; in: string }[] };
        const declared = [...(operation.parameters ?? []), ...(((item.parameters ?? []) as { name: string; in: string }[]))].filter((p) => p.in === 'path').map((p) => p.name);
        for (const name of names) if (!declared.includes(name!)) problems.push(`${method.toUpperCase()} ${path}: {${name}} not declared`);
      }
    }
    expect(problems).toEqual([]);
  });
});
