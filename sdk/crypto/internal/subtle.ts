/**
 * The one place the SDK reaches WebCrypto's `SubtleCrypto`.
 *
 * By default it is the platform's `globalThis.crypto.subtle` (browsers, MV3 workers, Node). A
 * runtime may install a faster implementation of the same interface: on Node,
 * `@sealpost/sdk/node/crypto` installs one that runs the small, frequent operations synchronously
 * on node:crypto (docs/decisions.md D-CRYPTO-4). The core itself stays WebCrypto-only, so it
 * imports no Node built-ins.
 *
 * The installed implementation lives in a global slot, not in a module variable: the Node entry is
 * a separate bundle, and a process can load the core twice (the built package and the sources,
 * as the CLI tests do); every copy must see the same runtime.
 */

/** @internal The global slot a runtime installs its SubtleCrypto into. */
export const SUBTLE_SLOT: unique symbol = Symbol.for('@sealpost/sdk/crypto.subtle') as never;

type Slot = { [SUBTLE_SLOT]?: SubtleCrypto };

/** The SubtleCrypto every SDK crypto operation goes through. */
export function subtle(): SubtleCrypto {
  return (globalThis as Slot)[SUBTLE_SLOT] ?? globalThis.crypto.subtle;
}
