import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { browserOnlySuite, envelopeSuite } from './shared/envelope-suite.js';

/**
 * Runs test/crypto/shared/envelope-suite.ts in headless Chromium (Debian's /usr/bin/chromium,
 * driven by playwright-core) against the browser build of the SDK, sdk/dist/crypto.js, which
 * `npm test` builds before vitest runs. The page is served from http://localhost (a secure
 * context, so WebCrypto is available) by request interception; nothing listens on a port.
 */
const CHROMIUM = process.env.SEALPOST_CHROMIUM ?? '/usr/bin/chromium';
const DIST = fileURLToPath(new URL('../../sdk/dist/crypto.js', import.meta.url));
const ENTRY = fileURLToPath(new URL('./shared/browser-entry.ts', import.meta.url));

describe('shared envelope suite in Chromium (sdk/dist build)', () => {
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) or set SEALPOST_CHROMIUM`);
    if (!existsSync(DIST)) throw new Error('sdk/dist/crypto.js is missing: run `npm run build` first');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(() => browser?.close());

  it('passes every case of the suite', async () => {
    const bundle = await build({
      entryPoints: [ENTRY],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      alias: { '@sealpost/sdk/crypto': DIST },
      logLevel: 'silent',
    });
    const script = bundle.outputFiles[0]?.text ?? '';
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
    const results = await page.evaluate(() => (globalThis as unknown as { runSuite: () => Promise<{ name: string; ok: boolean; error?: string }[]> }).runSuite());
    expect(errors).toEqual([]);
    expect(results.map((r) => r.name)).toEqual([...envelopeSuite, ...browserOnlySuite].map((t) => t.name));
    for (const result of results) expect(result, result.name).toEqual({ name: result.name, ok: true });
    const agent = await page.evaluate(() => navigator.userAgent);
    expect(agent).toContain('Chrome/');
  }, 120_000);
});
