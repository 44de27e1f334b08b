/**
 * SQLite DirectoryStore (better-sqlite3). Statements are prepared once and cached; a transaction
 * holds the single connection, so transactions are queued one after another.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { SqlDirectoryStore } from './sql-store.js';
import type { SqlExecutor } from './sql-store.js';

class SqliteExecutor implements SqlExecutor {
  readonly #db: Db;
  readonly #statements = new Map<string, Statement>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(db: Db) {
    this.#db = db;
  }

  #prepare(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      if (this.#statements.size > 512) this.#statements.clear();
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  async all<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.#prepare(sql).all(...params) as T[];
  }

  async run(sql: string, params: unknown[] = []): Promise<number> {
    return this.#prepare(sql).run(...params).changes;
  }

  async script(sql: string): Promise<void> {
    this.#db.exec(sql);
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const next = this.#queue.then(async () => {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this);
        this.#db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
        throw error;
      }
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.#queue;
    this.#db.close();
  }
}

/**
 * Opens (creating) a SQLite directory database at `path` (`:memory:` for tests). Call `migrate()`
 * before use. WAL mode: searches are not blocked by an import in another process.
 */
export function openSqliteDirectoryStore(path: string): SqlDirectoryStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -65536');
  return new SqlDirectoryStore('sqlite', new SqliteExecutor(db), { collate: '' });
}
