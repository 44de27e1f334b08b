/**
 * Before/after of an SDK change in one process: two copies of sdk/ (for example `git archive
 * COMMIT sdk | tar -x -C /tmp/before`) are imported side by side and run interleaved on the same
 * keys, rotating which goes first each round, with a GC before every sample, so the load of the
 * moment hits both alike. Not part of `npm run bench`; used for the before/after tables in
 * bench/envelope/README.md:
 *
 *   node --expose-gc --import tsx bench/envelope/compare-trees.ts BEFORE/sdk AFTER/sdk [--letters N] [--size 50MB] [--rounds N] [--runtime node]
 *
 * `--letters N` (default 200): per-letter CPU of opening N 4 KB letters from one sender and of
 * two receipts per letter. `--size S` (e.g. 50MB): CPU and wall of one seal and one open of S.
 * `--runtime node` installs AFTER's Node crypto runtime (D-CRYPTO-4) for both trees: the runtime
 * lives in a global slot, so a tree that reaches WebCrypto through the accessor uses it too.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { median } from './stages.js';
import type * as SdkCrypto from '@sealpost/sdk/crypto';

type Sdk = typeof SdkCrypto;
interface Sample {
  cpu: number;
  wall: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

async function sample(run: () => Promise<unknown>): Promise<Sample> {
  gc?.();
  const cpu = process.cpuUsage();
  const start = performance.now();
  await run();
  const used = process.cpuUsage(cpu);
  return { cpu: (used.user + used.system) / 1000, wall: performance.now() - start };
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { letters: { type: 'string' }, size: { type: 'string' }, rounds: { type: 'string' }, runtime: { type: 'string' } } });
if (positionals.length !== 2) throw new Error('usage: compare-trees.ts BEFORE/sdk AFTER/sdk [--letters N] [--size 50MB] [--rounds N]');
if (values.runtime === 'node') {
  const runtime = (await import(pathToFileURL(resolve(positionals[1] as string, 'node/crypto/index.ts')).href)) as { installNodeCrypto: () => unknown };
  runtime.installNodeCrypto();
} else if (values.runtime !== undefined && values.runtime !== 'webcrypto') throw new Error('--runtime: node or webcrypto');
const trees = await Promise.all(positionals.map(async (dir) => (await import(pathToFileURL(resolve(dir, 'crypto/index.ts')).href)) as Sdk));
const names = ['before', 'after'];
const rounds = Number(values.rounds ?? 9);
const [first] = trees as [Sdk, Sdk];
const ca = await first.createDevCa();
const sender = (await first.generateIdentity({ name: 'Bench Sender', address: 'sender@bench.example', issuer: ca.identity })).identity;
const recipient = (await first.generateIdentity({ name: 'Bench Recipient', address: 'recipient@bench.example', issuer: ca.identity })).identity;
const trusts = trees.map((sdk) => new sdk.TrustStore().addAnchor(ca.identity.certificate));

type Job = (sdk: Sdk, trust: InstanceType<Sdk['TrustStore']>) => Promise<Record<string, Sample>>;
let job: Job;
if (values.size) {
  const match = /^(\d+)MB$/i.exec(values.size);
  if (!match) throw new Error('--size: like 50MB');
  const payload = new Uint8Array(Number(match[1]) * 1024 * 1024);
  for (let offset = 0; offset < payload.length; offset += 65536) crypto.getRandomValues(payload.subarray(offset, offset + 65536));
  job = async (sdk, trust) => {
    let envelope: Uint8Array = new Uint8Array();
    const seal = await sample(async () => void ({ envelope } = await sdk.sealEnvelope(payload, { sender, recipients: [recipient.certificate] })));
    const open = await sample(() => sdk.openEnvelope(envelope, { identity: recipient, trust, seenStore: new sdk.MemorySeenStore() }));
    return { seal, open };
  };
} else {
  const count = Number(values.letters ?? 200);
  const payload = crypto.getRandomValues(new Uint8Array(4096));
  job = async (sdk, trust) => {
    const envelopes: Uint8Array[] = [];
    for (let i = 0; i < count; i++) envelopes.push((await sdk.sealEnvelope(payload, { sender, recipients: [recipient.certificate], receipt: true })).envelope);
    const seenStore = new sdk.MemorySeenStore();
    const opened: Awaited<ReturnType<Sdk['openEnvelope']>>[] = [];
    const open = await sample(async () => {
      for (const envelope of envelopes) opened.push(await sdk.openEnvelope(envelope, { identity: recipient, trust, seenStore }));
    });
    const receipt = await sample(async () => {
      for (const result of opened) {
        await sdk.createReceipt(result, { identity: recipient, status: 'delivered' });
        await sdk.createReceipt(result, { identity: recipient, status: 'imported' });
      }
    });
    // Per letter, and per receipt, in µs.
    return { 'open µs/letter': { cpu: (open.cpu * 1000) / count, wall: (open.wall * 1000) / count }, 'receipt µs/receipt': { cpu: (receipt.cpu * 1000) / (2 * count), wall: (receipt.wall * 1000) / (2 * count) } };
  };
}

const results: Record<string, Sample[]>[] = trees.map(() => ({}));
for (let round = 0; round < rounds + 2; round++) {
  for (let i = 0; i < trees.length; i++) {
    const index = (round + i) % trees.length;
    const out = await job(trees[index] as Sdk, trusts[index] as InstanceType<Sdk['TrustStore']>);
    if (round < 2) continue; // warm-up
    for (const [step, s] of Object.entries(out)) ((results[index] as Record<string, Sample[]>)[step] ??= []).push(s);
  }
}
process.stdout.write(`node ${process.version}, ${values.runtime ?? 'webcrypto'} runtime, load ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}, ${rounds} rounds after 2 warm-up, medians (min–max)\n`);
const range = (xs: number[]) => `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
for (const step of Object.keys(results[0] ?? {})) {
  for (const [index, name] of names.entries()) {
    const samples = (results[index] as Record<string, Sample[]>)[step] ?? [];
    process.stdout.write(`${step.padEnd(20)} ${name.padEnd(7)} CPU ${range(samples.map((s) => s.cpu)).padEnd(24)} wall ${range(samples.map((s) => s.wall))}\n`);
  }
}
