import type { DirectoryStore } from './types.js';

/**
 * Opens and migrates the directory store a `--db` value names: `sqlite:PATH` or a bare path, or
 * `postgres://…` / `postgresql://…` (pg is loaded only then).
 */
export async function openDirectoryStore(db: string): Promise<DirectoryStore> {
  let store: DirectoryStore;
  if (/^postgres(ql)?:\/\//.test(db)) {
    const { openPostgresDirectoryStore } = await import('./postgres.js');
    store = openPostgresDirectoryStore(db);
  } else {
    const { openSqliteDirectoryStore } = await import('./sqlite.js');
    store = openSqliteDirectoryStore(db.startsWith('sqlite:') ? db.slice('sqlite:'.length) : db);
  }
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  return store;
}
