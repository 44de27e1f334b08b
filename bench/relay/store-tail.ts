/**
 * `npm run bench -- relay --store-tail [--json] [--rounds R]`: the SQLite store alone, no HTTP, to
 * see what WAL checkpoints do to the event loop. Per round and per checkpoint mode (worker,
 * SQLite's own; the order alternates between rounds so drift in the machine's load falls on both),
 * a fresh database takes a burst of 20,000 4 KB submissions (64 at a time, as the bench's max run
 * leaves a large WAL behind) and then 500 submissions per second for 6 s, each started by a timer
 * and timed from when it was due. Reported per mode: the latency p50/p99/max of the paced
 * submissions (ms), the event loop's longest stall while they ran (ms), the group commits' p99 and
 * longest time on the loop (ms, `onCommit`: the transaction with its fsync), how long the main
 * thread waited for a CPU while it was runnable (Linux schedstat, ms: the machine's share of the
 * stalls), and the burst's rate.
 * Bounded in count and time; only a temporary directory is written.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { openSqliteStore } from '../../relay/storage/sqlite.js';
import type { NewSubmission, RelayStore } from '../../relay/storage/types.js';

type Mode = 'worker' | 'sqlite';

export interface StoreTailResult {
  mode: Mode;
  round: number;
  loadAverage: number;
  burstPerSec: number;
  p50ms: number;
  p99ms: number;
  maxms: number;
  loopMaxMs: number;
  commitP99ms: number;
  commitMaxMs: number;
  /** Time the main thread spent runnable but waiting for a CPU during the paced run, ms (null off Linux). */
  runQueueWaitMs: number | null;
}

const SCHEDSTAT = '/proc/thread-self/schedstat';
const runQueueWait = (): number | null => (existsSync(SCHEDSTAT) ? Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[1]) / 1e6 : null);

const BODY = 4096;
const BURST = 20_000;
const RATE = 500;
const SECONDS = 6;

const round1 = (n: number): number => Math.round(n * 10) / 10;
const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;

function submission(data: Uint8Array): NewSubmission {
  const now = Date.now();
  const digest = `sha-256=:${createHash('sha256').update(data).digest('base64')}:`;
  return { messageId: randomUUID(), sender: 'alice@bench.example', recipients: ['bob@bench.example'], digest, size: data.length, submittedAt: now, expiresAt: now + 86_400_000, data };
}

async function burst(store: RelayStore, data: Uint8Array): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < BURST) {
        next++;
        await store.submit(submission(data));
      }
    }),
  );
  return BURST / ((performance.now() - started) / 1000);
}

async function paced(store: RelayStore, data: Uint8Array): Promise<{ latencies: number[]; loopMaxMs: number }> {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const start = performance.now();
  const total = RATE * SECONDS;
  await new Promise<void>((done) => {
    let sent = 0;
    const tick = (): void => {
      // Catch up on every submission that fell due meanwhile: a stalled loop delays their start,
      // and that delay is part of their latency.
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * RATE) + 1);
      for (; sent < due; sent++) {
        const dueAt = start + (sent / RATE) * 1000;
        pending.push(store.submit(submission(data)).then(() => void latencies.push(performance.now() - dueAt)));
      }
      if (sent < total) setTimeout(tick, 1);
      else done();
    };
    tick();
  });
  await Promise.all(pending);
  loop.disable();
  return { latencies, loopMaxMs: loop.max / 1e6 };
}

async function runMode(mode: Mode, round: number, dir: string): Promise<StoreTailResult> {
  const data = new Uint8Array(BODY);
  crypto.getRandomValues(data);
  const path = join(dir, `${mode}-${round}.db`);
  let commits: number[] = [];
  const store = openSqliteStore(path, { checkpoint: mode, onCommit: (c) => void commits.push(c.ms) });
  await store.migrate();
  const loadAverage = round1(loadavg()[0] ?? 0);
  try {
    const burstPerSec = await burst(store, data);
    commits = [];
    const waitedBefore = runQueueWait();
    const { latencies, loopMaxMs } = await paced(store, data);
    const waitedAfter = runQueueWait();
    const sorted = latencies.sort((a, b) => a - b);
    const commitTimes = commits.sort((a, b) => a - b);
    return {
      mode,
      round,
      loadAverage,
      burstPerSec: Math.round(burstPerSec),
      p50ms: round1(percentile(sorted, 50)),
      p99ms: round1(percentile(sorted, 99)),
      maxms: round1(sorted.at(-1)!),
      loopMaxMs: round1(loopMaxMs),
      commitP99ms: round1(percentile(commitTimes, 99)),
      commitMaxMs: round1(commitTimes.at(-1) ?? NaN),
      runQueueWaitMs: waitedBefore === null || waitedAfter === null ? null : Math.round(waitedAfter - waitedBefore),
    };
  } finally {
    await store.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
  }
}

/** Runs `rounds` rounds of both modes; `log` gets one line per mode and round. */
export async function storeTail(rounds: number, log: (line: string) => void): Promise<StoreTailResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-bench-store-tail-'));
  const results: StoreTailResult[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      const modes: Mode[] = round % 2 === 1 ? ['sqlite', 'worker'] : ['worker', 'sqlite'];
      for (const mode of modes) {
        const r = await runMode(mode, round, dir);
        results.push(r);
        log(
          `  round ${round} ${mode === 'worker' ? 'worker checkpoints ' : 'SQLite checkpoints '} load ${r.loadAverage}: burst ${r.burstPerSec}/s; at ${RATE}/s p50 ${r.p50ms} ms, p99 ${r.p99ms} ms, max ${r.maxms} ms; longest loop stall ${r.loopMaxMs} ms; commits p99 ${r.commitP99ms} ms, longest ${r.commitMaxMs} ms; waited for a CPU ${r.runQueueWaitMs ?? '?'} ms of ${SECONDS * 1000}`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
