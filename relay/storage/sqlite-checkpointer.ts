/**
 * WAL checkpoints for the SQLite store, run by a worker thread with its own connection so that no
 * request waits behind one.
 *
 * Why: with SQLite's automatic checkpoint, the commit that pushes the WAL past 1,000 pages also
 * copies the WAL into the database file and fsyncs it, synchronously, on the relay's event loop:
 * tens to hundreds of milliseconds during which no request is parsed or answered (bench/README.md,
 * relay, "The tail at 500 per second"). The store turns that off (`wal_autocheckpoint = 0`) and
 * this worker runs `wal_checkpoint(PASSIVE)` every `intervalMs` instead. A passive checkpoint
 * never blocks the writer and the writer never waits for it; SQLite restarts the WAL from its
 * beginning at the first commit after a checkpoint has copied all of it.
 *
 * Bounding the WAL: SQLite restarts the WAL only in a transaction that began after a checkpoint
 * copied all of it. Under sustained load the next transaction has nearly always begun before the
 * checkpoint ends, so the WAL grows without end (measured: 25 MB for 2,400 back-to-back 4 KB
 * submissions). When the WAL is larger than `walLimitBytes`, the store holds its group commits
 * (`mayCommit()` turns false; submissions keep queueing, the event loop keeps running), the worker
 * checkpoints until everything is copied, and the store's next commit restarts the WAL;
 * `journal_size_limit` then cuts the file back. A hold lasts one checkpoint of what was written
 * since the last one.
 *
 * If the worker cannot run (it failed to start or died), `onFailure` is called once: the store
 * then turns SQLite's own automatic checkpoint back on, so the WAL stays bounded as before.
 *
 * Durability is SQLite's: a checkpoint moves pages that are already durable in the WAL; the
 * worker's connection uses synchronous=FULL, so the database file is fsynced before the WAL can
 * be restarted over them.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** What one checkpoint reported (PRAGMA wal_checkpoint): frames in the WAL and frames copied. */
export interface CheckpointReport {
  /** Frames in the WAL when the checkpoint ran. */
  log: number;
  /** Frames of it copied into the database file so far. */
  checkpointed: number;
  /** The checkpoint's own duration on the worker thread, ms. */
  ms: number;
}

/** Options for {@link WalCheckpointer}. */
export interface WalCheckpointerOptions {
  /** The database file (not `:memory:`). */
  path: string;
  /** Time between passive checkpoints, ms. */
  intervalMs: number;
  /** WAL size above which commits are held until one checkpoint has copied all of it, bytes. */
  walLimitBytes: number;
  /** Called when a hold ends: the store commits what queued meanwhile. */
  onRelease: () => void;
  /** Called once if the worker cannot checkpoint any more. */
  onFailure: (error: Error) => void;
}

type WorkerMessage = ({ type: 'checkpoint' } & CheckpointReport & { pageSize: number }) | ({ type: 'caught-up' } & CheckpointReport) | { type: 'error'; message: string };

// CommonJS, evaluated (`eval: true`): a separate worker file would have to be found next to this
// module under tsx, vitest and the rollup bundle alike. better-sqlite3 is loaded by the path the
// store's own import resolves to, so Node 20 and Node 22/24 get the same build as the store
// (tools/better-sqlite3-select).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
let db;
let timer;
let stopped = false;
const fail = (error) => {
  stopped = true;
  clearTimeout(timer);
  parentPort.postMessage({ type: 'error', message: String(error && error.message || error) });
};
try {
  db = new Database(workerData.path, { fileMustExist: true });
  // FULL: the database file is fsynced after each checkpoint, before the WAL may be restarted.
  db.pragma('synchronous = FULL');
  db.pragma('wal_autocheckpoint = 0');
  db.pragma('busy_timeout = 1000');
} catch (error) {
  fail(error);
}
const pageSize = stopped ? 0 : db.pragma('page_size', { simple: true });
const checkpoint = () => {
  const started = performance.now();
  const row = db.pragma('wal_checkpoint(PASSIVE)')[0];
  return { log: row.log, checkpointed: row.checkpointed, ms: performance.now() - started };
};
let last = -1;
const tick = () => {
  if (stopped) return;
  try {
    const report = checkpoint();
    // Only changes are news: an idle relay sends nothing.
    if (report.log !== last) parentPort.postMessage({ type: 'checkpoint', pageSize, ...report });
    last = report.log;
  } catch (error) {
    return fail(error);
  }
  timer = setTimeout(tick, workerData.intervalMs);
};
parentPort.on('message', (message) => {
  if (message === 'stop') {
    stopped = true;
    clearTimeout(timer);
    try { if (db) db.close(); } finally { parentPort.close(); }
    return;
  }
  if (message === 'catch-up' && !stopped) {
    // The store holds its commits now; other writers (uploads, acknowledgements, another
    // process) may still append, so try a few times and report what was reached either way.
    try {
      let report;
      for (let i = 0; i < 8; i++) {
        report = checkpoint();
        if (report.checkpointed >= report.log) break;
      }
      parentPort.postMessage({ type: 'caught-up', ...report });
    } catch (error) {
      fail(error);
    }
  }
});
if (!stopped) timer = setTimeout(tick, workerData.intervalMs);
`;

const requireHere = createRequire(import.meta.url);

/** Runs passive WAL checkpoints on a worker thread; see the module comment. */
export class WalCheckpointer {
  #worker: Worker;
  #options: WalCheckpointerOptions;
  #holding = false;
  #holdTimer: NodeJS.Timeout | undefined;
  #failed = false;
  #stopped = false;
  #exited: Promise<void>;
  #last: CheckpointReport | undefined;
  #checkpoints = 0;
  #holds = 0;
  #pageSize = 4096;
  #lastLog = 0;
  /** WAL size (bytes) above which the next report starts a hold. */
  #holdAbove: number;

  constructor(options: WalCheckpointerOptions) {
    this.#options = options;
    this.#holdAbove = options.walLimitBytes;
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module: requireHere.resolve('better-sqlite3'), path: options.path, intervalMs: options.intervalMs },
    });
    // The worker must not keep alive a process that has nothing else to do.
    this.#worker.unref();
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.on('message', (message: WorkerMessage) => this.#receive(message));
    this.#worker.on('error', (error) => this.#fail(error));
    this.#worker.once('exit', (code) => {
      if (!this.#stopped) this.#fail(new Error(`checkpoint worker exited with code ${code}`));
    });
  }

  /** False while a hold is on: the store keeps queueing and commits on `onRelease`. */
  mayCommit(): boolean {
    return !this.#holding;
  }

  /** Counters for tests and diagnostics: checkpoints reported, holds, the last report. */
  stats(): { checkpoints: number; holds: number; last: CheckpointReport | undefined; failed: boolean } {
    return { checkpoints: this.#checkpoints, holds: this.#holds, last: this.#last, failed: this.#failed };
  }

  /** Stops the worker and closes its connection; resolves when the thread has exited. */
  async stop(): Promise<void> {
    if (this.#stopped) return this.#exited;
    this.#stopped = true;
    this.#release();
    // Referenced again: a process whose last task is closing the store would otherwise end before
    // the worker has closed its connection, with `close()` never settling.
    this.#worker.ref();
    this.#worker.postMessage('stop');
    return this.#exited;
  }

  #receive(message: WorkerMessage): void {
    if (this.#stopped) return;
    if (message.type === 'error') return this.#fail(new Error(`WAL checkpoint: ${message.message}`));
    this.#checkpoints++;
    this.#last = { log: message.log, checkpointed: message.checkpointed, ms: message.ms };
    if (message.type === 'caught-up') {
      // Something else (another process's reader or writer) kept the checkpoint from copying all
      // of it: do not hold again before the WAL has grown by another limit's worth.
      this.#holdAbove = message.checkpointed < message.log ? message.log * this.#pageSize + this.#options.walLimitBytes : this.#options.walLimitBytes;
      return this.#release();
    }
    this.#pageSize = message.pageSize;
    // The WAL restarted: whatever kept an earlier catch-up from finishing is gone.
    if (message.log < this.#lastLog) this.#holdAbove = this.#options.walLimitBytes;
    this.#lastLog = message.log;
    // Even a WAL copied completely does not restart while commits follow each other: the next
    // transaction has usually begun before the checkpoint ended, and then appends to it.
    if (message.log * message.pageSize > this.#holdAbove && !this.#holding) {
      this.#holding = true;
      this.#holds++;
      this.#worker.postMessage('catch-up');
      // Never hold commits on the worker's word alone: if it does not answer, commit anyway.
      this.#holdTimer = setTimeout(() => this.#release(), 5000);
      this.#holdTimer.unref();
    }
  }

  #release(): void {
    clearTimeout(this.#holdTimer);
    this.#holdTimer = undefined;
    if (!this.#holding) return;
    this.#holding = false;
    this.#options.onRelease();
  }

  #fail(error: Error): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#stopped = true;
    this.#release();
    void this.#worker.terminate();
    this.#options.onFailure(error);
  }
}
