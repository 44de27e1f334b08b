import { afterAll } from 'vitest';
import { sqliteFactory } from './helpers.js';
import { relaySuite } from './relay-suite.js';

const factory = sqliteFactory();
afterAll(() => factory.cleanup());
relaySuite(factory);
