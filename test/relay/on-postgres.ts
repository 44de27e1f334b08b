import { afterAll, beforeAll, describe, it } from 'vitest';
import { openPostgresStore } from '../../relay/storage/postgres.js';
import type { StoreFactory } from './helpers.js';
import { postgresUnavailable, startPostgres } from './postgres-server.js';
import type { PostgresServer } from './postgres-server.js';

/**
 * Runs a store suite against a throwaway PostgreSQL cluster: each store a fresh, migrated
 * database. Without PostgreSQL the suite is skipped with the reason, except in CI, where the file
 * fails instead (a skip would hide a broken store).
 */
export function onPostgres(name: string, suite: (factory: StoreFactory) => void): void {
  const missing = postgresUnavailable();
  if (missing !== undefined && process.env.CI === 'true') throw new Error(`PostgreSQL tests cannot run in CI: ${missing}`);
  if (missing !== undefined) {
    describe.skip(`${name} (${missing})`, () => {
      it('needs PostgreSQL', () => undefined);
    });
    return;
  }
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(async () => server?.stop());
  suite({
    kind: 'postgres',
    create: async () => {
      const store = openPostgresStore(await server!.createDatabase());
      await store.migrate();
      return store;
    },
    cleanup: async () => undefined,
  });
}
