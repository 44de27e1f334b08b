import { afterAll } from 'vitest';
import { bulkCollectSuite } from './bulk-collect-suite.js';
import { sqliteFactory } from './helpers.js';

const factory = sqliteFactory();
afterAll(() => factory.cleanup());
bulkCollectSuite(factory);
