import { afterAll, beforeAll, describe, it } from 'vitest';
import { openPostgresStore } from '../../relay/storage/postgres.js';
import { bulkCollectSuite } from './bulk-collect-suite.js';
import type { StoreFactory } from './helpers.js';
import { postgresUnavailable, startPostgres } from './postgres-server.js';
import type { PostgresServer } from './postgres-server.js';

const missing = postgresUnavailable();
if (missing !== undefined && process.env.CI === 'true') {
  // In CI the PostgreSQL half must run; a skip would hide a broken store.
  throw new Error(`PostgreSQL tests cannot run in CI: ${missing}`);
}

let server: PostgresServer | undefined;
const factory: StoreFactory = {
  kind: 'postgres',
  create: async () => {
    const store = openPostgresStore(await server!.createDatabase());
    await store.migrate();
    return store;
  },
  cleanup: async () => undefined,
};

if (missing === undefined) {
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(async () => server?.stop());
  bulkCollectSuite(factory);
} else {
  describe.skip(`PostgreSQL bulk collect (${missing})`, () => {
    it('needs PostgreSQL', () => undefined);
  });
}
