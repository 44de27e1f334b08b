/**
 * The relay commands in-process (runCli): mailbox add and invite on the database, send / inbox /
 * fetch against a relay on 127.0.0.1 port 0 that shares that database.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevCa, generateIdentity, toPem } from '@sealpost/sdk/crypto';
import { writeIdentityDir } from '@sealpost/sdk/node';
import { runCli } from '../../cli/run.js';
import { startServer } from '../../relay/server.js';
import type { RunningServer } from '../../relay/server.js';
import { openStore } from '../../relay/storage/open-store.js';

let dir: string;
let server: RunningServer;
const PASS = 'cli-test-passphrase';

async function sealpost(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: { SEALPOST_PASSPHRASE: PASS }, cwd: dir });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sealpost-relay-cli-'));
  const ca = await createDevCa({ name: 'CLI Test CA' });
  writeFileSync(join(dir, 'ca.pem'), toPem(ca.identity.certificate, 'CERTIFICATE'));
  for (const name of ['alice', 'bob']) {
    const g = await generateIdentity({ name, address: `${name}@gp.example`, issuer: ca.identity });
    await writeIdentityDir(join(dir, name), { certificate: g.identity.certificate, chain: g.identity.chain, encryptedKey: await g.exportEncryptedKey(PASS) });
  }
  const store = await openStore(`sqlite:${join(dir, 'relay.db')}`);
  server = await startServer({ store, port: 0, logger: false, purgeIntervalMs: 0 });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('sealpost relay, send, inbox, fetch', () => {
  it('adds mailboxes bound to their certificates, and refuses a certificate naming another address', async () => {
    const db = `sqlite:${join(dir, 'relay.db')}`;
    expect(await sealpost(['relay', 'mailbox', 'add', 'alice@gp.example', '--cert', 'alice/cert.pem', '--db', db])).toMatchObject({ code: 0, stdout: 'mailbox alice@gp.example added\n' });
    expect((await sealpost(['relay', 'mailbox', 'add', 'bob@gp.example', '--cert', 'bob/cert.pem', '--db', db])).code).toBe(0);
    expect((await sealpost(['relay', 'mailbox', 'add', 'bob@gp.example', '--cert', 'bob/cert.pem', '--db', db])).stdout).toMatch(/already exists/);
    const wrong = await sealpost(['relay', 'mailbox', 'add', 'carol@gp.example', '--cert', 'bob/cert.pem', '--db', db]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/does not name carol@gp.example/);
    const invite = await sealpost(['relay', 'invite', 'carol@gp.example', '--db', db]);
    expect(invite.stdout).toMatch(/^[\w-]{24}\n$/);
  });

  it('sends, lists, fetches (verified, stored, acknowledged) and fetches nothing twice', async () => {
    writeFileSync(join(dir, 'letter.txt'), 'Dear Bob, a referral.\n');
    const sent = await sealpost(['send', '--relay', server.url, '--id', 'alice', '--to', 'bob@gp.example', '--to-cert', 'bob/cert.pem', '--media-type', 'text/plain', '--json', 'letter.txt']);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    const { messageId } = JSON.parse(sent.stdout) as { messageId: string };
    expect(messageId).toMatch(/^[0-9a-f-]{36}$/);
    const inbox = await sealpost(['inbox', '--relay', server.url, '--id', 'bob', '--json']);
    expect((JSON.parse(inbox.stdout) as { messageId: string; from: string }[]).map((e) => [e.messageId, e.from])).toEqual([[messageId, 'alice@gp.example']]);
    const fetched = await sealpost(['fetch', '--relay', server.url, '--id', 'bob', '--trust', 'ca.pem', '--out', 'received', '--ack']);
    expect(fetched.code).toBe(0);
    expect(fetched.stdout).toMatch(new RegExp(`${messageId}  from alice@gp.example .*acknowledged`));
    expect(readFileSync(join(dir, 'received', `${messageId}.txt`), 'utf8')).toBe('Dear Bob, a referral.\n');
    expect(JSON.parse(readFileSync(join(dir, 'received', `${messageId}.json`), 'utf8'))).toMatchObject({ messageId, from: 'alice@gp.example' });
    expect((await sealpost(['fetch', '--relay', server.url, '--id', 'bob', '--trust', 'ca.pem', '--out', 'received', '--ack'])).stdout).toBe('no new messages for bob@gp.example\n');
    expect(readdirSync(join(dir, 'received')).sort()).toEqual([`${messageId}.json`, `${messageId}.p7m`, `${messageId}.txt`]);
  });

  it('does not acknowledge a message that fails to open, and says why', async () => {
    writeFileSync(join(dir, 'note.txt'), 'hello');
    const sent = await sealpost(['send', '--relay', server.url, '--id', 'alice', '--to', 'bob@gp.example', '--to-cert', 'bob/cert.pem', '--json', 'note.txt']);
    const { messageId } = JSON.parse(sent.stdout) as { messageId: string };
    // Bob trusts only his own certificate, not the CA: the chain check fails.
    const failed = await sealpost(['fetch', '--relay', server.url, '--id', 'bob', '--trust', 'bob/cert.pem', '--out', 'received2', '--ack']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/ERR_ENVELOPE_CHAIN/);
    const inbox = JSON.parse((await sealpost(['inbox', '--relay', server.url, '--id', 'bob', '--json'])).stdout) as { messageId: string; acknowledgedAt: string | null }[];
    expect(inbox.find((e) => e.messageId === messageId)?.acknowledgedAt).toBeNull();
  });

  it('reports transport errors with their kind and exit code 1', async () => {
    const res = await sealpost(['inbox', '--relay', server.url, '--id', 'alice', '--json']);
    expect(res.code).toBe(0);
    writeFileSync(join(dir, 'x.txt'), 'x');
    const unknown = await sealpost(['send', '--relay', server.url, '--id', 'alice', '--to', 'nobody@gp.example', '--to-cert', 'bob/cert.pem', 'x.txt']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/ERR_TRANSPORT_REJECTED \(rejected, HTTP 422\): ERR_RELAY_UNKNOWN_RECIPIENT/);
  });

  it('refuses plain HTTP beyond loopback and wrong usage', async () => {
    const res = await sealpost(['relay', 'start', '--host', '0.0.0.0', '--port', '0', '--db', `sqlite:${join(dir, 'other.db')}`]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/refusing plain HTTP on 0.0.0.0/);
    expect((await sealpost(['send', '--relay', server.url])).code).toBe(2);
    expect((await sealpost(['relay', 'frobnicate'])).code).toBe(2);
    expect((await sealpost(['relay', 'start', '--expiry-days', '0', '--port', '0'])).code).toBe(2);
  });
});
