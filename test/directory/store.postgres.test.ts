import { afterAll, beforeAll, describe, it } from 'vitest';
import { openPostgresDirectoryStore } from '../../relay/directory/storage/postgres.js';
import { postgresUnavailable, startPostgres } from '../relay/postgres-server.js';
import type { PostgresServer } from '../relay/postgres-server.js';
import { directoryStoreContract } from './store-contract.js';
import { fhirRoutesSuite } from './fhir-routes-suite.js';

const missing = postgresUnavailable();
if (missing !== undefined && process.env.CI === 'true') throw new Error(`PostgreSQL tests cannot run in CI: ${missing}`);

let server: PostgresServer | undefined;

if (missing === undefined) {
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(async () => server?.stop());
  directoryStoreContract({
    kind: 'postgres',
    create: async () => {
      const store = openPostgresDirectoryStore(await server!.createDatabase(), { max: 2 });
      await store.migrate();
      return store;
    },
  });
  fhirRoutesSuite('postgres', async () => openPostgresDirectoryStore(await server!.createDatabase(), { max: 2 }));
} else {
  describe.skip(`PostgreSQL directory store (${missing})`, () => {
    it('needs PostgreSQL', () => undefined);
  });
}
