/**
 * `sealpost relay start --peer DOMAIN=URL --relay-id DIR`: the real CLI in its own process runs
 * relay A (a.example), which forwards a letter for bob@b.example to relay B (in-process) pinned
 * with --peer; malformed --peer values are usage errors (exit 2).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createDevCa, generateIdentity, sealEnvelope } from '@sealpost/sdk/crypto';
import { writeIdentityDir } from '@sealpost/sdk/node';
import { RelayClient } from '@sealpost/sdk/transport';
import { parsePeers } from '../../cli/commands/relay.js';
import { runCli } from '../../cli/run.js';
import { startServer } from '../../relay/server.js';
import type { RunningServer } from '../../relay/server.js';
import { openSqliteStore } from '../../relay/storage/sqlite.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PASS = 'federation-cli-passphrase';
const dir = mkdtempSync(join(tmpdir(), 'sealpost-federation-cli-'));
let child: ChildProcess | undefined;
let b: RunningServer | undefined;

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await b?.close();
  rmSync(dir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function sealpost(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const code = await runCli(args, { stdout: () => undefined, stderr: (t) => void (stderr += t), env: { SEALPOST_PASSPHRASE: PASS }, cwd: dir });
  return { code, stderr };
}

describe('sealpost relay start --peer', () => {
  it('parses DOMAIN=URL pins and refuses malformed ones (exit 2)', async () => {
    expect(parsePeers(['B.Example=http://127.0.0.1:9/', 'c.example=https://relay.c.example'])).toEqual({ 'b.example': 'http://127.0.0.1:9', 'c.example': 'https://relay.c.example' });
    expect((await sealpost(['relay', 'start', '--peer', 'b.example'])).code).toBe(2);
    expect((await sealpost(['relay', 'start', '--peer', 'b.example=http://h/path'])).code).toBe(2);
    // The relay identity is created in the data folder when --relay-id is absent; the domain is not.
    const noDomain = await sealpost(['relay', 'start', '--peer', 'b.example=http://127.0.0.1:9']);
    expect(noDomain.code).toBe(2);
    expect(noDomain.stderr).toMatch(/--peer needs --domain/);
  });

  it('forwards a letter from the CLI-started relay A to the pinned relay B', async () => {
    const ca = await createDevCa({ name: 'Federation CLI CA' });
    const make = async (address: string) => generateIdentity({ name: address, address, issuer: ca.identity });
    const [relayA, relayB, alice, bob] = await Promise.all([make('relay@a.example'), make('relay@b.example'), make('alice@a.example'), make('bob@b.example')]);
    await writeIdentityDir(join(dir, 'relay-a'), { certificate: relayA.identity.certificate, chain: relayA.identity.chain, encryptedKey: await relayA.exportEncryptedKey(PASS) });
    const [portA, portB] = [await freePort(), await freePort()];
    const dbA = join(dir, 'a.db');
    const storeA = openSqliteStore(dbA);
    await storeA.migrate();
    await storeA.addMailbox({ address: 'alice@a.example', certificate: alice.identity.certificate, createdAt: Date.now() });
    await storeA.close();
    const storeB = openSqliteStore(join(dir, 'b.db'));
    await storeB.migrate();
    await storeB.addMailbox({ address: 'bob@b.example', certificate: bob.identity.certificate, createdAt: Date.now() });
    b = await startServer({ store: storeB, domain: 'b.example', port: portB, peers: { 'a.example': `http://127.0.0.1:${portA}` }, identity: relayB.identity, logger: false, purgeIntervalMs: 0 });

    const args = ['relay', 'start', '--db', `sqlite:${dbA}`, '--port', String(portA), '--domain', 'a.example', '--peer', `b.example=${b.url}`, '--relay-id', join(dir, 'relay-a'), '--log-level', 'warn'];
    child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', join(ROOT, 'cli/main.ts'), ...args], { cwd: ROOT, env: { ...process.env, SEALPOST_PASSPHRASE: PASS }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`relay A did not start: ${stderr}`)), 60_000);
      child!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const match = /relay listening on (\S+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child!.once('exit', (code) => reject(new Error(`relay A exited with ${code}: ${stderr}`)));
    });

    const messageId = randomUUID();
    const { envelope } = await sealEnvelope(new TextEncoder().encode('via the CLI relay'), { sender: alice.identity, recipients: [bob.identity.certificate], messageId });
    await new RelayClient({ relayUrl: url, address: 'alice@a.example', identity: alice.identity }).submit(envelope, { messageId, to: ['bob@b.example'] });
    const bobClient = new RelayClient({ relayUrl: b.url, address: 'bob@b.example', identity: bob.identity });
    const until = Date.now() + 30_000;
    let ids: string[] = [];
    while (Date.now() < until) {
      ids = (await bobClient.listInbox()).items.map((item) => item.messageId);
      if (ids.includes(messageId)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(ids).toEqual([messageId]);
    expect(await bobClient.download(messageId)).toEqual(envelope);
  }, 90_000);
});
