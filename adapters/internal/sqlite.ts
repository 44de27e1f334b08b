import Database from 'better-sqlite3';
import { AdapterError } from '../errors.js';

/**
 * A better-sqlite3 handle (`openDb`). Public because SqliteInboundStore and ReviewQueue take one
 * (`{ db }`) to share a file: a type in a public signature must be exported, or a consumer that
 * emits declarations cannot name it (TS2742/TS4058).
 */
export type Db = Database.Database;

/**
 * Opens (or creates) an agent's SQLite file for durable queues. WAL with `synchronous = FULL`:
 * a committed transaction has been fsynced before `run()` returns, which is what the enhanced-mode
 * commit ACK and the import state machine promise. Failures are wrapped as `ERR_STORE`.
 */
export function openDb(path: string): Db {
  try {
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    return db;
  } catch (cause) {
    throw new AdapterError('ERR_STORE', `cannot open store '${path}': ${(cause as Error).message}`, { cause });
  }
}

/** Runs `fn`, wrapping a better-sqlite3 failure as `ERR_STORE`. */
export function guard<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    if (cause instanceof AdapterError) throw cause;
    throw new AdapterError('ERR_STORE', `${what}: ${(cause as Error).message}`, { cause });
  }
}
