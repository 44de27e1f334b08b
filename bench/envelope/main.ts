/**
 * `npm run bench -- envelope [--json] [--runs N] [--sizes 1KB,1MB,10MB,50MB] [--stages] [--runtime R]`: seal and
 * open with Sealpost, with the `openssl cms` CLI (sign + encrypt, decrypt + verify: two CLI steps
 * each, files in a temporary directory) and with the raw WebCrypto floor, interleaved in one
 * process. `--runtime webcrypto|node|both` picks the SDK's crypto runtime (D-CRYPTO-4): the
 * platform's WebCrypto (the default for sizes) or the Node runtime the relay and agent install;
 * `--letters` runs both side by side unless told. Method and figures: bench/envelope/README.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { allocatePayload, createDevCa, generateIdentity, MemorySeenStore, openEnvelope, sealEnvelope, toPem, TrustStore } from '@sealpost/sdk/crypto';
import { installNodeCrypto } from '@sealpost/sdk/node/crypto';
import { floorFor } from './floor.js';
import { letters } from './letters.js';
import type { LetterRuntime } from './letters.js';
import { median, stages } from './stages.js';

const KB = 1024;
const MB = 1024 * KB;
type Impl = 'sealpost' | 'openssl' | 'webcrypto';
/** Seal also runs Sealpost on a payload from allocatePayload (sealed in place, no copy), as a fourth implementation. */
type SealImpl = Impl | 'inPlace';

/** A timed job; `prepare` runs before it, outside the timing (refilling an in-place slot the previous sample used up). */
interface Job {
  prepare?: () => void;
  run: () => Promise<unknown> | unknown;
}
type Op = 'seal' | 'open';

/** A full collection before each sample, so one sample's 50 MB garbage is not collected in the next. */
const gc: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

function payloadOf(size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  for (let offset = 0; offset < size; offset += 65536) crypto.getRandomValues(out.subarray(offset, Math.min(size, offset + 65536)));
  return out;
}

/** `1KB`, `50MB`, or a bare number of MB (the older form). */
function parseSize(text: string): { label: string; bytes: number } {
  const match = /^(\d+)(KB|MB)?$/i.exec(text.trim());
  if (!match) throw new RangeError(`--sizes: '${text}' is not like 1KB or 50MB`);
  const unit = (match[2] ?? 'MB').toUpperCase();
  return { label: `${match[1]}${unit}`, bytes: Number(match[1]) * (unit === 'KB' ? KB : MB) };
}

interface Samples<K extends string = Impl> {
  wall: Record<K, number[]>;
  /** Process CPU time (main thread + WebCrypto's worker threads); not measured for the openssl child processes. */
  cpu: Record<K, number[]>;
}

/**
 * Runs the implementations interleaved: each round runs every one once, starting with a different
 * one each round, so load from other processes and the order itself hit all of them alike. The
 * first `warmup` rounds are not recorded.
 */
async function interleaved<K extends string>(runs: number, warmup: number, fns: Record<K, Job>): Promise<Samples<K>> {
  const impls = Object.keys(fns) as K[];
  const samples = { wall: Object.fromEntries(impls.map((k) => [k, []])), cpu: Object.fromEntries(impls.map((k) => [k, []])) } as unknown as Samples<K>;
  for (let round = 0; round < warmup + runs; round++) {
    for (let i = 0; i < impls.length; i++) {
      const impl = impls[(round + i) % impls.length] as K;
      fns[impl].prepare?.();
      gc();
      const cpu = process.cpuUsage();
      const start = performance.now();
      await fns[impl].run();
      const wall = performance.now() - start;
      const used = process.cpuUsage(cpu);
      if (round < warmup) continue;
      samples.wall[impl].push(wall);
      samples.cpu[impl].push((used.user + used.system) / 1000);
    }
  }
  return samples;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1024 * MB });
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface CaseFigures {
  /** Median wall time, ms. */
  ms: Record<Impl, number>;
  /** Median over rounds of (Sealpost time / floor time) in the same round. */
  pairedRatio: number;
  /** Median CPU time, ms (Sealpost and the floor only). */
  cpuMs: { sealpost: number; webcrypto: number };
}

/** The in-place seal against the floor: median wall, paired ratio, CPU. */
interface InPlaceFigures {
  ms: number;
  pairedRatio: number;
  cpuMs: number;
}

function summariseInPlace(samples: Samples<SealImpl>): InPlaceFigures {
  const ratios = samples.wall.inPlace.map((value, i) => value / (samples.wall.webcrypto[i] as number));
  return { ms: median(samples.wall.inPlace), pairedRatio: median(ratios), cpuMs: median(samples.cpu.inPlace) };
}

function summarise(samples: Samples): CaseFigures {
  const ms = { sealpost: median(samples.wall.sealpost), openssl: median(samples.wall.openssl), webcrypto: median(samples.wall.webcrypto) };
  const ratios = samples.wall.sealpost.map((value, i) => value / (samples.wall.webcrypto[i] as number));
  return { ms, pairedRatio: median(ratios), cpuMs: { sealpost: median(samples.cpu.sealpost), webcrypto: median(samples.cpu.webcrypto) } };
}

const webcryptoRuntime: LetterRuntime = { name: 'webcrypto', use: () => () => undefined };
const nodeRuntime: LetterRuntime = { name: 'node', use: () => installNodeCrypto() };
const RUNTIMES: Record<string, LetterRuntime[]> = { webcrypto: [webcryptoRuntime], node: [nodeRuntime], both: [webcryptoRuntime, nodeRuntime] };

export async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: { json: { type: 'boolean' }, runs: { type: 'string' }, warmup: { type: 'string' }, sizes: { type: 'string' }, stages: { type: 'boolean' }, letters: { type: 'string' }, runtime: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    process.stdout.write('usage: npm run bench -- envelope [--json] [--runs N (default 9)] [--warmup N (default 2)] [--sizes 1KB,1MB,10MB,50MB] [--stages] [--letters N (per-letter open and receipts; size default 4KB, rounds --runs)] [--runtime webcrypto|node|both (default webcrypto; both with --letters)]\n');
    return 0;
  }
  const runs = values.runs ? Number(values.runs) : 9;
  const warmup = values.warmup ? Number(values.warmup) : 2;
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(warmup) || warmup < 0) {
    process.stderr.write('--runs must be a positive integer and --warmup a non-negative one\n');
    return 2;
  }
  const letterCount = values.letters === undefined ? undefined : Number(values.letters);
  if (letterCount !== undefined && (!Number.isInteger(letterCount) || letterCount < 1)) {
    process.stderr.write('--letters must be a positive integer\n');
    return 2;
  }
  const runtimeName = values.runtime ?? (letterCount === undefined ? 'webcrypto' : 'both');
  const runtimes = RUNTIMES[runtimeName];
  if (!runtimes || (runtimes.length > 1 && letterCount === undefined)) {
    process.stderr.write(`--runtime must be webcrypto or node${letterCount === undefined ? '' : ' or both'}\n`);
    return 2;
  }
  let sizes: { label: string; bytes: number }[];
  try {
    sizes = (values.sizes ?? (letterCount === undefined ? '1KB,1MB,10MB,50MB' : '4KB')).split(',').map(parseSize);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const log = (text: string) => void (values.json ? process.stderr : process.stdout).write(text);

  const ca = await createDevCa();
  const jane = await generateIdentity({ name: 'Bench Sender', address: 'sender@bench.example', issuer: ca.identity });
  const carol = await generateIdentity({ name: 'Bench Recipient', address: 'recipient@bench.example', issuer: ca.identity });
  const trust = new TrustStore().addAnchor(ca.identity.certificate);
  if (letterCount !== undefined) {
    const size = sizes[0] as { label: string; bytes: number };
    log(await letters(size.label, size.bytes, letterCount, runs, gc, jane.identity, carol.identity, trust, runtimes));
    return 0;
  }
  // Sizes and stages run under one runtime, installed for the rest of the run.
  (runtimes[0] as LetterRuntime).use();
  if (values.stages) {
    for (const size of sizes) log(await stages(size.label, size.bytes, runs, gc, jane.identity, carol.identity, trust));
    return 0;
  }
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-bench-'));
  const file = (name: string) => join(dir, name);
  writeFileSync(file('ca.pem'), toPem(ca.identity.certificate, 'CERTIFICATE'));
  writeFileSync(file('sender.pem'), toPem(jane.identity.certificate, 'CERTIFICATE'));
  writeFileSync(file('sender.key'), toPem(await jane.exportEncryptedKey('bench', { iterations: 1000 }), 'ENCRYPTED PRIVATE KEY'));
  writeFileSync(file('recip.pem'), toPem(carol.identity.certificate, 'CERTIFICATE'));
  writeFileSync(file('recip.key'), toPem(await carol.exportEncryptedKey('bench', { iterations: 1000 }), 'ENCRYPTED PRIVATE KEY'));
  // The floor uses the same keys as Sealpost and, like Sealpost, wraps the key for the recipient and the sender.
  const floor = floorFor(jane.identity, [carol.identity.certificate, jane.identity.certificate], carol.identity);

  const cases: Record<string, Record<Op, CaseFigures>> = {};
  const inPlace: Record<string, InPlaceFigures> = {};
  try {
    for (const size of sizes) {
      const payload = payloadOf(size.bytes);
      writeFileSync(file('plain.bin'), payload);
      const sealOptions = { sender: jane.identity, recipients: [carol.identity.certificate] };
      const openOptions = () => ({ identity: carol.identity, trust, seenStore: new MemorySeenStore() });

      // Correctness first: each implementation's output opens to the same payload.
      const { envelope } = await sealEnvelope(payload, sealOptions);
      if (!same((await openEnvelope(envelope, openOptions())).payload, payload)) throw new Error('sealpost round trip failed');
      const opensslSeal = () => {
        openssl(['cms', '-sign', '-binary', '-nodetach', '-md', 'sha256', '-in', file('plain.bin'), '-signer', file('sender.pem'), '-inkey', file('sender.key'), '-passin', 'pass:bench', '-outform', 'DER', '-out', file('signed.der')]);
        openssl(['cms', '-encrypt', '-aes-256-gcm', '-binary', '-in', file('signed.der'), '-recip', file('recip.pem'), '-keyopt', 'ecdh_kdf_md:sha256', '-outform', 'DER', '-out', file('sealed.p7m')]);
      };
      const opensslOpen = () => {
        openssl(['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', file('sealed.p7m'), '-recip', file('recip.pem'), '-inkey', file('recip.key'), '-passin', 'pass:bench', '-out', file('inner.der')]);
        openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', file('inner.der'), '-CAfile', file('ca.pem'), '-out', file('out.bin')]);
      };
      opensslSeal();
      opensslOpen();
      if (!same(new Uint8Array(readFileSync(file('out.bin'))), payload)) throw new Error('openssl round trip failed');
      const sealed = await floor.seal(payload);
      if (!same(new Uint8Array(await floor.open(sealed)), payload)) throw new Error('webcrypto floor round trip failed');
      // In place: the caller produces the letter into a slot from allocatePayload (a file read
      // straight into it, say) — here a copy of the payload, made before the timing like the
      // floor's and Sealpost's own payload — and sealing uses the slot up.
      let slot = allocatePayload(payload.length);
      const refill = () => {
        slot = allocatePayload(payload.length);
        slot.set(payload);
      };
      refill();
      const inPlaceEnvelope = (await sealEnvelope(slot, sealOptions)).envelope;
      if (inPlaceEnvelope.buffer !== slot.buffer || !same((await openEnvelope(inPlaceEnvelope, openOptions())).payload, payload)) throw new Error('sealpost in-place round trip failed');

      log(`${size.label}: `);
      const seal = await interleaved<SealImpl>(runs, warmup, {
        sealpost: { run: () => sealEnvelope(payload, sealOptions) },
        openssl: { run: opensslSeal },
        webcrypto: { run: () => floor.seal(payload) },
        inPlace: { prepare: refill, run: () => sealEnvelope(slot, sealOptions) },
      });
      log('seal ');
      const open = await interleaved<Impl>(runs, warmup, { sealpost: { run: () => openEnvelope(envelope, openOptions()) }, openssl: { run: opensslOpen }, webcrypto: { run: () => floor.open(sealed) } });
      cases[size.label] = { seal: summarise(seal), open: summarise(open) };
      inPlace[size.label] = summariseInPlace(seal);
      log('open\n');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  if (values.json) {
    // `cases` is the shape issue 4 asks for; the rest adds the paired ratios and CPU times.
    const out = {
      bench: 'envelope',
      unit: 'ms',
      node: process.version,
      runtime: runtimeName,
      runs,
      cases: Object.fromEntries(Object.entries(cases).map(([size, ops]) => [size, { seal: ops.seal.ms, open: ops.open.ms }])),
      pairedRatio: Object.fromEntries(Object.entries(cases).map(([size, ops]) => [size, { seal: ops.seal.pairedRatio, open: ops.open.pairedRatio }])),
      cpu: Object.fromEntries(Object.entries(cases).map(([size, ops]) => [size, { seal: ops.seal.cpuMs, open: ops.open.cpuMs }])),
      // Sealpost sealing a payload from allocatePayload in place: wall ms, paired ratio and CPU ms against the floor.
      sealInPlace: inPlace,
    };
    process.stdout.write(JSON.stringify(out) + '\n');
    return 0;
  }
  const lines = [
    `envelope bench: median of ${runs} interleaved rounds after ${warmup} warm-up, wall ms (node ${process.version}, ${process.platform}/${process.arch}, Sealpost on the ${runtimeName} runtime)`,
    '',
    'size   op    sealpost   openssl  webcrypto  /openssl  /webcrypto  paired   cpu: sealpost  webcrypto  ratio',
  ];
  for (const [size, ops] of Object.entries(cases)) {
    for (const op of ['seal', 'open'] as const) {
      const { ms, pairedRatio, cpuMs } = ops[op];
      lines.push(
        `${size.padEnd(6)} ${op.padEnd(5)} ${ms.sealpost.toFixed(1).padStart(8)} ${ms.openssl.toFixed(1).padStart(9)} ${ms.webcrypto.toFixed(1).padStart(10)} ${(ms.sealpost / ms.openssl).toFixed(2).padStart(9)} ${(ms.sealpost / ms.webcrypto).toFixed(2).padStart(11)} ${pairedRatio.toFixed(2).padStart(7)} ${cpuMs.sealpost.toFixed(1).padStart(14)} ${cpuMs.webcrypto.toFixed(1).padStart(10)} ${(cpuMs.sealpost / cpuMs.webcrypto).toFixed(2).padStart(6)}`,
      );
    }
  }
  for (const [size, figures] of Object.entries(inPlace)) {
    const floorMs = cases[size]?.seal.ms.webcrypto ?? NaN;
    const floorCpu = cases[size]?.seal.cpuMs.webcrypto ?? NaN;
    lines.push(
      `${size.padEnd(6)} ${'seal*'.padEnd(5)} ${figures.ms.toFixed(1).padStart(8)} ${''.padStart(9)} ${floorMs.toFixed(1).padStart(10)} ${''.padStart(9)} ${(figures.ms / floorMs).toFixed(2).padStart(11)} ${figures.pairedRatio.toFixed(2).padStart(7)} ${figures.cpuMs.toFixed(1).padStart(14)} ${floorCpu.toFixed(1).padStart(10)} ${(figures.cpuMs / floorCpu).toFixed(2).padStart(6)}`,
    );
  }
  lines.push('', 'seal*: Sealpost sealing a payload from allocatePayload in place (no copy of the payload), in the same rounds as seal.');
  lines.push('/openssl, /webcrypto: ratio of the medians; paired: median of the per-round ratios to the floor; cpu: process CPU time incl. WebCrypto threads.');
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
