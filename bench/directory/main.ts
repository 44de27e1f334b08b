/**
 * `npm run bench -- directory [--json] [--quick] [--stores sqlite,postgres] [--roles N] [--orgs N]`:
 * builds a synthetic national-size directory (default 500,000 practitioner roles, 400,000
 * practitioners, 100,000 organisations with endpoints) and measures search latency p50/p95, as the
 * /fhir route runs it (query parsing, store search, `_include`s, Bundle; not HTTP or signing):
 *
 * - typeahead: `PractitionerRole?practitioner.name=<2–5 letter prefix>&_count=10` with the
 *   practitioner, organisation and endpoint `_include`d;
 * - nameSuburb: `PractitionerRole?practitioner.name=<family>&organization.address-city=<suburb>`;
 * - identifier: `Practitioner?identifier=<HPI-I system>|<value>`.
 *
 * typeaheadHttpP95ms runs the same typeahead through the /fhir route (fastify inject, so no
 * sockets): serialisation and the ES256 answer signature included.
 *
 * SQLite is loaded through DirectoryStore.put (the import path); PostgreSQL is filled by copying
 * the SQLite tables (same schema) with UNNEST batches, indexes rebuilt after, then ANALYZE.
 * Bounded: about 2 minutes to load SQLite on the default scale, 2 more for PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import Fastify from 'fastify';
import { createDevCa, generateIdentity } from '@sealpost/sdk/crypto';
import { SIGNATURE_HEADER } from '@sealpost/sdk/directory';
import { directoryPlugin, openSqliteDirectoryStore } from '../../relay/directory/index.js';
import type { DirectoryStore } from '../../relay/directory/index.js';
import { openPostgresDirectoryStore } from '../../relay/directory/storage/postgres.js';
import { DIRECTORY_MIGRATIONS } from '../../relay/directory/storage/migrations.js';
import { parseQuery } from '../../relay/directory/internal/parse-query.js';
import { searchBundle } from '../../relay/directory/internal/bundle.js';
import { isDirectoryType } from '../../relay/directory/internal/search-params.js';
// The throwaway PostgreSQL cluster of the relay tests (initdb + pg_ctl as the postgres user).
import { postgresUnavailable, startPostgres } from '../../test/relay/postgres-server.js';
import type { PostgresServer } from '../../test/relay/postgres-server.js';
import { generateDirectory, hpiI, HPII, prng } from './generate.js';
import type { GeneratedDirectory } from './generate.js';

interface Figures {
  typeaheadP50ms: number;
  typeaheadP95ms: number;
  /** The same typeahead through the relay's HTTP route (fastify inject): JSON, signature (ES256). */
  typeaheadHttpP95ms: number;
  nameSuburbP50ms: number;
  nameSuburbP95ms: number;
  identifierP50ms: number;
  identifierP95ms: number;
  loadSeconds: number;
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 100) / 100;
};

function queries(data: GeneratedDirectory, samples: number): { typeahead: string[]; nameSuburb: string[]; identifier: string[] } {
  const random = prng(7);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const typeahead: string[] = [];
  for (let i = 0; i < samples; i++) {
    const name = (random() < 0.6 ? pick(data.families) : pick(data.given)).toLowerCase();
    const length = 2 + Math.floor(random() * 4);
    const include = '&_include=PractitionerRole:practitioner&_include=PractitionerRole:organization&_include=PractitionerRole:endpoint';
    typeahead.push(`practitioner.name=${encodeURIComponent(name.slice(0, length))}&_count=10${include}`);
  }
  const nameSuburb = Array.from({ length: samples }, () => {
    const pair = pick(data.pairs);
    return `practitioner.name=${encodeURIComponent(pair.family)}&organization.address-city=${encodeURIComponent(pair.suburb)}&_count=10`;
  });
  const identifier = Array.from({ length: samples }, () => `identifier=${encodeURIComponent(`${HPII}|${hpiI(Math.floor(random() * data.practitioners))}`)}`);
  return { typeahead, nameSuburb, identifier };
}

async function measure(store: DirectoryStore, type: string, list: string[]): Promise<number[]> {
  if (!isDirectoryType(type)) throw new Error(type);
  const times: number[] = [];
  let empty = 0;
  for (const [i, qs] of list.entries()) {
    const start = performance.now();
    const search = new URLSearchParams(qs);
    const parsed = parseQuery(type, search);
    const page = await store.search(parsed.query);
    const bundle = await searchBundle(store, 'http://bench/fhir', parsed, page, search, `http://bench/fhir/${type}?${qs}`);
    const elapsed = performance.now() - start;
    if ((bundle.entry as unknown[]).length === 0) empty++;
    // The first tenth warms caches and is not counted.
    if (i >= list.length / 10) times.push(elapsed);
  }
  // Every query is built from generated data, so (almost) every one must match: a bench that
  // times empty answers would measure nothing.
  if (empty > list.length / 20) throw new Error(`${type}: ${empty} of ${list.length} queries matched nothing`);
  return times;
}

async function measureHttp(store: DirectoryStore, list: string[]): Promise<number[]> {
  const ca = await createDevCa({ name: 'Bench CA' });
  const { identity } = await generateIdentity({ name: 'relay.bench.example', address: 'relay@relay.bench.example', issuer: ca.identity });
  const app = Fastify({ logger: false });
  await app.register(directoryPlugin, { store, signer: identity });
  const times: number[] = [];
  try {
    for (const [i, qs] of list.entries()) {
      const start = performance.now();
      const res = await app.inject({ method: 'GET', url: `/fhir/PractitionerRole?${qs}` });
      const elapsed = performance.now() - start;
      if (res.statusCode !== 200 || !res.headers[SIGNATURE_HEADER]) throw new Error(`HTTP typeahead answered ${res.statusCode}`);
      if (i >= list.length / 10) times.push(elapsed);
    }
  } finally {
    await app.close();
  }
  return times;
}

async function run(store: DirectoryStore, q: ReturnType<typeof queries>, loadSeconds: number): Promise<Figures> {
  const typeahead = await measure(store, 'PractitionerRole', q.typeahead);
  const typeaheadHttp = await measureHttp(store, q.typeahead);
  const nameSuburb = await measure(store, 'PractitionerRole', q.nameSuburb);
  const identifier = await measure(store, 'Practitioner', q.identifier);
  return {
    typeaheadP50ms: percentile(typeahead, 50),
    typeaheadP95ms: percentile(typeahead, 95),
    typeaheadHttpP95ms: percentile(typeaheadHttp, 95),
    nameSuburbP50ms: percentile(nameSuburb, 50),
    nameSuburbP95ms: percentile(nameSuburb, 95),
    identifierP50ms: percentile(identifier, 50),
    identifierP95ms: percentile(identifier, 95),
    loadSeconds: Math.round(loadSeconds),
  };
}

/** Copies the SQLite directory into an empty migrated PostgreSQL one, indexes rebuilt after. */
async function copyToPostgres(sqlitePath: string, url: string, log: (s: string) => void): Promise<void> {
  const source = new Database(sqlitePath, { readonly: true });
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await pool.query('DROP INDEX dir_index_search; DROP INDEX dir_index_owner');
    const flushResources = async (rows: { type: string; id: string; version_id: number; last_updated: string; body: string }[]): Promise<void> => {
      await pool.query('INSERT INTO dir_resources (type, id, version_id, last_updated, body) SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[])', [rows.map((r) => r.type), rows.map((r) => r.id), rows.map((r) => r.version_id), rows.map((r) => r.last_updated), rows.map((r) => r.body)]);
    };
    let rows: { type: string; id: string; version_id: number; last_updated: string; body: string }[] = [];
    for (const row of source.prepare('SELECT type, id, version_id, last_updated, body FROM dir_resources').iterate() as Iterable<(typeof rows)[number]>) {
      rows.push(row);
      if (rows.length === 5000) {
        await flushResources(rows);
        rows = [];
      }
    }
    if (rows.length) await flushResources(rows);
    log('postgres: resources copied');
    const flushIndex = async (batch: { type: string; id: string; param: string; value: string; system: string }[]): Promise<void> => {
      await pool.query('INSERT INTO dir_index (type, id, param, value, system) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])', [batch.map((r) => r.type), batch.map((r) => r.id), batch.map((r) => r.param), batch.map((r) => r.value), batch.map((r) => r.system)]);
    };
    let batch: { type: string; id: string; param: string; value: string; system: string }[] = [];
    for (const row of source.prepare('SELECT type, id, param, value, system FROM dir_index').iterate() as Iterable<(typeof batch)[number]>) {
      batch.push(row);
      if (batch.length === 20_000) {
        await flushIndex(batch);
        batch = [];
      }
    }
    if (batch.length) await flushIndex(batch);
    log('postgres: index rows copied, building indexes');
    // The same indexes as the migration, built once over the loaded rows.
    // The final definition of each index (a later migration may redefine one).
    const byName = new Map<string, string>();
    for (const statement of DIRECTORY_MIGRATIONS.flatMap((m) => m.split(';'))) {
      const name = /CREATE INDEX (\w+)/.exec(statement)?.[1];
      if (name) byName.set(name, statement);
    }
    const createIndexes = [...byName.values()];
    await pool.query('SET maintenance_work_mem = \'256MB\'');
    for (const statement of createIndexes) await pool.query(statement);
    await pool.query('ANALYZE dir_resources; ANALYZE dir_index');
  } finally {
    source.close();
    await pool.end();
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: { json: { type: 'boolean' }, quick: { type: 'boolean' }, stores: { type: 'string' }, roles: { type: 'string' }, orgs: { type: 'string' }, samples: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    process.stdout.write('usage: npm run bench -- directory [--json] [--quick] [--stores sqlite,postgres] [--roles 500000] [--orgs 100000] [--samples 1000]\n');
    return 0;
  }
  const roles = Number(values.roles ?? (values.quick ? 50_000 : 500_000));
  const organisations = Number(values.orgs ?? (values.quick ? 10_000 : 100_000));
  const samples = Number(values.samples ?? 1000);
  const stores = (values.stores ?? 'sqlite,postgres').split(',');
  const log = (text: string): void => void process.stderr.write(`[directory bench] ${text}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-dir-bench-'));
  const cases: Record<string, Figures> = {};
  const notes: string[] = [];
  let pgServer: PostgresServer | undefined;
  try {
    const path = join(dir, 'directory.db');
    const sqlite = openSqliteDirectoryStore(path);
    await sqlite.migrate();
    log(`generating ${roles} roles, ${organisations} organisations into SQLite…`);
    let start = performance.now();
    let loaded = 0;
    const data = await generateDirectory({ roles, organisations }, async (batch) => {
      await sqlite.put(batch);
      loaded += batch.length;
      if (loaded % 100_000 < batch.length) log(`  ${loaded} resources`);
    });
    const sqliteLoad = (performance.now() - start) / 1000;
    log(`SQLite loaded in ${sqliteLoad.toFixed(0)} s`);
    const q = queries(data, samples);
    if (stores.includes('sqlite')) cases.sqlite = await run(sqlite, q, sqliteLoad);
    await sqlite.close();
    if (stores.includes('postgres')) {
      const missing = process.env.SEALPOST_BENCH_PG_URL ? undefined : postgresUnavailable();
      if (missing) {
        notes.push(`postgres skipped: ${missing}`);
        log(`postgres skipped: ${missing}`);
      } else {
        pgServer = process.env.SEALPOST_BENCH_PG_URL ? undefined : await startPostgres();
        const url = pgServer ? await pgServer.createDatabase() : process.env.SEALPOST_BENCH_PG_URL!;
        const store = openPostgresDirectoryStore(url, { max: 2 });
        await store.migrate();
        start = performance.now();
        await copyToPostgres(path, url, log);
        const pgLoad = (performance.now() - start) / 1000;
        log(`PostgreSQL loaded in ${pgLoad.toFixed(0)} s`);
        cases.postgres = await run(store, q, pgLoad);
        await store.close();
      }
    }
  } finally {
    await pgServer?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const result = { bench: 'directory', scale: { practitionerRoles: roles, organisations }, cases, ...(notes.length ? { notes } : {}) };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    process.stdout.write(`directory search, ${roles} practitioner roles, ${organisations} organisations (ms)\n`);
    for (const [store, f] of Object.entries(cases)) {
      process.stdout.write(`${store.padEnd(9)} typeahead p50 ${f.typeaheadP50ms} p95 ${f.typeaheadP95ms} (HTTP + signature p95 ${f.typeaheadHttpP95ms}) | name+suburb p50 ${f.nameSuburbP50ms} p95 ${f.nameSuburbP95ms} | identifier p50 ${f.identifierP50ms} p95 ${f.identifierP95ms} | load ${f.loadSeconds} s\n`);
    }
    for (const note of notes) process.stdout.write(`${note}\n`);
  }
  return 0;
}
