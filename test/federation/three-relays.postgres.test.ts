import { describe, it } from 'vitest';
import { postgresUnavailable } from '../relay/postgres-server.js';
import { postgresBackend } from './harness.js';
import { threeRelaySuite } from './three-relays-suite.js';

const missing = postgresUnavailable();
// In CI the PostgreSQL half must run; a skip would hide a broken relay.
if (missing !== undefined && process.env.CI === 'true') throw new Error(`PostgreSQL tests cannot run in CI: ${missing}`);

if (missing === undefined) threeRelaySuite(postgresBackend);
else
  describe.skip(`three relays on PostgreSQL (${missing})`, () => {
    it('needs PostgreSQL', () => undefined);
  });
