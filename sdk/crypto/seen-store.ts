/**
 * Where `openEnvelope` records the messageIds it has accepted, per signer, to refuse replays.
 * Implementations must be atomic per (signer, messageId): two concurrent opens of the same
 * message must not both see `true`.
 */
export interface SeenStore {
  /**
   * Records `messageId` from `signer` (hex SHA-256 of the signer certificate) until `expiresAt`.
   * Resolves `true` if it was new, `false` if it was already recorded and not yet expired.
   */
  remember(signer: string, messageId: string, expiresAt: Date): Promise<boolean>;
}

/**
 * An in-memory {@link SeenStore} for tests and short-lived agents. Entries are dropped once
 * their message has expired (a replay after that fails the expiry check anyway).
 */
export class MemorySeenStore implements SeenStore {
  readonly #seen = new Map<string, number>();
  readonly #now: () => Date;

  /** `now` is injectable for tests; default `() => new Date()`. */
  constructor(options: { now?: () => Date } = {}) {
    this.#now = options.now ?? (() => new Date());
  }

  remember(signer: string, messageId: string, expiresAt: Date): Promise<boolean> {
    const now = this.#now().getTime();
    for (const [key, until] of this.#seen) if (until < now) this.#seen.delete(key);
    const key = `${signer} ${messageId}`;
    if (this.#seen.has(key)) return Promise.resolve(false);
    this.#seen.set(key, expiresAt.getTime());
    return Promise.resolve(true);
  }
}
