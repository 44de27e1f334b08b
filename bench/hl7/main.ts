/**
 * `npm run bench -- hl7 [--json]`: Sealpost against @medplum/core, hl7-standard and simple-hl7 on
 * the three bench cases and two workloads, in one process. See bench/README.md for the method.
 */
import { arch, cpus, loadavg, platform } from 'node:os';
import { parseArgs } from 'node:util';
import { CASE_NAMES, createCases } from './cases.js';
import type { BenchCase, CaseName } from './cases.js';
import { differences } from './check.js';
import { loadLibraries, LIBRARIES } from './libraries.js';
import type { PeerDecoding } from './libraries.js';
import { DEFAULT_MEASURE, QUICK_MEASURE, measureSideBySide } from './measure.js';
import type { CellTiming, MeasureOptions, Operation } from './measure.js';
import { referenceRead, referenceWalk } from './reference.js';
import { WORKLOADS } from './workload.js';
import type { Hl7Library, Workload } from './workload.js';

/** Figures by case, workload and library: msg/s, or null when the library failed the case. */
export type Figures = Record<string, Record<string, Record<string, number | null>>>;

/** What one run produced. */
export interface Hl7BenchResult {
  readonly figures: Figures;
  readonly timings: Map<string, CellTiming>;
  /** Wrong answers and failures, one line each. */
  readonly problems: string[];
  /** What the peers get wrong on their own: escapes they leave encoded without the bench's decoder. */
  readonly notes: string[];
  readonly libraries: Hl7Library[];
  /** One-minute load average before and after the run: other work on the machine skews figures. */
  readonly load: [number, number];
}

const USAGE = `usage: npm run bench -- hl7 [--json] [--case NAME]… [--workload read|fullwalk] [--library NAME]…
                              [--quick] [--samples N] [--sample-ms N] [--warmup-ms N] [--peer-decoding bench|none]
cases: ${CASE_NAMES.join(', ')}; libraries: ${LIBRARIES.map((entry) => entry.name).join(', ')}`;

const SEALPOST = 'sealpost';

const cellKey = (caseName: string, workload: string, library: string) => `${caseName}\u0000${workload}\u0000${library}`;

/**
 * Each timed call gets a different string object with the same text, as a live feed would: V8
 * caches String.prototype.split results per (string, separator) and a library could cache per
 * input, and parsing one string over and over would measure those caches. Copies are flat
 * strings built from bytes; the 10 MiB case uses fewer to bound memory.
 */
function distinctCopies(text: string): string[] {
  const count = text.length > 1_000_000 ? 3 : 256;
  const bytes = Buffer.from(text, 'utf8');
  return Array.from({ length: count }, () => bytes.toString('utf8'));
}

/** For each peer the bench decodes for, how many read values come out wrong with its own API alone. */
async function nativeDecodingNotes(libraries: readonly Hl7Library[], benchCases: readonly BenchCase[]): Promise<string[]> {
  const peers = libraries.filter((library) => library.decoding === 'bench').map((library) => library.name);
  if (peers.length === 0) return [];
  const { libraries: raw } = await loadLibraries(peers, 'none');
  const notes: string[] = [];
  for (const library of raw) {
    const found = benchCases.flatMap((benchCase) => differences(library.read(benchCase.text), referenceRead(benchCase.text), 50).map((line) => `${benchCase.name} ${line}`));
    if (found.length > 0) notes.push(`${library.name} does not decode escapes: ${found.length} read values wrong without the bench's decoder, e.g. ${found[0]}`);
  }
  return notes;
}

/** Runs the bench; `log` receives progress and problems as they happen. */
export async function runHl7Bench(options: {
  cases?: readonly CaseName[];
  workloads?: readonly Workload[];
  libraries?: readonly string[];
  measure?: MeasureOptions;
  peerDecoding?: PeerDecoding;
  log?: (line: string) => void;
}): Promise<Hl7BenchResult> {
  const log = options.log ?? (() => {});
  const loadBefore = loadavg()[0]!;
  const measure = options.measure ?? DEFAULT_MEASURE;
  const workloads = options.workloads ?? WORKLOADS;
  const { libraries, failures } = await loadLibraries(options.libraries, options.peerDecoding ?? 'bench');
  const problems = [...failures];
  failures.forEach((line) => log(line));
  const figures: Figures = {};
  const timings = new Map<string, CellTiming>();
  const benchCases = createCases(options.cases);
  const notes = (options.peerDecoding ?? 'bench') === 'bench' ? await nativeDecodingNotes(libraries, benchCases) : [];
  for (const benchCase of benchCases) {
    const expected = { read: referenceRead(benchCase.text), fullwalk: referenceWalk(benchCase.text) };
    const inputs = distinctCopies(benchCase.text);
    figures[benchCase.name] = {};
    for (const workload of workloads) {
      const operations = new Map<string, Operation>();
      const row: Record<string, number | null> = {};
      for (const library of libraries) {
        row[library.name] = null;
        // Check the answer once, untimed; a library that throws is left out of the timing.
        try {
          const answer = workload === 'read' ? library.read(benchCase.text) : library.walk(benchCase.text);
          for (const line of differences(answer, expected[workload])) {
            const problem = `${benchCase.name} ${workload}: ${library.name} ${line}`;
            problems.push(problem);
            log(`wrong answer: ${problem}`);
          }
        } catch (error) {
          const problem = `${benchCase.name} ${workload}: ${library.name} threw ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
          problems.push(problem);
          log(problem);
          continue;
        }
        let next = 0;
        const pick = () => inputs[next++ % inputs.length]!;
        operations.set(library.name, workload === 'read' ? () => library.read(pick()).observations.length : () => library.walk(pick()).leaves);
      }
      log(`measuring ${benchCase.name} ${workload} (${[...operations.keys()].join(', ')})`);
      for (const [name, timing] of measureSideBySide(operations, measure)) {
        row[name] = roundRate(timing.median);
        timings.set(cellKey(benchCase.name, workload, name), timing);
      }
      figures[benchCase.name]![workload] = row;
    }
  }
  return { figures, timings, problems, notes, libraries, load: [loadBefore, loadavg()[0]!] };
}

/** Three significant digits, whole numbers from 100 up: the noise is larger than that anyway. */
const roundRate = (value: number): number => (value >= 100 ? Math.round(value) : Number(value.toPrecision(3)));

/** Sealpost's figure over the fastest peer's, with that peer's name; undefined without both. */
export function ratioToBestPeer(row: Record<string, number | null>): { ratio: number; peer: string } | undefined {
  const own = row[SEALPOST];
  let best: { value: number; peer: string } | undefined;
  for (const [name, value] of Object.entries(row)) {
    if (name !== SEALPOST && value !== null && (best === undefined || value > best.value)) best = { value, peer: name };
  }
  if (own === null || own === undefined || best === undefined) return undefined;
  return { ratio: own / best.value, peer: best.peer };
}

/** The goal of issue 2: read at least 1.5x the fastest peer, fullwalk ahead of every peer. */
export const GOAL: Record<Workload, number> = { read: 1.5, fullwalk: 1 };

const formatRate = (value: number | null | undefined): string => {
  if (value === null || value === undefined) return 'n/a';
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
};

/** The human-readable report. */
export function formatTable(result: Hl7BenchResult, measure: MeasureOptions): string {
  const names = result.libraries.map((library) => library.name);
  const header = ['case', 'workload', ...names, 'sealpost / best peer', 'goal'];
  const rows: string[][] = [];
  for (const [caseName, byWorkload] of Object.entries(result.figures)) {
    for (const [workload, row] of Object.entries(byWorkload)) {
      const cells = names.map((name) => {
        const timing = result.timings.get(cellKey(caseName, workload, name));
        return timing === undefined ? formatRate(row[name]) : `${formatRate(timing.median)} ±${Math.round(timing.spread * 100)}%`;
      });
      const ratio = ratioToBestPeer(row);
      const goal = GOAL[workload as Workload];
      const verdict = ratio === undefined ? 'n/a' : `${ratio.ratio >= goal && (goal > 1 || ratio.ratio > 1) ? 'met' : 'MISSED'} (${workload === 'read' ? '≥1.5x' : '>1x'})`;
      rows.push([caseName, workload, ...cells, ratio === undefined ? 'n/a' : `${ratio.ratio.toFixed(2)}x vs ${ratio.peer}`, verdict]);
    }
  }
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const cpu = cpus();
  const out = [
    `hl7 bench, msg/s (median of ${measure.samples} samples of ≥${measure.sampleMs} ms after ${measure.warmupMs} ms warm-up; ± is half the sample range)`,
    `${new Date().toISOString()}  Node ${process.version}  ${platform()} ${arch()}  ${cpu.length} CPUs (${cpu[0]?.model.trim() ?? 'unknown'})  load average ${result.load[0].toFixed(1)} → ${result.load[1].toFixed(1)}`,
    `libraries: ${result.libraries.map((library) => `${library.name} ${library.version}${library.decoding === 'bench' ? ' (escapes decoded by the bench)' : ''}`).join(', ')}`,
    '',
    line(header),
    ...rows.map(line),
    '',
    result.problems.length === 0 ? 'answers: every library matched the reference on every case and workload' : `answers that differ from the reference (${result.problems.length}):`,
    ...result.problems.map((problem) => `  ${problem}`),
    ...(result.notes.length > 0 ? ['', 'peers on their own (the figures above include the bench decoding escapes for them):', ...result.notes.map((note) => `  ${note}`)] : []),
  ];
  return out.join('\n');
}

/** CLI entry: parses argv, runs, prints. Returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        json: { type: 'boolean', default: false },
        case: { type: 'string', multiple: true },
        workload: { type: 'string', multiple: true },
        library: { type: 'string', multiple: true },
        quick: { type: 'boolean', default: false },
        samples: { type: 'string' },
        'sample-ms': { type: 'string' },
        'warmup-ms': { type: 'string' },
        'peer-decoding': { type: 'string', default: 'bench' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return 2;
  }
  const values = parsed.values;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const bad = (message: string) => {
    process.stderr.write(`${message}\n${USAGE}\n`);
    return 2;
  };
  const cases = values.case as CaseName[] | undefined;
  if (cases?.some((name) => !(CASE_NAMES as readonly string[]).includes(name))) return bad(`unknown case in ${cases.join(', ')}`);
  const workloads = values.workload as Workload[] | undefined;
  if (workloads?.some((name) => !(WORKLOADS as readonly string[]).includes(name))) return bad(`unknown workload in ${workloads.join(', ')}`);
  const known = LIBRARIES.map((entry) => entry.name);
  if (values.library?.some((name) => !known.includes(name))) return bad(`unknown library in ${values.library.join(', ')}`);
  if (values['peer-decoding'] !== 'bench' && values['peer-decoding'] !== 'none') return bad('--peer-decoding must be bench or none');
  const number = (text: string | undefined, fallback: number) => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1 || value > 60_000) throw new RangeError(`not a positive integer: ${text}`);
    return value;
  };
  let measure: MeasureOptions;
  try {
    const base = values.quick ? QUICK_MEASURE : DEFAULT_MEASURE;
    measure = {
      ...base,
      samples: number(values.samples, base.samples),
      sampleMs: number(values['sample-ms'], base.sampleMs),
      warmupMs: number(values['warmup-ms'], base.warmupMs),
    };
  } catch (error) {
    return bad((error as Error).message);
  }
  const result = await runHl7Bench({
    cases,
    workloads,
    libraries: values.library,
    measure,
    peerDecoding: values['peer-decoding'],
    log: (line) => process.stderr.write(`${line}\n`),
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ bench: 'hl7', unit: 'msg/s', cases: result.figures })}\n`);
  } else {
    process.stdout.write(`${formatTable(result, measure)}\n`);
  }
  return 0;
}
