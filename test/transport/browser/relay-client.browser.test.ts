/**
 * The SDK transport client for real in Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core), in a web page and in an MV3 extension service worker, against a real relay on
 * 127.0.0.1: register with invite codes, log in, submit (one request, and in chunks with progress),
 * list the inbox (paged), download through a connection that breaks mid-body (resumed with
 * Range/If-Range), open the letters, acknowledge. The browser code is test/transport/browser/entry.ts,
 * bundled with the SDK's browser build (sdk/dist, which `npm test` builds before vitest runs).
 *
 * The page comes from its own origin (http://127.0.0.1:PAGE_PORT, a secure context), so every
 * relay call is cross-origin and needs the relay's CORS answers (config.corsOrigins). The
 * extension has no host permissions, so its worker also goes through CORS, as origin
 * chrome-extension://ID; the ID is fixed by the manifest's `key`.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../../relay/server.js';
import type { RunningServer } from '../../../relay/server.js';
import { hashInvite } from '../../../relay/plugins/mailbox.js';
import { openSqliteStore } from '../../../relay/storage/sqlite.js';
import type { RelayStore } from '../../../relay/storage/types.js';
import type { ScenarioInput, ScenarioReport } from './entry.js';

const CHROMIUM = process.env.SEALPOST_CHROMIUM ?? '/usr/bin/chromium';
const DIST = fileURLToPath(new URL('../../../sdk/dist/', import.meta.url));
const ENTRY = fileURLToPath(new URL('./entry.ts', import.meta.url));
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const CHUNK_BYTES = 16 * 1024;
const LARGE_BYTES = 200_000;
const BREAK_AFTER = 64 * 1024;

/** An extension key and the ID Chromium derives from it (SHA-256 of the SPKI, first 16 bytes, hex digits as a–p). */
function extensionKey(): { key: string; id: string } {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const id = [...createHash('sha256').update(spki).digest('hex').slice(0, 32)].map((c) => String.fromCharCode(97 + parseInt(c, 16))).join('');
  return { key: spki.toString('base64'), id };
}

let dir: string;
let store: RelayStore;
let relay: RunningServer;
let pageServer: Server;
let pageOrigin: string;
let script: string;
const extension = extensionKey();

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) or set SEALPOST_CHROMIUM`);
  for (const file of ['crypto.js', 'transport.js']) if (!existsSync(join(DIST, file))) throw new Error(`sdk/dist/${file} is missing: run \`npm run build\` first`);
  const bundle = await build({
    entryPoints: [ENTRY],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    alias: { '@sealpost/sdk/crypto': join(DIST, 'crypto.js'), '@sealpost/sdk/transport': join(DIST, 'transport.js') },
    logLevel: 'silent',
  });
  script = bundle.outputFiles[0]?.text ?? '';
  // A page origin of its own: a second loopback port.
  pageServer = createServer((request, response) => {
    if (request.url === '/entry.js') return void response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><meta charset="utf-8"><title>sealpost transport</title><script type="module" src="/entry.js"></script>');
  });
  await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
  pageOrigin = `http://127.0.0.1:${(pageServer.address() as { port: number }).port}`;

  dir = mkdtempSync(join(tmpdir(), 'sealpost-transport-browser-'));
  store = openSqliteStore(join(dir, 'relay.db'));
  await store.migrate();
  relay = await startServer({
    store,
    port: 0,
    logger: false,
    chunkBytes: CHUNK_BYTES,
    corsOrigins: [pageOrigin, `chrome-extension://${extension.id}`],
    rateLimitPerIp: 0,
    rateLimitPerMailbox: 0,
    purgeIntervalMs: 0,
  });
}, 120_000);
afterAll(async () => {
  await relay?.close();
  await new Promise((resolve) => pageServer?.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function inputFor(tag: string): Promise<ScenarioInput> {
  const alice = { address: `alice-${tag}@a.example`, invite: `invite-alice-${tag}-0123456789` };
  const bob = { address: `bob-${tag}@b.example`, invite: `invite-bob-${tag}-0123456789` };
  for (const m of [alice, bob]) await store.createInvite({ codeHash: hashInvite(m.invite), address: m.address, expiresAt: Date.now() + 600_000 });
  return { relayUrl: relay.url, alice, bob, breakAfter: BREAK_AFTER, largeBytes: LARGE_BYTES, chunkThresholdBytes: 32 * 1024 };
}

/** What both runs must show; the relay's own store is checked as well. */
async function expectScenario(report: ScenarioReport | { error: string }, input: ScenarioInput): Promise<void> {
  if ('error' in report) throw new Error(`browser scenario failed: ${report.error}`);
  expect(report.tokenLength).toBeGreaterThan(20);

  // One-request submit: progress 0 → total; an identical retry gets the first answer.
  expect(report.small.progress.at(0)).toEqual({ loaded: 0, total: report.small.size });
  expect(report.small.progress.at(-1)).toEqual({ loaded: report.small.size, total: report.small.size });
  expect(report.idempotentRepeat.sameAnswer).toBe(true);

  // Chunked submit: the envelope is over the threshold, so it went up in CHUNK_BYTES chunks with
  // progress after each one, increasing to the total.
  const chunks = Math.ceil(report.large.size / CHUNK_BYTES);
  expect(report.large.size).toBeGreaterThan(LARGE_BYTES);
  const loaded = report.large.progress.map((p) => p.loaded);
  expect(loaded[0]).toBe(0);
  expect(loaded.at(-1)).toBe(report.large.size);
  expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
  expect(new Set(loaded).size).toBe(chunks + 1);

  // Inbox: both letters, oldest first; pages of one with a cursor.
  expect(report.inbox.all).toEqual([report.small.messageId, report.large.messageId]);
  expect(report.inbox.firstPage).toEqual([report.small.messageId]);
  expect(report.inbox.firstPageNextCursor).toBe(true);
  expect(report.inbox.secondPage).toEqual([report.large.messageId]);

  // Download: the first request's connection was aborted mid-body; the client asked only for the
  // rest (Range from where it broke, If-Range the relay's ETag) and got 206.
  const large = report.download.requests.filter((r) => r.path === report.download.largePath);
  expect(large).toHaveLength(2);
  expect(large[0]).toMatchObject({ range: null, ifRange: null, status: 200 });
  expect(report.download.brokeAt[report.download.largePath]).toBe(BREAK_AFTER);
  expect(large[1]).toMatchObject({ range: `bytes=${BREAK_AFTER}-`, status: 206 });
  expect(large[1]?.ifRange).toMatch(/^"/);
  expect(report.download.bytes).toBe(report.large.size);
  expect(report.download.progressLast).toEqual({ loaded: report.large.size, total: report.large.size });
  // A connection lost after the last byte but before the end of the stream: nothing left to ask for.
  const small = report.download.requests.filter((r) => r.path === report.download.smallPath);
  expect(report.download.brokeAt[report.download.smallPath]).toBe(report.small.size);
  expect(small).toEqual([{ path: report.download.smallPath, range: null, ifRange: null, status: 200 }]);

  // The downloaded bytes open (they were checked against the relay's Content-Digest as well).
  expect(report.opened).toEqual({ smallText: 'Dear Bob, results attached. Alice', largeMatches: true, signer: [input.alice.address] });

  // Acknowledged, and the relay says so.
  expect(report.acks.map((a) => a.messageId)).toEqual([report.small.messageId, report.large.messageId]);
  expect(report.inboxAfterAck.every((e) => e.acknowledgedAt !== null)).toBe(true);
  for (const id of [report.small.messageId, report.large.messageId]) {
    const delivery = await store.getDelivery(input.bob.address, id, Date.now());
    expect(delivery?.acknowledgedAt ?? null, id).not.toBeNull();
  }

  // Errors are typed and the relay's problem is readable cross-origin.
  expect(report.unknownMailbox).toMatchObject({ kind: 'auth', status: 401 });
  expect(report.unknownMailbox.code).toMatch(/^ERR_RELAY_/);
}

describe('RelayClient in Chromium against a real relay', () => {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', ...FLAGS] });
  });
  afterAll(() => browser?.close());

  it('in a page (cross-origin, CORS): register, login, submit (also chunked, with progress), inbox, resumed ranged download, open, ack', async () => {
    const input = await inputFor('page');
    const page = await (browser as Browser).newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${pageOrigin}/`);
    await page.waitForFunction(() => typeof (globalThis as { runTransport?: unknown }).runTransport === 'function');
    const report = await page.evaluate((arg) => (globalThis as unknown as { runTransport: (i: typeof arg) => Promise<ScenarioReport | { error: string }> }).runTransport(arg), input);
    expect(errors).toEqual([]);
    if (!('error' in report)) expect(report).toMatchObject({ origin: pageOrigin, hasWindow: true });
    await expectScenario(report, input);
  }, 120_000);

  it('in an MV3 extension service worker (no window, origin chrome-extension://ID, no host permissions)', async () => {
    const input = await inputFor('worker');
    const extensionDir = mkdtempSync(join(tmpdir(), 'sealpost-mv3-transport-'));
    const profile = mkdtempSync(join(tmpdir(), 'sealpost-profile-'));
    try {
      writeFileSync(join(extensionDir, 'manifest.json'), JSON.stringify({ manifest_version: 3, name: 'sealpost transport', version: '1.0', key: extension.key, background: { service_worker: 'entry.js', type: 'module' } }));
      writeFileSync(join(extensionDir, 'entry.js'), script);
      const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: [...FLAGS, `--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`] });
      try {
        const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker', { timeout: 30_000 }));
        expect(worker.url()).toBe(`chrome-extension://${extension.id}/entry.js`);
        const report = await worker.evaluate((arg) => (globalThis as unknown as { runTransport: (i: typeof arg) => Promise<ScenarioReport | { error: string }> }).runTransport(arg), input);
        if (!('error' in report)) expect(report).toMatchObject({ origin: `chrome-extension://${extension.id}`, hasWindow: false });
        await expectScenario(report, input);
      } finally {
        await context.close();
      }
    } finally {
      rmSync(extensionDir, { recursive: true, force: true });
      rmSync(profile, { recursive: true, force: true });
    }
  }, 120_000);
});
