/**
 * `sealpost status` and `sealpost receipt send` in-process (runCli) against a relay with a relay
 * identity on 127.0.0.1 port 0.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevCa, generateIdentity, sealEnvelope, toPem } from '@sealpost/sdk/crypto';
import type { Identity } from '@sealpost/sdk/crypto';
import { writeIdentityDir } from '@sealpost/sdk/node';
import { RelayClient } from '@sealpost/sdk/transport';
import { runCli } from '../../cli/run.js';
import { sentCopyPath } from '../../cli/commands/status.js';
import { startServer } from '../../relay/server.js';
import type { RunningServer } from '../../relay/server.js';
import { openSqliteStore } from '../../relay/storage/sqlite.js';

let dir: string;
let server: RunningServer;
const PASS = 'timeline-cli-passphrase';
const ids: Record<string, Identity> = {};

async function sealpost(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: { SEALPOST_PASSPHRASE: PASS }, cwd: dir });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sealpost-timeline-cli-'));
  const ca = await createDevCa({ name: 'Timeline CLI CA' });
  writeFileSync(join(dir, 'ca.pem'), toPem(ca.identity.certificate, 'CERTIFICATE'));
  for (const name of ['alice', 'bob']) {
    const g = await generateIdentity({ name, address: `${name}@gp.example`, issuer: ca.identity });
    ids[name] = g.identity;
    await writeIdentityDir(join(dir, name), { certificate: g.identity.certificate, chain: g.identity.chain, encryptedKey: await g.exportEncryptedKey(PASS) });
  }
  const relayIdentity = (await generateIdentity({ name: 'relay@gp.example', address: 'relay@gp.example', issuer: ca.identity })).identity;
  const store = openSqliteStore(join(dir, 'relay.db'));
  await store.migrate();
  for (const name of ['alice', 'bob']) await store.addMailbox({ address: `${name}@gp.example`, certificate: ids[name]!.certificate, createdAt: Date.now() });
  server = await startServer({ store, domain: 'gp.example', identity: relayIdentity, port: 0, logger: false, purgeIntervalMs: 0 });
}, 60_000);
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Alice sends a letter (keeping her sealed copy where `status` looks for it); Bob saves his copy as FILE.p7m. */
async function letter(): Promise<string> {
  const messageId = randomUUID();
  const { envelope } = await sealEnvelope(new TextEncoder().encode('Dear Bob'), { sender: ids.alice!, recipients: [ids.bob!.certificate], messageId });
  await new RelayClient({ relayUrl: server.url, address: 'alice@gp.example', identity: ids.alice! }).submit(envelope, { messageId, to: ['bob@gp.example'] });
  mkdirSync(join(dir, 'alice', 'sent'), { recursive: true });
  writeFileSync(sentCopyPath(join(dir, 'alice'), messageId), envelope);
  writeFileSync(join(dir, `${messageId}.p7m`), await new RelayClient({ relayUrl: server.url, address: 'bob@gp.example', identity: ids.bob! }).download(messageId));
  return messageId;
}

describe('sealpost status and receipt send', () => {
  it('posts receipts (once) and shows the timeline with every event verified and bound', async () => {
    const messageId = await letter();
    const posted = await sealpost(['receipt', 'send', '--relay', server.url, '--id', 'bob', '--for', `${messageId}.p7m`, '--status', 'delivered', '--trust', 'ca.pem']);
    expect(posted).toMatchObject({ code: 0, stderr: '' });
    expect(posted.stdout).toMatch(new RegExp(`^receipt delivered for ${messageId} posted \\(`));
    expect((await sealpost(['receipt', 'send', '--relay', server.url, '--id', 'bob', '--for', `${messageId}.p7m`, '--status', 'delivered', '--trust', 'ca.pem'])).stdout).toMatch(/was already posted/);
    expect((await sealpost(['receipt', 'send', '--relay', server.url, '--id', 'bob', '--for', `${messageId}.p7m`, '--status', 'rejected', '--reason', 'patient not found', '--trust', 'ca.pem'])).code).toBe(0);
    const json = await sealpost(['status', messageId, '--relay', server.url, '--id', 'alice', '--json']);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { bound: boolean; events: { kind: string; actor: string; verified: boolean; bound: unknown; reason: string | null }[] };
    expect(parsed.bound).toBe(true);
    expect(parsed.events.map((e) => [e.kind, e.actor, e.verified, e.bound, e.reason])).toEqual([
      ['accepted', 'gp.example', true, true, null],
      ['delivered', 'bob@gp.example', true, true, null],
      ['rejected', 'bob@gp.example', true, true, 'patient not found'],
    ]);
    const text = await sealpost(['status', messageId, '--relay', server.url, '--id', 'alice']);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[0]).toBe(`message ${messageId}`);
    expect(text.stdout).toMatch(/ accepted +gp\.example +verified: yes\n/);
    expect(text.stdout).toMatch(/ rejected +bob@gp\.example \(patient not found\) +verified: yes\n/);
  }, 60_000);

  it('says what did not verify (exit 1): relay certificate outside the trust given', async () => {
    const messageId = await letter();
    const res = await sealpost(['status', messageId, '--relay', server.url, '--id', 'alice', '--trust', 'bob/cert.pem']);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/ accepted +gp\.example +verified: NO \(relay certificate of gp\.example refused: /);
  }, 60_000);

  it('refuses the timeline to anyone but the sender, and wrong usage', async () => {
    const messageId = await letter();
    const asBob = await sealpost(['status', messageId, '--relay', server.url, '--id', 'bob']);
    expect(asBob.code).toBe(1);
    expect(asBob.stderr).toMatch(/ERR_TRANSPORT_NOT_FOUND \(not-found, HTTP 404\): ERR_RELAY_NOT_FOUND/);
    expect((await sealpost(['status', messageId, '--id', 'alice'])).code).toBe(2);
    expect((await sealpost(['receipt', 'send', '--id', 'bob', '--for', `${messageId}.p7m`, '--status', 'read'])).code).toBe(2);
    expect((await sealpost(['receipt', 'send', '--relay', server.url, '--id', 'bob', '--for', `${messageId}.p7m`, '--status', 'rejected', '--trust', 'ca.pem'])).code).toBe(2);
  }, 60_000);
});
