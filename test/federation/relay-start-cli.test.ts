/**
 * `sealpost relay start` in its own process (the real CLI): without --relay-id it creates a relay
 * identity in the data folder on first start (random passphrase, mode 0600) and reuses it after a
 * restart; it serves the signed directory and /.well-known/sealpost, publishes its relay Endpoint,
 * and `relay mailbox add` publishes the mailbox's Endpoint with its payload types and the URL.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createDevCa, fromPem, generateIdentity, toPem, TrustStore } from '@sealpost/sdk/crypto';
import { DirectoryClient, discoverRelay } from '@sealpost/sdk/directory';
import { runCli } from '../../cli/run.js';
import { freePort } from './harness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sealpost-relay-start-'));
let child: ChildProcess | undefined;

async function stop(): Promise<void> {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  child = undefined;
}

afterAll(async () => {
  await stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts the CLI relay with no passphrase in the environment; resolves with its URL and stderr. */
async function startRelay(args: string[]): Promise<{ url: string; stderr: () => string }> {
  const env = { ...process.env };
  delete env.SEALPOST_PASSPHRASE;
  child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', join(ROOT, 'cli/main.ts'), 'relay', 'start', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`relay did not start: ${stderr}`)), 60_000);
    child!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /relay listening on (\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child!.once('exit', (code) => reject(new Error(`relay exited with ${code}: ${stderr}`)));
  });
  return { url, stderr: () => stderr };
}

describe('sealpost relay start (directory and relay identity by default)', () => {
  it('creates the relay identity on first start, serves .well-known and the directory, publishes mailboxes, keeps the identity across restarts', async () => {
    const port = await freePort();
    const args = ['--db', `sqlite:${join(dir, 'data', 'relay.db')}`, '--port', String(port), '--domain', 'gp.example', '--log-level', 'warn'];
    const first = await startRelay(args);
    expect(first.stderr()).toMatch(/created the relay identity relay@gp\.example \(self-signed\) in \S*data\/relay-id/);
    expect(statSync(join(dir, 'data', 'relay-id.passphrase')).mode & 0o777).toBe(0o600);
    const relayCert = fromPem(readFileSync(join(dir, 'data', 'relay-id', 'cert.pem'), 'utf8'), 'CERTIFICATE')[0]!;

    // Clients trust the self-signed relay certificate for directory answers, and the CA for mailboxes.
    const ca = await createDevCa({ name: 'Relay Start CA' });
    const trust = new TrustStore().addAnchor(relayCert).addAnchor(ca.identity.certificate);
    const discovery = await discoverRelay(first.url, { trust });
    expect(discovery).toMatchObject({ domain: 'gp.example', relay: first.url, directory: `${first.url}/fhir`, peers: [] });
    expect(discovery.certificate).toEqual(relayCert);

    const { identity } = await generateIdentity({ name: 'Dr Jo', address: 'jo@gp.example', issuer: ca.identity });
    writeFileSync(join(dir, 'jo.pem'), toPem(identity.certificate, 'CERTIFICATE'));
    let stdout = '';
    let stderr = '';
    const io = { stdout: (t: string) => void (stdout += t), stderr: (t: string) => void (stderr += t), env: {}, cwd: dir };
    expect(await runCli(['relay', 'mailbox', 'add', 'jo@gp.example', '--cert', 'jo.pem', '--payload', 'hl7v2-ref-i12-l2', '--payload', 'fhir-document', '--db', `sqlite:${join(dir, 'data', 'relay.db')}`], io)).toBe(0);
    expect(stdout).toBe(`mailbox jo@gp.example added; Endpoint published (${first.url})\n`);
    expect(stderr).toBe('');
    const resolved = await new DirectoryClient({ directories: [`${first.url}/fhir`], trust }).resolve('jo@gp.example');
    expect(resolved).toMatchObject({ relayUrl: first.url, payloadTypes: ['hl7v2-ref-i12-l2', 'fhir-document'] });
    expect(resolved.certificate).toEqual(identity.certificate);
    expect(await runCli(['relay', 'mailbox', 'add', 'jo@gp.example', '--cert', 'jo.pem', '--payload', 'no-such-form', '--db', `sqlite:${join(dir, 'data', 'relay.db')}`], io)).toBe(2);

    await stop();
    const second = await startRelay(args);
    expect(second.stderr()).not.toMatch(/created the relay identity/);
    expect((await discoverRelay(second.url, { trust })).certificate).toEqual(relayCert);
  }, 120_000);
});
