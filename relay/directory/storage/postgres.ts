/**
 * PostgreSQL DirectoryStore (pg). `?` placeholders are numbered for pg; each transaction runs on
 * its own pooled connection; migrations take an advisory lock so several relay processes can start
 * at once. The index column uses COLLATE "C" so prefix ranges are btree range scans.
 */
import pg from 'pg';
import type { PoolClient } from 'pg';
import { SqlDirectoryStore } from './sql-store.js';
import type { SqlExecutor } from './sql-store.js';

const MIGRATION_LOCK = 0x5e_a1_d1;

function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

interface Queryable {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

class PgExecutor implements SqlExecutor {
  readonly #target: Queryable;
  readonly #pool: pg.Pool | undefined;

  constructor(target: Queryable, pool?: pg.Pool) {
    this.#target = target;
    this.#pool = pool;
  }

  async all<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.#target.query(numbered(sql), params)).rows as T[];
  }

  async run(sql: string, params: unknown[] = []): Promise<number> {
    return (await this.#target.query(numbered(sql), params)).rowCount ?? 0;
  }

  async script(sql: string): Promise<void> {
    await this.#target.query(sql);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    if (!this.#pool) return fn(this);
    const client: PoolClient = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(new PgExecutor(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.#pool?.end();
  }
}

/** Opens a PostgreSQL directory store (`postgres://…`). Call `migrate()` before use. */
export function openPostgresDirectoryStore(url: string, options: { max?: number } = {}): SqlDirectoryStore {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10 });
  return new SqlDirectoryStore('postgres', new PgExecutor(pool, pool), {
    collate: 'COLLATE "C"',
    migrateLock: async (tx) => {
      await tx.all('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK]);
    },
  });
}
