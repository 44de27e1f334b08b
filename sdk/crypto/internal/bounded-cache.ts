/**
 * A small least-recently-used cache, for results that are pure functions of public bytes
 * (imported public keys, certificate digests, verified issuer signatures): an import pipeline
 * opens many letters from the same few senders, and re-importing their keys or re-verifying the
 * same certificate signatures was most of the per-letter CPU time (bench/envelope/README.md,
 * "Many small letters"). Bounded so that a stream of distinct certificates cannot grow memory.
 */
export class BoundedCache<V> {
  readonly #entries = new Map<string, V>();
  readonly #capacity: number;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('BoundedCache: capacity must be a positive integer');
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value, which becomes the most recently used; undefined when absent. */
  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    // A Map iterates in insertion order: re-inserting moves the entry to the young end.
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** Stores `value`, forgetting the least recently used entry when full. */
  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.#capacity) this.#entries.delete(this.#entries.keys().next().value as string);
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}

/**
 * Bytes no longer than this are cached by their content; longer ones are not cached at all, so one
 * entry never holds more than this (real certificates are 0.5–4 KB, SPKIs under 600 bytes). With
 * the cache sizes in cert.ts that bounds the caches at about 12 MB even for hostile input.
 */
export const MAX_CACHED_BYTES = 8 * 1024;

/**
 * An exact string key for `bytes` (one UTF-16 code unit per byte, stored by V8 as a one-byte
 * string), or undefined when `bytes` is longer than {@link MAX_CACHED_BYTES}. Exact rather than a
 * digest: no collision argument is needed, and it is computed synchronously.
 */
export function bytesKey(bytes: Uint8Array): string | undefined {
  if (bytes.length > MAX_CACHED_BYTES) return undefined;
  let key = '';
  for (let i = 0; i < bytes.length; i += 4096) key += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
  return key;
}
