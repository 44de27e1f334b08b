import { sqliteBackend } from './harness.js';
import { threeRelaySuite } from './three-relays-suite.js';

threeRelaySuite(async () => sqliteBackend());
