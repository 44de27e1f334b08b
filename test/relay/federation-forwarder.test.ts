/**
 * relay/federation/forwarder.ts on its own, against a SQLite store with an injected clock and no
 * peer to reach: what the two-relay suites (federation.test.ts, test/federation) cannot stage.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createDevCa, generateIdentity } from '@sealpost/sdk/crypto';
import { resolveConfig } from '../../relay/config.js';
import { startForwarder } from '../../relay/federation/forwarder.js';
import { openSqliteStore } from '../../relay/storage/sqlite.js';
import { digestOf } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe('federation forwarder', () => {
  it('gives up on a stalled forward at a later pass when signing its undeliverable failed once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealpost-forwarder-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = openSqliteStore(join(dir, 'relay.db'));
    await store.migrate();
    cleanups.push(() => store.close());
    const ca = await createDevCa({ name: 'Forwarder Test CA' });
    const { identity } = await generateIdentity({ name: 'relay A', address: 'relay@a.example', issuer: ca.identity });
    const now = Date.now();
    const hour = 3600_000;
    // Submitted two hours ago, expired an hour ago: past the give-up age, and no claim takes it.
    const messageId = randomUUID();
    const body = new Uint8Array([1]);
    await store.submit({ messageId, sender: 'alice@a.example', recipients: ['bob@b.example'], digest: digestOf(body), size: 1, submittedAt: now - 2 * hour, expiresAt: now - hour, data: body, forward: [{ recipient: 'bob@b.example', peer: 'b.example' }] });
    const config = resolveConfig({ store, domain: 'a.example', identity, logger: false });
    // The relay's key is unavailable for a moment (a key file being replaced, an HSM restarting):
    // the `undeliverable` cannot be signed at the first pass.
    let keyAvailable = true;
    Object.defineProperty(config, 'identity', {
      get: () => {
        if (!keyAvailable) throw new Error('relay key unavailable');
        return identity;
      },
    });
    const errors: string[] = [];
    const forwarder = startForwarder(config, { intervalMs: 60_000, giveUpMs: hour, onError: (_item, error) => errors.push(error) });
    cleanups.push(() => forwarder.stop());
    keyAvailable = false;
    await forwarder.drain();
    expect(errors.some((e) => e.includes('relay key unavailable'))).toBe(true);
    expect((await store.listOutbound())[0]).toMatchObject({ failedAt: null });
    keyAvailable = true;
    await forwarder.drain();
    expect((await store.listOutbound())[0]).toMatchObject({ failedAt: expect.any(Number), lastError: expect.stringContaining('federation gave up') });
    expect((await store.listTimeline(messageId)).map((e) => `${e.kind} ${e.recipient}`)).toContain('undeliverable bob@b.example');
  });
});
