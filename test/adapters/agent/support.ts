/**
 * Helpers of the agent tests: practices with identity directories on disk, a real relay on
 * loopback (relay/, SQLite), and `sealpost agent` as a child process (the CLI from its sources).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDevCa, generateIdentity, toPem } from '@sealpost/sdk/crypto';
import type { Identity } from '@sealpost/sdk/crypto';
import { writeIdentityDir } from '@sealpost/sdk/node';
import { startServer } from '../../../relay/server.js';
import type { RunningServer } from '../../../relay/server.js';
import { openSqliteStore } from '../../../relay/storage/sqlite.js';
import type { RelayStore } from '../../../relay/storage/types.js';

export const PASSPHRASE = 'agent-test-passphrase';

export interface Practice {
  address: string;
  identity: Identity;
  /** Identity directory (cert.pem, chain.pem, key.pem). */
  dir: string;
  /** PEM of its certificate, for senders' `recipients`. */
  certFile: string;
}

export interface TestNetwork {
  caFile: string;
  relay: RunningServer;
  store: RelayStore;
  practice(address: string, name: string): Promise<Practice>;
  close(): Promise<void>;
}

/** A dev CA, a relay on 127.0.0.1 (SQLite under `dir`), and practices registered as its mailboxes. */
export async function startNetwork(dir: string): Promise<TestNetwork> {
  const ca = await createDevCa({ name: 'Agent Test CA', notBefore: new Date(Date.now() - 3600_000) });
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, toPem(ca.identity.certificate, 'CERTIFICATE'));
  const store = openSqliteStore(join(dir, 'relay.db'));
  await store.migrate();
  const relay = await startServer({ store, port: 0, logger: false, rateLimitPerIp: 0, rateLimitPerMailbox: 0, purgeIntervalMs: 0 });
  return {
    caFile,
    relay,
    store,
    async practice(address, name) {
      const generated = await generateIdentity({ name, address, issuer: ca.identity, notBefore: new Date(Date.now() - 3600_000) });
      const idDir = join(dir, `id-${address}`);
      await writeIdentityDir(idDir, { certificate: generated.identity.certificate, chain: generated.identity.chain, encryptedKey: await generated.exportEncryptedKey(PASSPHRASE, { iterations: 1000 } as never) });
      const certFile = join(dir, `${address}.pem`);
      writeFileSync(certFile, toPem(generated.identity.certificate, 'CERTIFICATE'));
      await store.addMailbox({ address, certificate: generated.identity.certificate, createdAt: Date.now() });
      return { address, identity: generated.identity, dir: idDir, certFile };
    },
    close: () => relay.close(),
  };
}

/** A `sealpost agent` child process and the JSON log lines it has written. */
export interface AgentProcess {
  child: ChildProcess;
  logs: Record<string, unknown>[];
  stderr: () => string;
  /** The health URL, once the agent has logged "agent started". */
  started: Promise<string | undefined>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const cliMain = fileURLToPath(new URL('../../../cli/main.ts', import.meta.url));

/** Spawns `sealpost agent --config FILE` from the CLI sources (as `npm run sealpost` does). */
export function spawnAgent(configFile: string, passphrase = PASSPHRASE): AgentProcess {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', cliMain, 'agent', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SEALPOST_PASSPHRASE: passphrase },
  });
  const logs: Record<string, unknown>[] = [];
  let err = '';
  let partial = '';
  let onStarted: (url: string | undefined) => void = () => {};
  const started = new Promise<string | undefined>((resolve, reject) => {
    onStarted = resolve;
    child.once('exit', (code) => reject(new Error(`agent exited ${code} before starting: ${err}`)));
  });
  started.catch(() => {});
  child.stdout!.on('data', (d: Buffer) => {
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.trim()) continue;
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (entry['msg'] === 'agent started') onStarted(entry['health'] as string | undefined);
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, logs, stderr: () => err, started, exited };
}

/** Polls `check` until it returns a value other than undefined/false (every 100 ms, up to `timeoutMs`). */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Writes a JSON file, creating its folder. */
export function writeJson(file: string, value: unknown): string {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, JSON.stringify(value, null, 2));
  return file;
}
