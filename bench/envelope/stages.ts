/**
 * `--stages`: where the time of one seal and one open goes, for Sealpost and the floor. Every
 * `crypto.subtle` method is wrapped for the run to record, per call, the synchronous part (the
 * call itself: WebCrypto copies its input there) and the time until the promise settles (the work
 * on WebCrypto's threads). What is left of the total, outside any WebCrypto call, is our own
 * JavaScript: copies of the payload, DER, parsing, certificate checks.
 */
import { MemorySeenStore, openEnvelope, sealEnvelope } from '@sealpost/sdk/crypto';
import type { Identity, TrustStore } from '@sealpost/sdk/crypto';
import { floorFor } from './floor.js';

type Method = 'digest' | 'encrypt' | 'decrypt' | 'sign' | 'verify' | 'other';
interface Call {
  method: Method;
  bytes: number;
  start: number;
  returned: number;
  settled: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const WRAPPED = ['digest', 'encrypt', 'decrypt', 'sign', 'verify', 'generateKey', 'deriveBits', 'deriveKey', 'importKey', 'exportKey', 'wrapKey', 'unwrapKey'] as const;

function record(calls: Call[]): () => void {
  const subtle = crypto.subtle as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const originals = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  for (const name of WRAPPED) {
    const original = subtle[name] as (...args: unknown[]) => Promise<unknown>;
    originals.set(name, original);
    subtle[name] = function (this: unknown, ...args: unknown[]) {
      const data = { digest: args[1], encrypt: args[2], decrypt: args[2], sign: args[2], verify: args[3] }[name as string] as ArrayBufferView | undefined;
      const method: Method = name === 'digest' || name === 'encrypt' || name === 'decrypt' || name === 'sign' || name === 'verify' ? name : 'other';
      const call: Call = { method, bytes: data?.byteLength ?? 0, start: performance.now(), returned: 0, settled: 0 };
      const promise = original.apply(crypto.subtle, args);
      call.returned = performance.now();
      calls.push(call);
      return promise.finally(() => void (call.settled = performance.now()));
    };
  }
  return () => {
    for (const [name, original] of originals) subtle[name] = original;
  };
}

/** Length of the union of [start, settled] intervals. */
function covered(calls: Call[]): number {
  const sorted = [...calls].sort((a, b) => a.start - b.start);
  let total = 0;
  let from = -Infinity;
  let to = -Infinity;
  for (const call of sorted) {
    if (call.start > to) {
      if (to > from) total += to - from;
      from = call.start;
      to = call.settled;
    } else to = Math.max(to, call.settled);
  }
  if (to > from) total += to - from;
  return total;
}

interface Breakdown {
  total: number;
  outside: number;
  rows: Map<string, { sync: number; async: number }>;
}

async function measure(run: () => Promise<unknown>): Promise<Breakdown> {
  const calls: Call[] = [];
  const restore = record(calls);
  const start = performance.now();
  try {
    await run();
  } finally {
    restore();
  }
  const total = performance.now() - start;
  const rows = new Map<string, { sync: number; async: number }>();
  for (const call of calls) {
    const key = call.method === 'other' ? 'key management (ECDH, KDF, wrap, import/export)' : `${call.method} ${call.bytes >= 1 << 20 ? `${(call.bytes / (1 << 20)).toFixed(1)} MiB` : `${call.bytes} B`}`;
    const row = rows.get(key) ?? { sync: 0, async: 0 };
    row.sync += call.returned - call.start;
    row.async += call.settled - call.returned;
    rows.set(key, row);
  }
  return { total, outside: total - covered(calls), rows };
}

function medianBreakdown(samples: Breakdown[]): Breakdown {
  const rows = new Map<string, { sync: number; async: number }>();
  for (const key of new Set(samples.flatMap((s) => [...s.rows.keys()]))) {
    rows.set(key, { sync: median(samples.map((s) => s.rows.get(key)?.sync ?? 0)), async: median(samples.map((s) => s.rows.get(key)?.async ?? 0)) });
  }
  return { total: median(samples.map((s) => s.total)), outside: median(samples.map((s) => s.outside)), rows };
}

export async function stages(label: string, bytes: number, runs: number, gc: () => void, sender: Identity, recipient: Identity, trust: TrustStore): Promise<string> {
  const payload = new Uint8Array(bytes);
  for (let offset = 0; offset < bytes; offset += 65536) crypto.getRandomValues(payload.subarray(offset, Math.min(bytes, offset + 65536)));
  const floor = floorFor(sender, [recipient.certificate, sender.certificate], recipient);
  const { envelope } = await sealEnvelope(payload, { sender, recipients: [recipient.certificate] });
  const floorSealed = await floor.seal(payload);
  const jobs: [string, () => Promise<unknown>][] = [
    ['sealpost seal', () => sealEnvelope(payload, { sender, recipients: [recipient.certificate] })],
    ['floor    seal', () => floor.seal(payload)],
    ['sealpost open', () => openEnvelope(envelope, { identity: recipient, trust, seenStore: new MemorySeenStore() })],
    ['floor    open', () => floor.open(floorSealed)],
  ];
  const samples = new Map<string, Breakdown[]>(jobs.map(([name]) => [name, []]));
  for (let round = 0; round < runs + 1; round++) {
    for (const [name, job] of jobs) {
      gc();
      const breakdown = await measure(job);
      if (round > 0) samples.get(name)?.push(breakdown);
    }
  }
  const lines = [`${label}: median of ${runs} runs, ms (sync = inside the WebCrypto call, before it returns; async = from return to settle)`];
  for (const [name] of jobs) {
    const b = medianBreakdown(samples.get(name) ?? []);
    lines.push(`  ${name}  total ${b.total.toFixed(1)}   outside WebCrypto ${b.outside.toFixed(1)}`);
    for (const [key, row] of b.rows) lines.push(`      ${key.padEnd(50)} sync ${row.sync.toFixed(1).padStart(7)}  async ${row.async.toFixed(1).padStart(7)}`);
  }
  return lines.join('\n') + '\n';
}
