/**
 * `--letters N`: the per-letter crypto of an import pipeline, many small letters from the same
 * sender. Each letter (4 KB by default, `--sizes` takes the first size) is opened by the recipient
 * and answered with two receipts (delivered, imported) sealed back to the sender, as the agent
 * does. Prints CPU and wall time per letter for each step, in rounds of N letters, so that work
 * repeated per letter (key imports, chain checks of the same certificates) shows up here.
 * With more than one crypto runtime (`--runtime both`: the platform's WebCrypto and the Node
 * runtime of D-CRYPTO-4), each round runs every runtime once, in turn, starting with a different
 * one each round, so load from other processes hits them alike.
 */
import { createReceipt, MemorySeenStore, openEnvelope, sealEnvelope } from '@sealpost/sdk/crypto';
import type { Identity, OpenResult, TrustStore } from '@sealpost/sdk/crypto';
import { median } from './stages.js';

interface Step {
  cpuUs: number;
  wallUs: number;
}

/** A crypto runtime to measure: `use` installs it and returns what puts the previous one back. */
export interface LetterRuntime {
  name: string;
  use: () => () => void;
}

async function timed(count: number, run: (index: number) => Promise<unknown>): Promise<Step> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < count; i++) await run(i);
  const used = process.cpuUsage(cpu);
  return { cpuUs: (used.user + used.system) / count, wallUs: ((performance.now() - start) * 1000) / count };
}

export async function letters(label: string, bytes: number, count: number, rounds: number, gc: () => void, sender: Identity, recipient: Identity, trust: TrustStore, runtimes: LetterRuntime[]): Promise<string> {
  const payload = crypto.getRandomValues(new Uint8Array(bytes));
  const steps = new Map(runtimes.map((runtime) => [runtime.name, { open: [] as Step[], receipt: [] as Step[] }]));
  // Round 0 warms up (JIT, and any cache on the first letter) and is not recorded.
  for (let round = 0; round <= rounds; round++) {
    for (let turn = 0; turn < runtimes.length; turn++) {
      const runtime = runtimes[(round + turn) % runtimes.length] as LetterRuntime;
      const restore = runtime.use();
      try {
        const envelopes: Uint8Array[] = [];
        for (let i = 0; i < count; i++) envelopes.push((await sealEnvelope(payload, { sender, recipients: [recipient.certificate], receipt: true })).envelope);
        const seenStore = new MemorySeenStore();
        const opened: OpenResult[] = [];
        gc();
        const open = await timed(count, async (i) => opened.push(await openEnvelope(envelopes[i] as Uint8Array, { identity: recipient, trust, seenStore })));
        gc();
        // Two receipts per letter; the figure is per receipt.
        const receipt = await timed(count * 2, (i) => createReceipt(opened[i >> 1] as OpenResult, { identity: recipient, status: i % 2 ? 'imported' : 'delivered' }));
        if (round === 0) continue;
        steps.get(runtime.name)?.open.push(open);
        steps.get(runtime.name)?.receipt.push(receipt);
      } finally {
        restore();
      }
    }
  }
  const row = (name: string, samples: Step[]) => {
    const cpu = samples.map((s) => s.cpuUs);
    const wall = samples.map((s) => s.wallUs);
    return `  ${name.padEnd(8)} CPU ${median(cpu).toFixed(0).padStart(6)} µs (${Math.min(...cpu).toFixed(0)}–${Math.max(...cpu).toFixed(0)})   wall ${median(wall).toFixed(0).padStart(6)} µs (${Math.min(...wall).toFixed(0)}–${Math.max(...wall).toFixed(0)})`;
  };
  const lines = [`${label} letters from one sender: ${rounds} rounds of ${count} (after one warm-up round), per letter or receipt, median (min–max) over rounds`];
  for (const runtime of runtimes) {
    const measured = steps.get(runtime.name) as { open: Step[]; receipt: Step[] };
    const perLetter = median(measured.open.map((s, i) => s.cpuUs + 2 * (measured.receipt[i] as Step).cpuUs));
    if (runtimes.length > 1) lines.push(` ${runtime.name}:`);
    lines.push(row('open', measured.open), row('receipt', measured.receipt), `  open + 2 receipts: CPU ${perLetter.toFixed(0)} µs per letter`);
  }
  lines.push('');
  return lines.join('\n');
}
