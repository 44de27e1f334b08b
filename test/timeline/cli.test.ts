/**
 * `sealpost status` and `sealpost receipt send` in-process (runCli) against a relay with a relay
 * identity on 127.0.0.1 port 0, and the whole round (send → fetch → receipt send → status) through
 * real `sealpost` processes.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevCa, generateIdentity, sealEnvelope, toPem } from '@sealpost/sdk/crypto';
import type { Identity } from '@sealpost/sdk/crypto';
import { writeIdentityDir } from '@sealpost/sdk/node';
import { RelayClient } from '@sealpost/sdk/transport';
import { runCli } from '../../cli/run.js';
import { sentCopyPath } from '../../cli/commands/status.js';
import { sendingCopyPath } from '../../cli/commands/sent-copy.js';
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

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `sealpost ARGS…` as its own process from the sources (cwd = the repository, so paths are absolute). */
async function sealpostProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', join(ROOT, 'cli/main.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, SEALPOST_PASSPHRASE: PASS },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('sealpost send keeps the sender’s sealed copy, so status binds the receipts', () => {
  it('send → fetch → receipt send → status, each a real sealpost process: every receipt verified and bound', async () => {
    const alice = join(dir, 'alice');
    const bob = join(dir, 'bob');
    const received = join(dir, 'received-by-process');
    writeFileSync(join(dir, 'round.txt'), 'Dear Bob, the round trip.\n');
    const sent = await sealpostProcess(['send', '--relay', server.url, '--id', alice, '--to', 'bob@gp.example', '--to-cert', join(bob, 'cert.pem'), '--media-type', 'text/plain', '--json', join(dir, 'round.txt')]);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    const { messageId, sentCopy } = JSON.parse(sent.stdout) as { messageId: string; sentCopy: string };
    expect(sentCopy).toBe(sentCopyPath(alice, messageId));
    expect(existsSync(sendingCopyPath(alice, messageId))).toBe(false);

    const fetched = await sealpostProcess(['fetch', '--relay', server.url, '--id', bob, '--trust', join(dir, 'ca.pem'), '--out', received, '--ack']);
    expect(fetched.code).toBe(0);
    // What the relay delivered is byte for byte the copy the sender kept.
    expect(readFileSync(join(received, `${messageId}.p7m`)).equals(readFileSync(sentCopy))).toBe(true);
    for (const status of ['delivered', 'read']) {
      const receipt = await sealpostProcess(['receipt', 'send', '--relay', server.url, '--id', bob, '--for', join(received, `${messageId}.p7m`), '--status', status, '--trust', join(dir, 'ca.pem')]);
      expect(receipt.stdout).toMatch(new RegExp(`^receipt ${status} for ${messageId} posted`));
    }

    const json = await sealpostProcess(['status', messageId, '--relay', server.url, '--id', alice, '--json']);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { bound: boolean; events: { kind: string; verified: boolean; bound: unknown }[] };
    expect(parsed.bound).toBe(true);
    expect(parsed.events.map((e) => [e.kind, e.verified, e.bound])).toEqual([
      ['accepted', true, true],
      ['delivered', true, true],
      ['read', true, true],
    ]);
    const text = await sealpostProcess(['status', messageId, '--relay', server.url, '--id', alice]);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[0]).toBe(`message ${messageId}`);
    expect(text.stdout).toMatch(/ delivered +bob@gp\.example +verified: yes\n/);
    expect(text.stdout).toMatch(/ read +bob@gp\.example +verified: yes\n/);
    expect(text.stdout).not.toMatch(/not bound|no sealed copy/);
  }, 180_000);

  it('a refused send keeps no copy; an unknown outcome keeps it in sending/, and status tells which', async () => {
    const alice = join(dir, 'alice');
    const sentBefore = readdirSync(join(alice, 'sent')).length;
    writeFileSync(join(dir, 'refused.txt'), 'x');
    const refused = await sealpost(['send', '--relay', server.url, '--id', 'alice', '--to', 'nobody@gp.example', '--to-cert', 'bob/cert.pem', 'refused.txt']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/ERR_TRANSPORT_REJECTED \(rejected, HTTP 422\): ERR_RELAY_UNKNOWN_RECIPIENT/);
    expect(readdirSync(join(alice, 'sent'))).toHaveLength(sentBefore);
    expect(readdirSync(join(alice, 'sending')).filter((f) => f.endsWith('.p7m'))).toEqual([]);

    // A relay that is not there: the outcome is unknown to send (after its retries).
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const unknown = await sealpost(['send', '--relay', `http://127.0.0.1:${port}`, '--id', 'alice', '--to', 'bob@gp.example', '--to-cert', 'bob/cert.pem', 'refused.txt']);
    expect(unknown.code).toBe(1);
    const kept = /whether the relay accepted ([0-9a-f-]{36}) is unknown; your sealed copy stays at (\S+)\.\n/.exec(unknown.stderr);
    expect(kept?.[2]).toBe(sendingCopyPath(alice, kept![1]!));
    expect(existsSync(kept![2]!)).toBe(true);
    expect(readdirSync(join(alice, 'sent'))).toHaveLength(sentBefore);
    const status = await sealpost(['status', kept![1]!, '--relay', server.url, '--id', 'alice']);
    expect(status.code).toBe(1);
    expect(status.stderr).toMatch(/your relay does not hold .*: the send was not accepted/);
    expect(existsSync(kept![2]!)).toBe(true);
  }, 60_000);

  it('a copy left in sending/ (a crash after the relay accepted) is bound by status and moved to sent/', async () => {
    const messageId = await letter();
    const alice = join(dir, 'alice');
    mkdirSync(join(alice, 'sending'), { recursive: true });
    writeFileSync(sendingCopyPath(alice, messageId), readFileSync(sentCopyPath(alice, messageId)));
    rmSync(sentCopyPath(alice, messageId));
    expect((await sealpost(['receipt', 'send', '--relay', server.url, '--id', 'bob', '--for', `${messageId}.p7m`, '--status', 'delivered', '--trust', 'ca.pem'])).code).toBe(0);
    const status = await sealpost(['status', messageId, '--relay', server.url, '--id', 'alice', '--json']);
    expect(status.code).toBe(0);
    expect(status.stderr).toMatch(/the relay accepted .*; your sealed copy moved/);
    expect((JSON.parse(status.stdout) as { bound: boolean; events: { bound: unknown }[] }).events.map((e) => e.bound)).toEqual([true, true]);
    expect(existsSync(sentCopyPath(alice, messageId))).toBe(true);
    expect(existsSync(sendingCopyPath(alice, messageId))).toBe(false);
  }, 60_000);
});
