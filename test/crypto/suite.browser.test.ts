import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { browserOnlySuite, envelopeSuite } from './shared/envelope-suite.js';
import { wycheproofSuite } from './shared/wycheproof-suite.js';

/**
 * Runs test/crypto/shared/envelope-suite.ts in headless Chromium (Debian's /usr/bin/chromium,
 * driven by playwright-core) against the browser build of the SDK, sdk/dist/crypto.js, which
 * `npm test` builds before vitest runs. The page is served from http://localhost (a secure
 * context, so WebCrypto is available) by request interception; nothing listens on a port. The
 * same bundle also runs as the service worker of an unpacked MV3 extension.
 */
const CHROMIUM = process.env.SEALPOST_CHROMIUM ?? '/usr/bin/chromium';
const DIST = fileURLToPath(new URL('../../sdk/dist/crypto.js', import.meta.url));
const ENTRY = fileURLToPath(new URL('./shared/browser-entry.ts', import.meta.url));
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

type Results = { name: string; ok: boolean; error?: string }[];

async function bundleSuite(): Promise<string> {
  const bundle = await build({ entryPoints: [ENTRY], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, alias: { '@sealpost/sdk/crypto': DIST }, logLevel: 'silent' });
  return bundle.outputFiles[0]?.text ?? '';
}

function expectAllPassed(results: Results): void {
  expect(results.map((r) => r.name)).toEqual([...envelopeSuite, ...browserOnlySuite, ...wycheproofSuite].map((t) => t.name));
  for (const result of results) expect(result, result.name).toEqual({ name: result.name, ok: true });
}

describe('shared envelope suite in Chromium (sdk/dist build)', () => {
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) or set SEALPOST_CHROMIUM`);
    if (!existsSync(DIST)) throw new Error('sdk/dist/crypto.js is missing: run `npm run build` first');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', ...FLAGS] });
  });
  afterAll(() => browser?.close());

  it('passes every case of the suite (and the Wycheproof vectors) in a page', async () => {
    const script = await bundleSuite();
    // The browser bundle must not pull in anything from Node.
    expect(script).not.toMatch(/from ['"]node:/);
    const page = await (browser as Browser).newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.route('http://localhost/**', (route) => {
      const url = new URL(route.request().url());
      if (url.pathname === '/suite.js') return route.fulfill({ contentType: 'text/javascript', body: script });
      return route.fulfill({ contentType: 'text/html', body: '<!doctype html><meta charset="utf-8"><script type="module" src="/suite.js"></script>' });
    });
    await page.goto('http://localhost/');
    await page.waitForFunction(() => typeof (globalThis as { runSuite?: unknown }).runSuite === 'function');
    const results = await page.evaluate(() => (globalThis as unknown as { runSuite: () => Promise<Results> }).runSuite());
    expect(errors).toEqual([]);
    expectAllPassed(results);
    const agent = await page.evaluate(() => navigator.userAgent);
    expect(agent).toContain('Chrome/');
  }, 120_000);

  it('passes every case of the suite (and the Wycheproof vectors) in an MV3 extension service worker', async () => {
    const script = await bundleSuite();
    const extension = await mkdtemp(join(tmpdir(), 'sealpost-mv3-'));
    const profile = await mkdtemp(join(tmpdir(), 'sealpost-profile-'));
    try {
      await writeFile(join(extension, 'manifest.json'), JSON.stringify({ manifest_version: 3, name: 'sealpost crypto suite', version: '1.0', background: { service_worker: 'suite.js', type: 'module' } }));
      await writeFile(join(extension, 'suite.js'), script);
      const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: [...FLAGS, `--disable-extensions-except=${extension}`, `--load-extension=${extension}`] });
      try {
        const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker', { timeout: 30_000 }));
        expect(worker.url()).toMatch(/^chrome-extension:\/\/.+\/suite\.js$/);
        // A service worker has no window: the SDK must not need one.
        expect(await worker.evaluate(() => typeof (globalThis as { window?: unknown }).window)).toBe('undefined');
        expectAllPassed(await worker.evaluate(() => (globalThis as unknown as { runSuite: () => Promise<Results> }).runSuite()));
      } finally {
        await context.close();
      }
    } finally {
      await rm(extension, { recursive: true, force: true });
      await rm(profile, { recursive: true, force: true });
    }
  }, 120_000);
});
