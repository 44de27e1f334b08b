/**
 * @sealpost/sdk/node/crypto — the Node crypto runtime (docs/decisions.md D-CRYPTO-4).
 *
 * `installNodeCrypto()` makes every SDK crypto operation in this process run its small, frequent
 * work synchronously on node:crypto instead of through WebCrypto's thread-pool hop; messages over
 * {@link NODE_MAX_INLINE_BYTES} stay on WebCrypto. Call it once at start-up of a Node process
 * (the relay, the agent and its crypto workers do); the SDK's results are the same either way.
 */
import { NodeSubtle } from './node-subtle.js';

export { NodeSubtle } from './node-subtle.js';

/**
 * Inputs up to 64 KiB run synchronously: on this project's 2-core machine a 64 KiB AES-GCM pass
 * or SHA-256 takes 0.05–0.15 ms on node:crypto, about what one WebCrypto call costs in overhead
 * alone, so the event loop is never held longer than a WebCrypto call would hold it anyway.
 * Larger messages (up to 64 MiB) keep WebCrypto, whose work runs off the main thread
 * (bench/README.md, envelope).
 */
export const NODE_MAX_INLINE_BYTES = 64 * 1024;

/** The same string as sdk/crypto/internal/subtle.ts: the slot every copy of the core reads. */
const RUNTIME_SLOT = Symbol.for('@sealpost/sdk/crypto.runtime');

export interface CryptoRuntime {
  /** 'node' for this runtime (two copies of this module, source and built, must agree on it). */
  readonly name: string;
  readonly subtle: SubtleCrypto;
  readonly maxInlineBytes: number;
}

type Slot = { [RUNTIME_SLOT]?: CryptoRuntime };

/** The runtime {@link installNodeCrypto} installs; another `maxInlineBytes` is for tests and benchmarks. */
export function nodeCryptoRuntime(maxInlineBytes = NODE_MAX_INLINE_BYTES): CryptoRuntime {
  return Object.freeze({ name: 'node', subtle: new NodeSubtle(globalThis.crypto.subtle, maxInlineBytes) as unknown as SubtleCrypto, maxInlineBytes });
}

/**
 * Installs the Node runtime for this process (idempotent); returns a function that puts back
 * what was installed before (tests and benchmarks compare both runtimes in one process).
 */
export function installNodeCrypto(runtime?: CryptoRuntime): () => void {
  const slot = globalThis as Slot;
  const previous = slot[RUNTIME_SLOT];
  if (runtime || previous?.name !== 'node') slot[RUNTIME_SLOT] = runtime ?? nodeCryptoRuntime();
  return () => {
    if (previous) slot[RUNTIME_SLOT] = previous;
    else delete slot[RUNTIME_SLOT];
  };
}
