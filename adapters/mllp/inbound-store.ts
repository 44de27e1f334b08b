import { guard, openDb } from '../internal/sqlite.js';
import type { Db } from '../internal/sqlite.js';

/** A received message kept by {@link MllpInboundStore}. */
export interface InboundRecord {
  seq: number;
  /** `MSH-3|MSH-4|MSH-10`: the sender's identity of the message. */
  key: string;
  payload: Uint8Array;
  receivedAt: string;
}

/** Durable store the listener writes to before a commit ACK. `put` returns only after the write is on disk. */
export interface MllpInboundStore {
  /** Stores a message under its key; `duplicate` when the key is already stored (the payload is not replaced). */
  put(key: string, payload: Uint8Array): 'stored' | 'duplicate';
  /**
   * Optional group commit: stores several messages in one durable write (one fsync), with the
   * same per-entry result `put` would give in that order (a key repeated within the call is a
   * duplicate). Returns only after the write is on disk; throws when nothing was stored. The
   * enhanced-mode listener uses it to commit messages arriving together on any connections at once.
   */
  putMany?(entries: readonly { key: string; payload: Uint8Array }[]): ('stored' | 'duplicate')[];
}

/**
 * SQLite inbound store (WAL, `synchronous = FULL`): `put` and `putMany` commit before they
 * return, so a CA sent after them survives a crash. Keys are unique: a resend after a lost ACK is recognised and not
 * handed downstream twice. Errors: `ERR_STORE`.
 */
export class SqliteInboundStore implements MllpInboundStore {
  readonly #db: Db;
  readonly #insert;
  readonly #pending;
  readonly #done;

  constructor(path: string, options: { db?: Db } = {}) {
    this.#db = options.db ?? openDb(path);
    this.#db.exec(`CREATE TABLE IF NOT EXISTS mllp_inbound (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, payload BLOB NOT NULL,
      received_at TEXT NOT NULL, processed INTEGER NOT NULL DEFAULT 0)`);
    this.#insert = this.#db.prepare('INSERT INTO mllp_inbound (key, payload, received_at) VALUES (?, ?, ?) ON CONFLICT(key) DO NOTHING');
    this.#pending = this.#db.prepare('SELECT seq, key, payload, received_at AS receivedAt FROM mllp_inbound WHERE processed = 0 ORDER BY seq LIMIT ?');
    this.#done = this.#db.prepare('UPDATE mllp_inbound SET processed = 1 WHERE seq = ?');
  }

  put(key: string, payload: Uint8Array): 'stored' | 'duplicate' {
    return guard('mllp inbound put', () => (this.#insert.run(key, payload, new Date().toISOString()).changes === 1 ? 'stored' : 'duplicate'));
  }

  putMany(entries: readonly { key: string; payload: Uint8Array }[]): ('stored' | 'duplicate')[] {
    const at = new Date().toISOString();
    return guard('mllp inbound putMany', () => this.#db.transaction(() => entries.map((e) => (this.#insert.run(e.key, e.payload, at).changes === 1 ? 'stored' : 'duplicate')))());
  }

  /** Stored messages not yet marked processed, oldest first (default limit 100). */
  pending(limit = 100): InboundRecord[] {
    return guard('mllp inbound pending', () =>
      (this.#pending.all(limit) as { seq: number; key: string; payload: Uint8Array; receivedAt: string }[]).map((r) => ({ ...r, payload: new Uint8Array(r.payload) })),
    );
  }

  /** Marks a stored message as handed downstream. */
  markProcessed(seq: number): void {
    guard('mllp inbound markProcessed', () => this.#done.run(seq));
  }

  close(): void {
    this.#db.close();
  }
}
