import { bulkCollectSuite } from './bulk-collect-suite.js';
import { onPostgres } from './on-postgres.js';

onPostgres('PostgreSQL bulk collect', bulkCollectSuite);
