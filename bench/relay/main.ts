/**
 * `npm run bench -- relay [--json] [--stores sqlite,postgres] [--sizes 4k,1m] [--sqlite-checkpoint worker,sqlite] [--short]`: durable submissions per
 * second and latency of the relay, on SQLite and PostgreSQL, with 4 KB and 1 MB envelopes, beside
 * the floor — the same database's raw single-row durable insert rate with the same durability
 * settings (SQLite WAL + synchronous=FULL; PostgreSQL synchronous_commit=on), measured in the same
 * run on the same disk.
 *
 * The relay runs in its own process; autocannon (bench/relay/load.ts) runs in another. Every load
 * run is bounded by a request count and a duration and talks only to 127.0.0.1. Offered loads for
 * 4 KB: unthrottled (max), 100, 500 and 1000 per second; for 1 MB: unthrottled and 50 per second
 * (500 MB/s of 1 MB envelopes is beyond these disks, so p50/p99 "at 500" is not measured for 1 MB).
 *
 * `--sqlite-checkpoint worker,sqlite` runs the SQLite cases once per checkpoint mode
 * (relay/storage/sqlite.ts `checkpoint`), in the order given; default `worker`, the relay's
 * default. Cases with SQLite's own checkpoint (the relay before the worker) are named
 * `sqlite-4k-ckpt-sqlite` and `sqlite-1m-ckpt-sqlite`.
 *
 * `--store-tail [--rounds R]` runs bench/relay/store-tail.ts instead: the SQLite store alone at
 * 500 submissions per second, both checkpoint modes, to see the event loop without HTTP.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createDevCa, generateIdentity } from '@sealpost/sdk/crypto';
import type { Identity } from '@sealpost/sdk/crypto';
import { RelayClient } from '@sealpost/sdk/transport';
import { openStore } from '../../relay/storage/open-store.js';
import { storeTail } from './store-tail.js';
// The throwaway PostgreSQL cluster of the relay tests (initdb + pg_ctl as the postgres user).
import { postgresUnavailable, startPostgres } from '../../test/relay/postgres-server.js';
import type { PostgresServer } from '../../test/relay/postgres-server.js';

const KB4 = 4096;
const MB1 = 1024 * 1024;

interface LoadResult {
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSec: number;
  perSec: number;
  p50: number;
  p99: number;
  /** The relay process's event-loop delay during this load, ms. */
  loop?: LoopStats;
}

interface LoopStats {
  p50: number;
  p99: number;
  max: number;
  gcMaxMs: number;
  gcTotalMs: number;
}

interface CaseResult {
  maxPerSec: number;
  p50msAt500: number | null;
  p99msAt500: number | null;
  floorPerSec: number;
  ratioToFloor: number;
  /** Latency of one durable single-row commit in the floor run, ms: what the disk alone costs. */
  floorCommitP50ms: number;
  floorCommitP99ms: number;
  /** One-minute load average of the machine when the case started. */
  loadAverage: number;
  loads: Record<string, LoadResult>;
}

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

function runLoad(job: Record<string, unknown>): LoadResult {
  const child = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', here('./load.ts'), JSON.stringify(job)], { encoding: 'utf8', timeout: 120_000, maxBuffer: 16 * MB1 });
  if (child.status !== 0) throw new Error(`load generator failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as LoadResult;
}

function startRelay(db: string, checkpoint?: string): Promise<{ url: string; stop: () => Promise<void>; loop: () => Promise<LoopStats> }> {
  const env = { ...process.env, SEALPOST_DB: db, ...(checkpoint ? { SEALPOST_BENCH_CHECKPOINT: checkpoint } : {}) };
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', here('./relay-process.ts')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('relay did not start within 60 s'));
    }, 60_000);
    let out = '';
    let waiting: ((stats: LoopStats) => void) | undefined;
    let listening = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      let newline: number;
      while ((newline = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, newline);
        out = out.slice(newline + 1);
        if (line.startsWith('LOOP ') && waiting) {
          waiting(JSON.parse(line.slice(5)) as LoopStats);
          waiting = undefined;
        }
        const match = /^LISTENING (\S+)/.exec(line);
        if (match && !listening) {
          listening = true;
          clearTimeout(timer);
          resolve({
            url: match[1]!,
            stop: async () => {
              child.kill('SIGTERM');
              await exited;
            },
            loop: () =>
              new Promise<LoopStats>((done) => {
                waiting = done;
                child.kill('SIGUSR2');
              }),
          });
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`relay exited with ${code}`)));
  });
}

interface Floor {
  perSec: number;
  commitP50ms: number;
  commitP99ms: number;
}

const percentileOf = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
const floorOf = (times: number[], elapsedMs: number): Floor => {
  const sorted = [...times].sort((a, b) => a - b);
  return { perSec: times.length / (elapsedMs / 1000), commitP50ms: round(percentileOf(sorted, 50), 2), commitP99ms: round(percentileOf(sorted, 99), 2) };
};

/** SQLite floor: one row per transaction, WAL + synchronous=FULL, on the same disk as the relay's database. */
function sqliteFloor(dir: string, bytes: number, seconds: number, maxRows: number): Floor {
  const file = join(dir, `floor-${bytes}-${randomUUID()}.db`);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB NOT NULL)');
  const insert = db.prepare('INSERT INTO t (data) VALUES (?)');
  const data = Buffer.alloc(bytes, 7);
  const start = performance.now();
  const times: number[] = [];
  while (times.length < maxRows && performance.now() - start < seconds * 1000) {
    const t = performance.now();
    insert.run(data);
    times.push(performance.now() - t);
  }
  const floor = floorOf(times, performance.now() - start);
  db.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  return floor;
}

/** PostgreSQL floor: one connection, one INSERT per transaction (autocommit), synchronous_commit on. */
async function postgresFloor(url: string, bytes: number, seconds: number, maxRows: number): Promise<Floor> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('CREATE TABLE IF NOT EXISTS floor_t (id BIGSERIAL PRIMARY KEY, data BYTEA NOT NULL)');
    await client.query('ALTER TABLE floor_t ALTER COLUMN data SET STORAGE EXTERNAL');
    const data = Buffer.alloc(bytes, 7);
    const start = performance.now();
    const times: number[] = [];
    while (times.length < maxRows && performance.now() - start < seconds * 1000) {
      const t = performance.now();
      await client.query('INSERT INTO floor_t (data) VALUES ($1)', [data]);
      times.push(performance.now() - t);
    }
    return floorOf(times, performance.now() - start);
  } finally {
    await client.end();
  }
}

async function runCase(
  db: string,
  size: number,
  alice: { address: string; identity: Identity },
  short: boolean,
  floor: () => Promise<Floor> | Floor,
  log: (s: string) => void,
  checkpoint?: string,
): Promise<CaseResult> {
  const loadAverage = round(loadavg()[0] ?? 0, 2);
  const floorRun = await floor();
  const floorPerSec = floorRun.perSec;
  log(`  load average ${loadAverage}; floor: ${round(floorPerSec)} durable single-row inserts/s, one commit p50 ${floorRun.commitP50ms} ms p99 ${floorRun.commitP99ms} ms`);
  const relay = await startRelay(db, checkpoint);
  try {
    const token = await new RelayClient({ relayUrl: relay.url, address: alice.address, identity: alice.identity }).login();
    const base = { url: relay.url, token, to: 'bob@bench.example', bodyBytes: size };
    const loads: Record<string, LoadResult> = {};
    const scale = short ? 0.5 : 1;
    if (size === KB4) {
      // Warm-up (JIT, page cache, connection pools), not reported.
      runLoad({ ...base, connections: 16, durationSec: 1, amount: 2000 });
      await relay.loop();
      loads.max = runLoad({ ...base, connections: 64, durationSec: Math.max(2, 5 * scale), amount: 40_000 });
      // About 30 requests per second per connection: more connections than the rate needs only
      // make autocannon send in bursts, which measures its scheduler rather than the relay.
      loads.max.loop = await relay.loop();
      for (const rate of [100, 500, 1000]) {
        const load = runLoad({ ...base, connections: Math.max(8, Math.ceil(rate / 30)), durationSec: Math.max(2, 4 * scale), amount: rate * 4, rate });
        loads[`at${rate}`] = { ...load, loop: await relay.loop() };
      }
    } else {
      runLoad({ ...base, connections: 4, durationSec: 1, amount: 50 });
      await relay.loop();
      loads.max = { ...runLoad({ ...base, connections: 8, durationSec: Math.max(2, 4 * scale), amount: 1500 }), loop: await relay.loop() };
      loads.at50 = { ...runLoad({ ...base, connections: 16, durationSec: Math.max(2, 3 * scale), amount: 150, rate: 50 }), loop: await relay.loop() };
    }
    for (const [name, r] of Object.entries(loads)) {
      log(`  ${name.padEnd(6)} ${String(round(r.perSec)).padStart(8)}/s  p50 ${r.p50} ms  p99 ${r.p99} ms  (${r.ok} ok, ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts)${r.loop ? `; relay event loop delay p99 ${r.loop.p99} ms, max ${r.loop.max} ms, longest GC pause ${r.loop.gcMaxMs} ms` : ''}`);
      if (r.non2xx > 0 || r.errors > 0) log(`  WARNING: ${name} had failures`);
    }
    const maxPerSec = loads.max!.perSec;
    return {
      maxPerSec: round(maxPerSec),
      p50msAt500: loads.at500 ? loads.at500.p50 : null,
      p99msAt500: loads.at500 ? loads.at500.p99 : null,
      floorPerSec: round(floorPerSec),
      ratioToFloor: round(maxPerSec / floorPerSec, 2),
      floorCommitP50ms: floorRun.commitP50ms,
      floorCommitP99ms: floorRun.commitP99ms,
      loadAverage,
      loads,
    };
  } finally {
    await relay.stop();
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      json: { type: 'boolean' },
      stores: { type: 'string' },
      sizes: { type: 'string' },
      'sqlite-checkpoint': { type: 'string' },
      short: { type: 'boolean' },
      'store-tail': { type: 'boolean' },
      rounds: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write('usage: npm run bench -- relay [--json] [--stores sqlite,postgres] [--sizes 4k,1m] [--sqlite-checkpoint worker,sqlite] [--short]\n');
    process.stdout.write('       npm run bench -- relay --store-tail [--rounds R] [--json]   (the SQLite store alone at 500/s: WAL checkpoints and the event loop)\n');
    return 0;
  }
  if (values['store-tail']) {
    const rounds = Number(values.rounds ?? 3);
    if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) throw new RangeError(`--rounds: '${values.rounds}' is not a whole number from 1 to 20`);
    const results = await storeTail(rounds, (line) => void (values.json ? process.stderr : process.stdout).write(`${line}\n`));
    if (values.json) process.stdout.write(`${JSON.stringify({ bench: 'relay', storeTail: results })}\n`);
    return 0;
  }
  const stores = (values.stores ?? 'sqlite,postgres').split(',');
  const sizes = (values.sizes ?? '4k,1m').split(',');
  const checkpoints = (values['sqlite-checkpoint'] ?? 'worker').split(',');
  for (const c of checkpoints) if (c !== 'worker' && c !== 'sqlite') throw new RangeError(`--sqlite-checkpoint: '${c}' is neither worker nor sqlite`);
  for (const s of sizes) if (s !== '4k' && s !== '1m') throw new RangeError(`--sizes: '${s}' is neither 4k nor 1m`);
  const log = (s: string): void => void (values.json ? process.stderr : process.stdout).write(`${s}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-bench-relay-'));
  let pgServer: PostgresServer | undefined;
  const cases: Record<string, CaseResult> = {};
  const notes: string[] = [];
  try {
    const ca = await createDevCa({ name: 'Bench CA' });
    const make = async (address: string) => ({ address, identity: (await generateIdentity({ name: address, address, issuer: ca.identity })).identity });
    const [alice, bob] = await Promise.all([make('alice@bench.example'), make('bob@bench.example')]);
    const prepare = async (db: string): Promise<void> => {
      const store = await openStore(db);
      for (const m of [alice, bob]) await store.addMailbox({ address: m.address, certificate: m.identity.certificate, createdAt: Date.now() });
      await store.close();
    };
    for (const kind of stores) {
      if (kind === 'postgres') {
        const missing = process.env.SEALPOST_BENCH_PG_URL ? undefined : postgresUnavailable();
        if (missing) {
          notes.push(`postgres skipped: ${missing}`);
          log(`postgres skipped: ${missing}`);
          continue;
        }
        pgServer = process.env.SEALPOST_BENCH_PG_URL ? undefined : await startPostgres();
      }
      for (const [label, size] of (
        [
          ['4k', KB4],
          ['1m', MB1],
        ] as const
      ).filter(([l]) => sizes.includes(l))) {
        if (kind === 'sqlite') {
          for (const checkpoint of checkpoints) {
            const name = checkpoint === 'worker' ? `sqlite-${label}` : `sqlite-${label}-ckpt-${checkpoint}`;
            log(`${name} (WAL checkpoints: ${checkpoint}):`);
            const db = `sqlite:${join(dir, `relay-${label}-${checkpoint}.db`)}`;
            await prepare(db);
            cases[name] = await runCase(db, size, alice, values.short ?? false, () => sqliteFloor(dir, size, 3, size === KB4 ? 30_000 : 500), log, checkpoint);
          }
        } else {
          log(`${kind}-${label}:`);
          const admin = process.env.SEALPOST_BENCH_PG_URL;
          const db = admin ? admin : await pgServer!.createDatabase();
          await prepare(db);
          cases[`postgres-${label}`] = await runCase(db, size, alice, values.short ?? false, () => postgresFloor(db, size, 3, size === KB4 ? 30_000 : 500), log);
        }
      }
    }
  } finally {
    await pgServer?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  if (values.json) process.stdout.write(`${JSON.stringify({ bench: 'relay', cases, ...(notes.length ? { notes } : {}) })}\n`);
  return 0;
}
