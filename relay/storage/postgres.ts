import type { RelayStore } from './types.js';
/** PostgreSQL storage: written next (issue 5, step 2). */
export function openPostgresStore(_url: string): RelayStore {
  throw new RangeError('PostgreSQL storage is not built yet');
}
