/**
 * Timing: per case and workload, every library is warmed up, then sampled in rounds that rotate
 * the library order (so no library always runs first after a GC or a JIT tier-up). A sample runs
 * the operation in batches until `sampleMs` of CPU time has passed and yields operations per
 * second of process CPU time (user + system, so GC helper threads count too); the cell's figure is
 * the median of its samples. No forced GC between samples: a forced full GC (`gc()` under
 * --expose-gc) throws away compiled code and feedback, and the next sample then measures the JIT
 * warming up again (measured: Sealpost and @medplum/core lost 2-3x, simple-hl7 nothing). Garbage
 * left by one library is collected during the next one's sample; rotating the order spreads that. CPU time rather than wall time because the bench machine is shared:
 * wall time counts whatever else was scheduled on our core. Everything is time-boxed: a cell stops sampling once it has
 * used `maxCellMs`, keeping at least one sample.
 */

/** Timing options; all durations in milliseconds. */
export interface MeasureOptions {
  readonly warmupMs: number;
  readonly sampleMs: number;
  readonly samples: number;
  readonly maxCellMs: number;
}

/**
 * Default timing: ~1.3 s per library and cell. Many short interleaved samples rather than a few
 * long ones: on a shared machine load comes in bursts, and the median of many samples rides them out.
 */
export const DEFAULT_MEASURE: MeasureOptions = { warmupMs: 400, sampleMs: 80, samples: 11, maxCellMs: 4000 };

/** A quick pass for tests and smoke runs; figures are not meaningful. */
export const QUICK_MEASURE: MeasureOptions = { warmupMs: 10, sampleMs: 10, samples: 2, maxCellMs: 200 };

/** One timed operation; it returns a number so the work cannot be optimised away. */
export type Operation = () => number;

/** Result of one library in one cell. */
export interface CellTiming {
  /** Median operations per second. */
  readonly median: number;
  readonly samples: readonly number[];
  /** Half the spread between the lowest and highest sample, relative to the median. */
  readonly spread: number;
}

let sink = 0;
/** Keeps results observable; printed nowhere, but the engine cannot prove it unused. */
export const sinkValue = (): number => sink;


/** CPU time (user + system) of this process in ms: unlike wall time, it does not count the time other processes on a shared machine take from us. */
const cpuNow = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

/** Runs `operation` `count` times; returns elapsed CPU ms. */
function runBatch(operation: Operation, count: number): number {
  const start = cpuNow();
  let acc = 0;
  for (let i = 0; i < count; i++) acc += operation();
  const elapsed = cpuNow() - start;
  sink = (sink + acc) | 0;
  return elapsed;
}

/** Warms up and finds a batch size that takes a few milliseconds, to keep clock reads (a syscall) negligible. */
function warmUp(operation: Operation, warmupMs: number): number {
  let batch = 1;
  const start = performance.now();
  do {
    const elapsed = runBatch(operation, batch);
    if (elapsed < 2 && batch < 1 << 20) batch *= 2;
  } while (performance.now() - start < warmupMs);
  return batch;
}

/** One sample: operations per CPU second over at least `sampleMs` of CPU time (or 4x that of wall time). */
function sample(operation: Operation, batch: number, sampleMs: number): number {
  let count = 0;
  let elapsed = 0;
  const wallStart = performance.now();
  do {
    elapsed += runBatch(operation, batch);
    count += batch;
  } while (elapsed < sampleMs && performance.now() - wallStart < 4 * sampleMs);
  return (count * 1000) / Math.max(elapsed, 0.001);
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** Measures several operations side by side; keys of the result are those of `operations`. */
export function measureSideBySide(operations: ReadonlyMap<string, Operation>, options: MeasureOptions): Map<string, CellTiming> {
  const names = [...operations.keys()];
  const batches = new Map<string, number>();
  const used = new Map<string, number>();
  const samples = new Map<string, number[]>(names.map((name) => [name, []]));
  for (const name of names) {
    const start = performance.now();
    batches.set(name, warmUp(operations.get(name)!, options.warmupMs));
    used.set(name, performance.now() - start);
  }
  for (let round = 0; round < options.samples; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length]!;
      const list = samples.get(name)!;
      if (list.length > 0 && used.get(name)! >= options.maxCellMs) continue;
      const start = performance.now();
      list.push(sample(operations.get(name)!, batches.get(name)!, options.sampleMs));
      used.set(name, used.get(name)! + performance.now() - start);
    }
  }
  const out = new Map<string, CellTiming>();
  for (const name of names) {
    const list = samples.get(name)!;
    const mid = median(list);
    out.set(name, { median: mid, samples: list, spread: (Math.max(...list) - Math.min(...list)) / 2 / mid });
  }
  return out;
}
