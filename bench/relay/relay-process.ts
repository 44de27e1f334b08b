/**
 * The relay under test, in its own process (so the load generator and the relay do not share an
 * event loop): SEALPOST_DB names the store; prints `LISTENING <url>`. Loopback only, port 0.
 *
 * SEALPOST_BENCH_CHECKPOINT (`worker` or `sqlite`) picks who checkpoints a SQLite WAL
 * (relay/storage/sqlite.ts `checkpoint`), so one run can compare the two.
 *
 * On SIGUSR2 it prints `LOOP {"p50":…,"p99":…,"max":…,"gcMaxMs":…,"gcTotalMs":…}`: the event
 * loop's delay (ms) and the GC pauses since the previous SIGUSR2, so the bench can tell a tail that comes from this process's own loop (a
 * synchronous commit, GC, parsing) from one that comes from the disk or the machine.
 */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { openStore } from '../../relay/storage/open-store.js';
import { openSqliteStore } from '../../relay/storage/sqlite.js';
import type { RelayStore } from '../../relay/storage/types.js';
import { startServer } from '../../relay/server.js';

const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
// Garbage-collection pauses in the same window: a loop stall with no GC pause of its size is
// synchronous work of our own (SQLite commits run on this thread, and WAL checkpoints too with
// SEALPOST_BENCH_CHECKPOINT=sqlite).
let gc = { max: 0, total: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gc = { max: Math.max(gc.max, entry.duration), total: gc.total + entry.duration };
}).observe({ entryTypes: ['gc'] });
process.on('SIGUSR2', () => {
  const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
  const r = (n: number): number => Math.round(n * 100) / 100;
  process.stdout.write(`LOOP ${JSON.stringify({ p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max), gcMaxMs: r(gc.max), gcTotalMs: r(gc.total) })}\n`);
  loop.reset();
  gc = { max: 0, total: 0 };
});
async function open(db: string): Promise<RelayStore> {
  const checkpoint = process.env.SEALPOST_BENCH_CHECKPOINT;
  if (!db.startsWith('sqlite:') || (checkpoint !== 'worker' && checkpoint !== 'sqlite')) return openStore(db);
  const store = openSqliteStore(db.slice('sqlite:'.length), { checkpoint });
  await store.migrate();
  return store;
}
const store = await open(process.env.SEALPOST_DB!);
const server = await startServer({ store, host: '127.0.0.1', port: 0, logger: false, handleSignals: true, purgeIntervalMs: 0, rateLimitPerIp: 0, rateLimitPerMailbox: 0 });
process.stdout.write(`LISTENING ${server.url}\n`);
