/**
 * The relay under test, in its own process (so the load generator and the relay do not share an
 * event loop): SEALPOST_DB names the store; prints `LISTENING <url>`. Loopback only, port 0.
 */
import { openStore } from '../../relay/storage/open-store.js';
import { startServer } from '../../relay/server.js';

const store = await openStore(process.env.SEALPOST_DB!);
const server = await startServer({ store, host: '127.0.0.1', port: 0, logger: false, handleSignals: true, purgeIntervalMs: 0, rateLimitPerIp: 0, rateLimitPerMailbox: 0 });
process.stdout.write(`LISTENING ${server.url}\n`);
