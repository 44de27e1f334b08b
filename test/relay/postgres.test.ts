import { onPostgres } from './on-postgres.js';
import { relaySuite } from './relay-suite.js';

onPostgres('PostgreSQL relay suite', relaySuite);
