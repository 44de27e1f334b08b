import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { EnvelopeError } from '@sealpost/sdk/crypto';
import type { EnvelopeReason, Identity, ReceiptStatus, SeenStore } from '@sealpost/sdk/crypto';
import { AdapterError } from '../errors.js';
import type { EnvelopeCrypto, OpenedEnvelope, OpenRequest, ReceiptBinding } from './envelope-crypto.js';
import { receiptBinding } from './envelope-crypto.js';
import type { FromWorker, ToWorker, TrustMaterial, WireError } from './crypto-worker-protocol.js';

export type { TrustMaterial } from './crypto-worker-protocol.js';

/** Options of {@link CryptoWorkerPool}. */
export interface CryptoWorkerPoolOptions {
  identity: Identity;
  /** What each worker builds its TrustStore from (a TrustStore itself cannot cross threads). */
  trust: TrustMaterial;
  /** Worker threads (default: the machine's available parallelism, at most 4). */
  size?: number;
}

interface Pending {
  worker: Slot;
  seenStore?: SeenStore;
  resolve: (value: FromWorker) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  inFlight: number;
  gone: boolean;
  /** Settles once the worker has loaded and built its trust store, or has failed. */
  ready: Promise<void>;
}

/**
 * Where tsx's ESM API lives, for workers that load TypeScript sources (the adapters run from
 * their sources; Node 20 does not pass the parent's module hooks to a worker thread, so each
 * worker registers tsx itself before importing crypto-worker.ts).
 */
function tsxApi(): string {
  const resolve = (import.meta as { resolve?: (specifier: string) => string }).resolve;
  if (resolve) {
    try {
      return resolve('tsx/esm/api');
    } catch {
      // fall through: some loaders (vitest) do not provide import.meta.resolve
    }
  }
  // The CommonJS resolution names index.cjs; its ESM twin sits beside it.
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs')).href;
}

function spawnWorker(): Worker {
  const fromSources = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSources ? './crypto-worker.ts' : './crypto-worker.js', import.meta.url);
  if (!fromSources) return new Worker(entry);
  const boot = `import(${JSON.stringify(tsxApi())}).then((api) => { api.register(); return import(${JSON.stringify(entry.href)}); });`;
  // --cpu-prof* passed on, so a profile of the process covers its crypto threads too.
  return new Worker(boot, { eval: true, execArgv: ['--conditions=source', ...process.execArgv.filter((a) => a.startsWith('--cpu-prof'))] });
}

function fromWire(error: WireError): Error {
  if (error.envelopeReason) return new EnvelopeError(error.envelopeReason as EnvelopeReason, error.message);
  const copy = new Error(error.message);
  if (error.code) (copy as Error & { code?: string }).code = error.code;
  return copy;
}

/**
 * Opens envelopes and signs receipts on worker threads, so the pipeline's cryptography uses every
 * core while the main thread commits, files and talks to the relay. Each request goes to the
 * worker with the fewest in flight. Replay checks are answered on the calling thread by the
 * request's `seenStore`, exactly as with {@link inProcessCrypto}. A worker that dies fails its
 * requests with `ERR_IMPORT_CRYPTO_WORKER` and is replaced at the next request; an idle pool does
 * not keep the process alive.
 */
export class CryptoWorkerPool implements EnvelopeCrypto {
  readonly #identity: Identity;
  readonly #trust: TrustMaterial;
  readonly #size: number;
  readonly #slots: Slot[] = [];
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #closed = false;

  constructor(options: CryptoWorkerPoolOptions) {
    this.#identity = options.identity;
    this.#trust = options.trust;
    this.#size = options.size ?? Math.min(4, availableParallelism());
    if (!Number.isInteger(this.#size) || this.#size < 1) throw new RangeError('CryptoWorkerPool: size must be a positive integer');
    for (let i = 0; i < this.#size; i++) this.#slots.push(this.#start());
  }

  /**
   * Resolves once every worker has loaded (about a second from TypeScript sources); rejects with
   * `ERR_IMPORT_CRYPTO_WORKER` if one cannot start. Requests made earlier simply wait.
   */
  async ready(): Promise<void> {
    await Promise.all(this.#slots.map((s) => s.ready));
  }

  /** Four requests per worker: enough to keep it busy while the main thread is blocked in a commit, few enough not to flood the thread pool. */
  get concurrency(): number {
    return this.#size * 4;
  }

  /** Number of worker threads. */
  get size(): number {
    return this.#size;
  }

  #start(): Slot {
    let started: { resolve: () => void; reject: (error: Error) => void } | undefined;
    const ready = new Promise<void>((resolve, reject) => (started = { resolve, reject }));
    ready.catch(() => undefined); // awaited only by ready(); a failure also fails the requests
    const slot: Slot = { worker: spawnWorker(), inFlight: 0, gone: false, ready };
    slot.worker.unref();
    slot.worker.on('message', (message: FromWorker) => (message.type === 'ready' ? started!.resolve() : this.#onMessage(slot, message)));
    const lost = (why: string): void => {
      if (slot.gone) return;
      slot.gone = true;
      started!.reject(new AdapterError('ERR_IMPORT_CRYPTO_WORKER', `crypto worker failed: ${why}`));
      const index = this.#slots.indexOf(slot);
      if (index >= 0) this.#slots.splice(index, 1);
      for (const [id, p] of this.#pending) {
        if (p.worker !== slot) continue;
        this.#pending.delete(id);
        p.reject(new AdapterError('ERR_IMPORT_CRYPTO_WORKER', `crypto worker failed: ${why}`));
      }
    };
    slot.worker.on('error', (error) => lost(error.message));
    slot.worker.on('exit', (code) => lost(`exited with code ${code}`));
    this.#post(slot, { type: 'init', identity: this.#identity, trust: this.#trust });
    return slot;
  }

  #post(slot: Slot, message: ToWorker): void {
    slot.worker.postMessage(message);
  }

  #onMessage(slot: Slot, message: FromWorker): void {
    if (message.type === 'ready') return;
    if (message.type === 'remember') {
      const p = this.#pending.get(message.id);
      if (!p?.seenStore) return this.#post(slot, { type: 'remembered', rid: message.rid, error: 'no request for this replay check' });
      p.seenStore.remember(message.signer, message.messageId, message.expiresAt).then(
        (value) => this.#post(slot, { type: 'remembered', rid: message.rid, value }),
        (error: unknown) => this.#post(slot, { type: 'remembered', rid: message.rid, error: error instanceof Error ? error.message : String(error) }),
      );
      return;
    }
    const p = this.#pending.get(message.id);
    if (!p) return;
    this.#pending.delete(message.id);
    if (--slot.inFlight === 0) slot.worker.unref();
    if (message.type === 'failed') p.reject(fromWire(message.error));
    else p.resolve(message);
  }

  #request(build: (id: number) => ToWorker, seenStore?: SeenStore): Promise<FromWorker> {
    if (this.#closed) return Promise.reject(new AdapterError('ERR_IMPORT_CRYPTO_WORKER', 'the crypto worker pool is closed'));
    while (this.#slots.length < this.#size) this.#slots.push(this.#start());
    const slot = this.#slots.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    const id = this.#nextId++;
    return new Promise<FromWorker>((resolve, reject) => {
      this.#pending.set(id, { worker: slot, resolve, reject, ...(seenStore ? { seenStore } : {}) });
      if (slot.inFlight++ === 0) slot.worker.ref();
      this.#post(slot, build(id));
    });
  }

  async open(request: OpenRequest): Promise<OpenedEnvelope> {
    const reply = await this.#request((id) => ({ type: 'open', id, envelope: request.envelope, at: request.at, delivered: request.delivered === true }), request.seenStore);
    if (reply.type !== 'opened') throw new AdapterError('ERR_IMPORT_CRYPTO_WORKER', `unexpected answer '${reply.type}' to open`);
    return reply.delivered ? { opened: reply.opened, delivered: reply.delivered } : { opened: reply.opened };
  }

  async receipt(original: ReceiptBinding, options: { status: ReceiptStatus; reason?: string }): Promise<Uint8Array> {
    const reply = await this.#request((id) => ({ type: 'receipt', id, original: receiptBinding(original), status: options.status, ...(options.reason ? { reason: options.reason } : {}) }));
    if (reply.type !== 'signed') throw new AdapterError('ERR_IMPORT_CRYPTO_WORKER', `unexpected answer '${reply.type}' to receipt`);
    return reply.receipt;
  }

  /** Stops the workers; requests still in flight fail with `ERR_IMPORT_CRYPTO_WORKER`. */
  async close(): Promise<void> {
    this.#closed = true;
    const slots = this.#slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
