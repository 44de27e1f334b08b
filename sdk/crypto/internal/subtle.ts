/**
 * The one place the SDK reaches WebCrypto's `SubtleCrypto`.
 *
 * By default it is the platform's `globalThis.crypto.subtle` (browsers, MV3 workers, Node). A
 * runtime may install a faster implementation of the same interface: on Node,
 * `@sealpost/sdk/node/crypto` installs one that runs the small, frequent operations synchronously
 * on node:crypto (docs/decisions.md D-CRYPTO-4). The core itself stays WebCrypto-only, so it
 * imports no Node built-ins.
 *
 * The installed runtime lives in a global slot, not in a module variable: the Node entry is a
 * separate bundle, and a process can load the core twice (the built package and the sources, as
 * the CLI tests do); every copy must see the same runtime.
 */

/** A SubtleCrypto installed for small inputs, with the size above which work goes to the platform. */
export interface CryptoRuntime {
  /** Takes every CryptoKey the platform's WebCrypto makes, as well as its own keys. */
  readonly subtle: SubtleCrypto;
  /**
   * Messages over this many bytes are handled by the platform's WebCrypto from start to end, keys
   * included ({@link subtleFor}): there, work off the main thread matters more than per-call cost.
   */
  readonly maxInlineBytes: number;
}

/** @internal The global slot a runtime is installed into (the same string in sdk/node/crypto). */
export const RUNTIME_SLOT: unique symbol = Symbol.for('@sealpost/sdk/crypto.runtime') as never;

type Slot = { [RUNTIME_SLOT]?: CryptoRuntime };

/** The SubtleCrypto for small, frequent operations (signatures, key agreement, digests of headers). */
export function subtle(): SubtleCrypto {
  return (globalThis as Slot)[RUNTIME_SLOT]?.subtle ?? globalThis.crypto.subtle;
}

/**
 * The SubtleCrypto for one message of `bytes` bytes: an installed runtime for small messages, the
 * platform's WebCrypto for large ones. Use the one answer for every key the message's content key
 * meets (generation, wrapping, unwrapping, encryption), so that keys made by one implementation
 * are used by the same one.
 */
export function subtleFor(bytes: number): SubtleCrypto {
  const runtime = (globalThis as Slot)[RUNTIME_SLOT];
  return runtime && bytes <= runtime.maxInlineBytes ? runtime.subtle : globalThis.crypto.subtle;
}
