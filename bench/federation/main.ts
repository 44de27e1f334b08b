/**
 * `npm run bench -- federation [--json] [--count N] [--rate R] [--interval-ms MS] [--concurrency N] [--cpu-prof DIR]`:
 * end-to-end latency across two relays on loopback (SQLite each, each in its own process): from
 * the start of a submission at relay A (sender alice@a.example) to the moment relay B has
 * committed it to the inbox of bob@b.example, for 4 KB envelopes offered at 200 per second (open
 * loop, bench/federation/load.ts, a third process). Bounded: N submissions (default 2,000, i.e.
 * 10 s) and at most 60 s of waiting for the last ones.
 *
 * "Appeared at B" is B's own acceptance time (the inbox entry's submittedAt, set when B commits
 * the forward); both relays share this machine's clock. A poll of the inbox would add its own
 * interval to every figure. Also reported: how long A took to answer 201, the forwarding alone
 * (from A's 201 to B's acceptance time), the CPU time both relay
 * processes used meanwhile (steadier than latency on a shared machine), and the forwarder's
 * settings: its fallback poll (`--interval-ms`, relay default 500 ms) and forwards in flight per
 * peer (`--concurrency`, relay default 64). `--cpu-prof DIR` writes a CPU profile of each relay.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createDevCa, generateIdentity } from '@sealpost/sdk/crypto';
import { RelayClient } from '@sealpost/sdk/transport';
import type { InboxEntry } from '@sealpost/sdk/transport';
import { openStore } from '../../relay/storage/open-store.js';

const KB4 = 4096;
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

interface Relay {
  url: string;
  /** CPU time the relay process has used so far, ms (user + system; null where /proc is missing). */
  cpuMs(): number | null;
  stop(): Promise<void>;
}

/** User + system CPU time of a process from /proc/PID/stat (Linux; clock ticks of 10 ms), or null. */
function processCpuMs(pid: number | undefined): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function startRelay(env: Record<string, string>, profileDir?: string): Promise<Relay> {
  // One file per thread (the tsx loader has its own), named CPU.<date>.<pid>.<thread>…; the relay's PID is printed.
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(process.execPath, [...profile, '--conditions=source', '--import', 'tsx', here('./relay-process.ts')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('relay did not start within 60 s'));
    }, 60_000);
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /LISTENING (\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        if (profileDir) process.stderr.write(`relay ${env.SEALPOST_DOMAIN}: pid ${child.pid} (CPU profile in ${profileDir})\n`);
        resolve({
          url: match[1]!,
          cpuMs: () => processCpuMs(child.pid),
          stop: async () => {
            child.kill('SIGTERM');
            await exited;
          },
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`relay exited with ${code}`)));
  });
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
const round = (n: number): number => Math.round(n * 10) / 10;

export async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: { json: { type: 'boolean' }, count: { type: 'string' }, rate: { type: 'string' }, 'interval-ms': { type: 'string' }, concurrency: { type: 'string' }, 'cpu-prof': { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    process.stdout.write('usage: npm run bench -- federation [--json] [--count N (2000)] [--rate PER_SEC (200)] [--interval-ms FORWARDER_POLL_MS (relay default)] [--concurrency FORWARDS_PER_PEER (relay default)] [--cpu-prof DIR (profiles of both relays)]\n');
    return 0;
  }
  const count = Number(values.count ?? 2000);
  const rate = Number(values.rate ?? 200);
  const intervalMs = values['interval-ms'];
  if (!(count > 0 && rate > 0)) throw new RangeError('--count and --rate must be positive');
  const log = (s: string): void => void (values.json ? process.stderr : process.stdout).write(`${s}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-bench-federation-'));
  const relays: Relay[] = [];
  try {
    const ca = await createDevCa({ name: 'Bench CA' });
    const alice = await generateIdentity({ name: 'alice@a.example', address: 'alice@a.example', issuer: ca.identity });
    const bob = await generateIdentity({ name: 'bob@b.example', address: 'bob@b.example', issuer: ca.identity });
    const dbA = `sqlite:${join(dir, 'a.db')}`;
    const dbB = `sqlite:${join(dir, 'b.db')}`;
    for (const [db, address, identity] of [
      [dbA, 'alice@a.example', alice.identity],
      [dbB, 'bob@b.example', bob.identity],
    ] as const) {
      const store = await openStore(db);
      await store.addMailbox({ address, certificate: identity.certificate, createdAt: Date.now() });
      await store.close();
    }
    const [portA, portB] = [await freePort(), await freePort()];
    const urlA = `http://127.0.0.1:${portA}`;
    const urlB = `http://127.0.0.1:${portB}`;
    const common: Record<string, string> = {
      ...(intervalMs ? { SEALPOST_FORWARD_INTERVAL_MS: intervalMs } : {}),
      ...(values.concurrency ? { SEALPOST_FORWARD_CONCURRENCY: values.concurrency } : {}),
    };
    relays.push(await startRelay({ ...common, SEALPOST_DB: dbB, SEALPOST_DOMAIN: 'b.example', SEALPOST_PORT: String(portB), SEALPOST_PEERS: JSON.stringify({ 'a.example': urlA }) }, values['cpu-prof']));
    relays.push(await startRelay({ ...common, SEALPOST_DB: dbA, SEALPOST_DOMAIN: 'a.example', SEALPOST_PORT: String(portA), SEALPOST_PEERS: JSON.stringify({ 'b.example': urlB }) }, values['cpu-prof']));

    const passphrase = 'bench-federation';
    const job = {
      url: urlA,
      address: 'alice@a.example',
      certificate: Buffer.from(alice.identity.certificate).toString('base64'),
      encryptedKey: Buffer.from(await alice.exportEncryptedKey(passphrase)).toString('base64'),
      passphrase,
      to: 'bob@b.example',
      bytes: KB4,
      count,
      rate,
      maxSeconds: Math.ceil(count / rate) + 30,
    };
    // Warm-up (JIT, connections, peer certificate caches) on a short run, not reported.
    const runLoad = (j: typeof job) => {
      const child = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', here('./load.ts'), JSON.stringify(j)], { encoding: 'utf8', timeout: (j.maxSeconds + 60) * 1000, maxBuffer: 64 * 1024 * 1024 });
      if (child.status !== 0) throw new Error(`load generator failed: ${child.stderr}`);
      return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { sent: { messageId: string; startedAt: number; submitMs: number }[]; failures: number; seconds: number };
    };
    const bobClient = new RelayClient({ relayUrl: urlB, address: 'bob@b.example', identity: bob.identity });
    const collect = async (ids: Set<string>, deadlineMs: number): Promise<Map<string, InboxEntry>> => {
      const found = new Map<string, InboxEntry>();
      let cursor: string | null = null;
      while (found.size < ids.size && Date.now() < deadlineMs) {
        const page = await bobClient.listInbox({ cursor, limit: 1000 });
        for (const item of page.items) if (ids.has(item.messageId)) found.set(item.messageId, item);
        if (page.nextCursor) cursor = page.nextCursor;
        else await new Promise((resolve) => setTimeout(resolve, 200));
      }
      return found;
    };
    log(`warm-up: 200 submissions at ${rate}/s`);
    const warm = runLoad({ ...job, count: 200, maxSeconds: 30 });
    const warmFound = await collect(new Set(warm.sent.map((s) => s.messageId)), Date.now() + 60_000);
    const ackAll = async (ids: Iterable<string>) => {
      for (const id of ids) await bobClient.acknowledge(id);
    };
    await ackAll(warmFound.keys());

    log(`measuring: ${count} submissions of 4 KB at ${rate}/s from relay A, forwarder poll ${intervalMs ?? 'default (500)'} ms, ${values.concurrency ?? 'default (64)'} forwards in flight per peer`);
    // CPU of both relays from the first submission until the last one is at B (or the wait ends):
    // what the forwarding costs, less noisy than latency on a shared machine.
    const cpuBefore = relays.map((r) => r.cpuMs());
    const load = runLoad(job);
    const ids = new Set(load.sent.map((s) => s.messageId));
    const found = await collect(ids, Date.now() + 60_000);
    const cpuAfter = relays.map((r) => r.cpuMs());
    const cpuOf = (i: number): number | null => (cpuAfter[i] === null || cpuBefore[i] === null ? null : cpuAfter[i]! - cpuBefore[i]!);
    // A message not at B when the wait ended counts as infinitely late: percentiles it would
    // decide are reported as null, never computed over the delivered ones only.
    const latencies = load.sent.map((s) => {
      const entry = found.get(s.messageId);
      return entry ? Date.parse(entry.submittedAt) - s.startedAt : Infinity;
    });
    latencies.sort((a, b) => a - b);
    const finite = (n: number): number | null => (Number.isFinite(n) ? round(n) : null);
    const submit = load.sent.map((s) => s.submitMs).sort((a, b) => a - b);
    // From A's 201 (the submission committed at A) to B's commit: the forwarding alone, without
    // the time A took to accept the submission.
    const forwarding = load.sent.map((s) => {
      const entry = found.get(s.messageId);
      return entry ? Date.parse(entry.submittedAt) - (s.startedAt + s.submitMs) : Infinity;
    });
    forwarding.sort((a, b) => a - b);
    const result = {
      sent: load.sent.length,
      failed: load.failures,
      delivered: found.size,
      offeredPerSec: rate,
      achievedPerSec: round(load.sent.length / load.seconds),
      p50ms: finite(percentile(latencies, 50)),
      p99ms: finite(percentile(latencies, 99)),
      maxms: finite(latencies.at(-1) ?? NaN),
      waitedSec: 60,
      submitP50ms: round(percentile(submit, 50)),
      submitP99ms: round(percentile(submit, 99)),
      forwardP50ms: finite(percentile(forwarding, 50)),
      forwardP99ms: finite(percentile(forwarding, 99)),
      forwarderIntervalMs: intervalMs ? Number(intervalMs) : 500,
      forwarderConcurrency: values.concurrency ? Number(values.concurrency) : 64,
      // relays[0] is B, relays[1] is A (B starts first).
      cpuMsA: cpuOf(1),
      cpuMsB: cpuOf(0),
    };
    log(`  sent ${result.sent} (${result.failed} failed) at ${result.achievedPerSec}/s; delivered at B: ${result.delivered}`);
    log(`  A → B inbox (null: not all there after ${result.waitedSec} s): p50 ${result.p50ms} ms, p99 ${result.p99ms} ms, max ${result.maxms} ms; A's 201: p50 ${result.submitP50ms} ms, p99 ${result.submitP99ms} ms; A's 201 → B: p50 ${result.forwardP50ms} ms, p99 ${result.forwardP99ms} ms`);
    log(`  CPU of the relays until the last arrived: A ${result.cpuMsA} ms, B ${result.cpuMsB} ms`);
    if (result.delivered < result.sent || result.failed > 0) log('  WARNING: not every submission arrived at B');
    if (values.json) process.stdout.write(`${JSON.stringify({ bench: 'federation', cases: { 'sqlite-4k': result } })}\n`);
    return result.delivered === result.sent && result.failed === 0 ? 0 : 1;
  } finally {
    for (const relay of relays.reverse()) await relay.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
