import { openSqliteStore } from './sqlite.js';
import type { RelayStore } from './types.js';

/**
 * Opens the store a `--db` value names: `sqlite:PATH` (or a bare path) or `postgres://…` /
 * `postgresql://…`, and migrates it. PostgreSQL support is loaded only when asked for.
 */
export async function openStore(db: string): Promise<RelayStore> {
  let store: RelayStore;
  if (/^postgres(ql)?:\/\//.test(db)) {
    const { openPostgresStore } = await import('./postgres.js');
    store = openPostgresStore(db);
  } else {
    store = openSqliteStore(db.startsWith('sqlite:') ? db.slice('sqlite:'.length) : db);
  }
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  return store;
}
