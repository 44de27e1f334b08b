/**
 * `npm run bench -- import [--json] [--letters N] [--cases folder,fhir,memory-folder] [--batch B]`:
 * letters per second through the import pipeline (adapters/import/pipeline.ts), 4 KB ORU^R01
 * results, each sealed by the lab with a receipt request before the clock starts:
 *
 * - `folder`: relay inbox → file-drop folder. The relay (relay/, SQLite) runs in its own process
 *   (bench/relay/relay-process.ts) on 127.0.0.1 and holds the N letters, submitted beforehand; the
 *   pipeline pages (the envelopes come in the listing, `include=envelope`) and acknowledges each
 *   batch in one call through sdk/transport's RelayClient (`relayInboxSource`), opens and verifies each envelope, signs and seals a delivered and an
 *   imported receipt, matches the patient, and files through `ImportFolder.fileMany` (temp name,
 *   fsync, rename, group-committed folder fsyncs), with the state committed per batch step
 *   (SQLite WAL, synchronous=FULL).
 * - `fhir`: the same from the relay into a FHIR EMR — Medplum's FhirRouter over its
 *   MemoryRepository served on 127.0.0.1 in its own process (test/adapters/support), via
 *   `FhirEmr`: Patient search by IHI, then a conditional create of a DocumentReference.
 * - `memory-folder`: an in-memory inbox into the folder: the pipeline without the relay's HTTP.
 *
 * Receipts go to an in-memory sink (counted): they are made (signed, sealed) but not submitted.
 * `--no-receipts`: the lab asks for none (the pipeline makes none), to separate their cost.
 * `--workers W`: crypto worker threads (`CryptoWorkerPool`, default min(4, cores); 0: the main
 * thread). `--deferred-acks`: the relay case without per-letter acknowledgements (see deferAcks).
 * Bounded by N (default 1000) per case, 100 for the FHIR case (`--fhir-letters`). Every case checks that each letter was filed exactly once.
 * CPU per letter is this process's; the relay cases also report the relay process's own (from /proc, Linux only).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createDevCa, generateIdentity, sealEnvelope, TrustStore } from '@sealpost/sdk/crypto';
import type { Identity } from '@sealpost/sdk/crypto';
import { RelayClient } from '@sealpost/sdk/transport';
import { installNodeCrypto } from '@sealpost/sdk/node/crypto';
import { FhirEmr } from '../../adapters/fhir/fhir-emr.js';
import { ImportFolder } from '../../adapters/file-drop/import-folder.js';
import { CryptoWorkerPool } from '../../adapters/import/crypto-pool.js';
import { ImportPipeline } from '../../adapters/import/pipeline.js';
import type { EmrTarget, InboxSource } from '../../adapters/import/pipeline.js';
import { relayInboxSource } from '../../adapters/import/relay-source.js';
import { renderHl7Letter } from '../../adapters/import/render-hl7.js';
import { mapLimited } from '../../adapters/internal/limit.js';
import { openStore } from '../../relay/storage/open-store.js';
import { spawnFhirServer } from '../../test/adapters/support/fhir-server-process.js';

const IHI = 'http://ns.electronichealth.net.au/id/hi/ihi/1.0';
const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

const oru4k = (id: string): string => {
  const head = [
    `MSH|^~\\&|LAB|ACME PATH|GP|SURGERY|20260101120000||ORU^R01^ORU_R01|${id}|P|2.5.1`,
    'PID|1||8003608166690503^^^AUSHIC^NI||Citizen^Jane^^^Ms||19800101|F|||1 Main St^^Sydney^NSW^2000^AU',
    'OBR|1||R1|11502-2^Laboratory report^LN|||20260101110000',
  ].join('\r');
  const obx = `\rOBX|1|FT|11502-2^Laboratory report^LN||${'Result text '.repeat(320)}||||||F\r`;
  return (head + obx).slice(0, 4096 - 1) + '\r';
};

interface Row {
  target: string;
  letters: number;
  filed: number;
  receipts: number;
  seconds: number;
  perSecond: number;
  /** CPU time (user + system) of this process per letter, all threads (the relay and FHIR server processes are not counted): steadier than wall time on a shared machine. */
  cpuMsPerLetter: number;
  /** CPU time of the relay's own process per letter while the clock ran (Linux /proc), for the relay cases. */
  relayCpuMsPerLetter?: number;
  /** Wall time spent waiting in each outside call, summed over the run (calls overlap up to the pipeline's concurrency, so these are not shares of `seconds`). */
  waitMs: { fetch: number; remove: number; findPatients: number; file: number };
  /** Mean wall time of one filing call among the first and the last tenth of the run (a target that slows as it fills shows here). */
  fileCallMs: { first: number; last: number };
}

/** Wraps `fn` so its wall time is added to `waits[key]`. */
function timed<A extends unknown[], R>(waits: Row['waitMs'], key: keyof Row['waitMs'], fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    const t = performance.now();
    try {
      return await fn(...args);
    } finally {
      waits[key] += performance.now() - t;
    }
  };
}

interface Parties {
  lab: { address: string; identity: Identity };
  gp: { address: string; identity: Identity };
  trust: TrustStore;
  ca: Uint8Array;
}

/** How the pipeline runs: crypto worker threads (0: on the main thread) and operations in flight per step. */
interface Tuning {
  batchSize: number;
  workers: number;
  concurrency: number;
}

async function sealAll(parties: Parties, n: number, tag: string, receipt: boolean): Promise<{ messageId: string; envelope: Uint8Array }[]> {
  return mapLimited(Array.from({ length: n }, (_, i) => i), 8, async (i) => {
    const messageId = crypto.randomUUID();
    const payload = new TextEncoder().encode(oru4k(`${tag}${i}`));
    const { envelope } = await sealEnvelope(payload, { sender: parties.lab.identity, recipients: [parties.gp.identity.certificate], messageId, receipt, mediaType: 'application/hl7-v2' });
    return { messageId, envelope };
  });
}

/** CPU time (user + system) a child process has used so far, ms, from /proc (undefined where there is none). */
function childCpuMs(pid: number | undefined): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After "pid (comm) ": state is field 3, utime and stime fields 14 and 15, in USER_HZ ticks (100 on Linux).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

function startRelay(db: string): Promise<{ url: string; stop: () => Promise<void>; cpuMs: () => number | undefined }> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', here('../relay/relay-process.ts')], { env: { ...process.env, SEALPOST_DB: db }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /LISTENING (\S+)/.exec(out);
      if (match) resolve({ url: match[1]!, stop: async () => void (child.kill('SIGTERM'), await exited), cpuMs: () => childCpuMs(child.pid) });
    });
    child.once('exit', (code) => reject(new Error(`relay exited ${code}`)));
  });
}

/** Runs the pipeline until the source is empty and every letter is done; returns the timed row. */
async function drain(target: string, n: number, parties: Parties, dir: string, source: InboxSource, emr: EmrTarget, tuning: Tuning, count: () => number | Promise<number>, relayCpuMs?: () => number | undefined): Promise<Row> {
  let receipts = 0;
  const pool = tuning.workers > 0 ? new CryptoWorkerPool({ identity: parties.gp.identity, trust: { anchors: [parties.ca] }, size: tuning.workers }) : undefined;
  // Worker start-up (loading the sources) is not import throughput: one throwaway receipt warms every worker.
  const warmBinding = { header: undefined, receiptRequest: undefined, binding: { signature: new Uint8Array(64), signedAttributes: new Uint8Array([0x31, 0]), contentType: '1.2.840.113549.1.7.1' }, signer: { certificate: parties.lab.identity.certificate, subject: '', addresses: [] } };
  if (pool) {
    await pool.ready();
    await Promise.all(Array.from({ length: pool.size * 2 }, () => pool.receipt(warmBinding, { status: 'delivered' })));
  }
  const waitMs = { fetch: 0, remove: 0, findPatients: 0, file: 0 };
  const fileCalls: number[] = [];
  const pipeline = new ImportPipeline({
    path: join(dir, `${target}.db`),
    identity: parties.gp.identity,
    trust: parties.trust,
    batchSize: tuning.batchSize,
    concurrency: tuning.concurrency,
    ...(pool ? { crypto: pool } : {}),
    source: {
      fetch: timed(waitMs, 'fetch', (limit: number, options?: { skip?: ReadonlySet<string> }) => source.fetch(limit, options)),
      remove: timed(waitMs, 'remove', (id: string) => source.remove(id)),
      ...(source.removeMany ? { removeMany: timed(waitMs, 'remove', (ids: readonly string[]) => source.removeMany!(ids)) } : {}),
    },
    target: {
      findPatients: timed(waitMs, 'findPatients', (q) => emr.findPatients(q)),
      file: timed(waitMs, 'file', async (l, p, m) => {
        const t = performance.now();
        await emr.file(l, p, m);
        fileCalls.push(performance.now() - t);
      }),
      ...(emr.fileBatch
        ? {
            fileBatch: timed(waitMs, 'file', async (letters) => {
              const t = performance.now();
              await emr.fileBatch!(letters);
              fileCalls.push(performance.now() - t);
            }),
          }
        : {}),
    },
    receipts: { send: () => Promise.resolve(void receipts++) },
    render: (payload) => renderHl7Letter(payload),
  });
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  const relayCpu0 = relayCpuMs?.();
  let filed = 0;
  for (;;) {
    const r = await pipeline.run();
    filed += r.filed;
    if (r.fetched === 0) break;
  }
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const relayCpu1 = relayCpuMs?.();
  pipeline.close();
  await pool?.close();
  const found = await count();
  if (filed !== n || found !== n) throw new Error(`${target}: filed ${filed}, found ${found} in the EMR, expected ${n}`);
  const relayCpuMsPerLetter = relayCpu0 !== undefined && relayCpu1 !== undefined ? Math.round(((relayCpu1 - relayCpu0) / n) * 100) / 100 : undefined;
  return { target, letters: n, filed, receipts, seconds: Math.round(seconds * 1000) / 1000, perSecond: Math.round(filed / seconds), cpuMsPerLetter: Math.round(((cpu.user + cpu.system) / 1000 / n) * 100) / 100, ...(relayCpuMsPerLetter !== undefined ? { relayCpuMsPerLetter } : {}), waitMs: { fetch: Math.round(waitMs.fetch), remove: Math.round(waitMs.remove), findPatients: Math.round(waitMs.findPatients), file: Math.round(waitMs.file) }, fileCallMs: { first: tenth(fileCalls.slice(0, Math.ceil(fileCalls.length / 10))), last: tenth(fileCalls.slice(-Math.ceil(fileCalls.length / 10))) } };
}

const tenth = (xs: number[]): number => Math.round((xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)) * 10) / 10;

/**
 * `--deferred-acks`: no acknowledgement at all while the clock runs (the relay has a bulk one now,
 * which the pipeline uses: one POST per batch; this measured what it could give). Removals are only recorded while the clock runs (the listing leaves them out, as
 * it does items being acknowledged) and sent after it stops: an upper bound, as a bulk call costs
 * one round trip per page, not none. The listing still pages past the recorded items each fetch.
 */
function deferAcks(source: InboxSource, client: RelayClient): { source: InboxSource; flush: () => Promise<void> } {
  const recorded = new Set<string>();
  return {
    source: { fetch: (limit, options) => source.fetch(limit, { skip: new Set([...recorded, ...(options?.skip ?? [])]) }), remove: (id) => Promise.resolve(void recorded.add(id)) },
    flush: async () => void (await client.acknowledgeMany([...recorded])),
  };
}

async function relaySource(parties: Parties, dir: string, letters: { messageId: string; envelope: Uint8Array }[], deferredAcks = false): Promise<{ source: InboxSource; stop: () => Promise<void>; cpuMs: () => number | undefined }> {
  const db = join(dir, `relay-${crypto.randomUUID()}.db`);
  const store = await openStore(db);
  for (const m of [parties.lab, parties.gp]) await store.addMailbox({ address: m.address, certificate: m.identity.certificate, createdAt: Date.now() });
  await store.close();
  const relay = await startRelay(db);
  const sender = new RelayClient({ relayUrl: relay.url, address: parties.lab.address, identity: parties.lab.identity });
  await mapLimited(letters, 8, (l) => sender.submit(l.envelope, { messageId: l.messageId, to: [parties.gp.address] }));
  const client = new RelayClient({ relayUrl: relay.url, address: parties.gp.address, identity: parties.gp.identity });
  const source = relayInboxSource(client, { pageSize: 200 });
  if (!deferredAcks) return { source, stop: relay.stop, cpuMs: relay.cpuMs };
  const deferred = deferAcks(source, client);
  return { source: deferred.source, stop: async () => void (await deferred.flush(), await relay.stop()), cpuMs: relay.cpuMs };
}

const folderTarget = (folder: ImportFolder): EmrTarget => ({
  findPatients: () => Promise.resolve([{ id: 'p1', identifiers: [{ system: IHI, value: '8003608166690503' }], family: 'Citizen', given: ['Jane'], birthDate: '1980-01-01', sex: 'female' }]),
  file: (letter, _patient, messageId) => Promise.resolve(void folder.file(messageId, letter.content)),
  fileBatch: async (letters) => void (await folder.fileMany(letters.map((l) => ({ messageId: l.messageId, bytes: l.letter.content })))),
});

/**
 * Experiment (`--cache-spki`), not a fix: memoises `crypto.subtle.importKey('spki', …)` for
 * this process, to measure what a key cache in sdk/crypto would save. Every open and every sealed
 * receipt imports the same certificates' public keys again (OpenSSL 3 decodes each in ~0.1–0.2 ms
 * on the main thread); only the ephemeral ECDH keys are new each time.
 */
function cacheSpkiImports(): void {
  const subtle = globalThis.crypto.subtle;
  const original = subtle.importKey.bind(subtle);
  const cache = new Map<string, Promise<CryptoKey>>();
  const hex = (d: ArrayBuffer | ArrayBufferView): string => Buffer.from(ArrayBuffer.isView(d) ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(d)).toString('hex');
  (subtle as { importKey: unknown }).importKey = (format: string, data: ArrayBuffer | ArrayBufferView, algorithm: unknown, extractable: boolean, usages: string[]) => {
    if (format !== 'spki') return (original as (...a: unknown[]) => Promise<CryptoKey>)(format, data, algorithm, extractable, usages);
    const key = `${hex(data)}|${JSON.stringify(algorithm)}|${extractable}|${usages.join(',')}`;
    let hit = cache.get(key);
    if (!hit) cache.set(key, (hit = original('spki', data as BufferSource, algorithm as EcKeyImportParams, extractable, usages as KeyUsage[])));
    return hit;
  };
}

export async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: { json: { type: 'boolean' }, letters: { type: 'string' }, cases: { type: 'string' }, batch: { type: 'string' }, 'fhir-letters': { type: 'string' }, 'cache-spki': { type: 'boolean' }, workers: { type: 'string' }, concurrency: { type: 'string' }, 'deferred-acks': { type: 'boolean' }, 'no-receipts': { type: 'boolean' }, webcrypto: { type: 'boolean' }, help: { type: 'boolean' } } });
  if (values.help) {
    process.stdout.write('usage: npm run bench -- import [--json] [--letters N (default 1000)] [--cases folder,fhir,memory-folder] [--fhir-letters N (default 100)] [--batch B (default 50)] [--workers W (crypto threads, default min(4, cores); 0: main thread)] [--concurrency C (default 16)] [--deferred-acks] [--cache-spki] [--no-receipts] [--webcrypto (this thread without the Node crypto runtime the agent installs)]\n');
    return 0;
  }
  // As `sealpost agent` does (adapters/agent/start-agent.ts); the crypto workers install it themselves.
  if (!values.webcrypto) installNodeCrypto();
  if (values['cache-spki']) cacheSpkiImports();
  const n = Number(values.letters ?? 1000);
  // The reference FHIR server answers a conditional create in ~100–250 ms (see bench/README.md), so its case runs fewer letters.
  const fhirLetters = Number(values['fhir-letters'] ?? 100);
  const batchSize = Number(values.batch ?? 50);
  const tuning: Tuning = { batchSize, workers: Number(values.workers ?? Math.min(4, availableParallelism())), concurrency: Number(values.concurrency ?? 16) };
  const cases = (values.cases ?? 'folder,fhir,memory-folder').split(',');
  const log = (s: string): void => void (values.json ? process.stderr : process.stdout).write(s);
  const ca = await createDevCa();
  const make = async (name: string, address: string) => ({ address, identity: (await generateIdentity({ name, address, issuer: ca.identity })).identity });
  const parties: Parties = { lab: await make('ACME Pathology', 'results@acme-path.example'), gp: await make('Harbourside GP', 'inbox@harbourside-gp.example'), trust: new TrustStore().addAnchor(ca.identity.certificate), ca: ca.identity.certificate };
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-bench-import-'));
  const rows: Row[] = [];
  const files = (d: string): number => readdirSync(d).filter((f) => !f.startsWith('.')).length;
  try {
    for (const name of cases) {
      const count = name === 'fhir' ? fhirLetters : n;
      const letters = await sealAll(parties, count, name, !values['no-receipts']);
      if (name === 'folder' || name === 'memory-folder') {
        const folderDir = join(dir, `${name}-import`);
        const folder = new ImportFolder({ dir: folderDir });
        if (name === 'folder') {
          const relay = await relaySource(parties, dir, letters, values['deferred-acks']);
          try {
            rows.push(await drain(values['deferred-acks'] ? 'relay inbox → file-drop folder, acknowledgements deferred' : 'relay inbox → file-drop folder', count, parties, dir, relay.source, folderTarget(folder), tuning, () => files(folderDir), relay.cpuMs));
          } finally {
            await relay.stop();
          }
        } else {
          const inbox = new Map(letters.map((l) => [l.messageId, l.envelope]));
          const source: InboxSource = {
            fetch: (limit, options) => Promise.resolve([...inbox].filter(([id]) => !options?.skip?.has(id)).slice(0, limit).map(([id, envelope]) => ({ id, envelope }))),
            remove: (id) => Promise.resolve(void inbox.delete(id)),
          };
          rows.push(await drain('in-memory inbox → file-drop folder', count, parties, dir, source, folderTarget(folder), tuning, () => files(folderDir)));
        }
      } else if (name === 'fhir') {
        // bench/run.ts gave this process --experimental-websocket (Node 20); the FHIR server's process needs it too.
        if (process.execArgv.includes('--experimental-websocket') && !(process.env.NODE_OPTIONS ?? '').includes('--experimental-websocket')) process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --experimental-websocket`.trim();
        const server = await spawnFhirServer();
        const relay = await relaySource(parties, dir, letters);
        try {
          await server.create({ resourceType: 'Patient', identifier: [{ system: IHI, value: '8003608166690503' }], name: [{ family: 'Citizen', given: ['Jane'] }], birthDate: '1980-01-01', gender: 'female' });
          const emr = new FhirEmr({ baseUrl: server.baseUrl });
          const documents = async (): Promise<number> => (await server.get<{ total?: number }>(`DocumentReference?_total=accurate&_count=1`)).total ?? -1;
          rows.push(await drain('relay inbox → FHIR EMR (Medplum FhirRouter)', count, parties, dir, relay.source, emr, tuning, documents, relay.cpuMs));
        } finally {
          await relay.stop();
          await server.close();
        }
      } else throw new Error(`unknown case ${name}`);
      const r = rows.at(-1)!;
      log(`${r.target}: ${count} × 4 KB ORU in ${r.seconds} s = ${r.perSecond} letters/s, ${r.cpuMsPerLetter} ms CPU per letter${r.relayCpuMsPerLetter !== undefined ? ` (relay process: ${r.relayCpuMsPerLetter} ms)` : ''} (waits, ms: fetch ${r.waitMs.fetch}, remove ${r.waitMs.remove}, findPatients ${r.waitMs.findPatients}, file ${r.waitMs.file}; one filing call: ${r.fileCallMs.first} ms in the first tenth, ${r.fileCallMs.last} ms in the last)\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (values.json) process.stdout.write(JSON.stringify({ bench: 'import', node: process.version, ...tuning, rows }, null, 2) + '\n');
  return 0;
}
