/**
 * A relay in its own process for the crash tests and the bench: `node --import tsx relay-child.ts`
 * with SEALPOST_DB (sqlite:PATH or postgres://…) and optional SEALPOST_CHUNK_BYTES; it prints
 * `LISTENING <url>` once it accepts connections. Loopback only, port 0.
 */
import { openStore } from '../../relay/storage/open-store.js';
import { startServer } from '../../relay/server.js';

const db = process.env.SEALPOST_DB;
if (!db) throw new Error('SEALPOST_DB is required');
const store = await openStore(db);
const server = await startServer({
  store,
  host: '127.0.0.1',
  port: Number(process.env.SEALPOST_PORT ?? 0),
  logger: false,
  handleSignals: true,
  purgeIntervalMs: 0,
  rateLimitPerIp: 0,
  rateLimitPerMailbox: 0,
  ...(process.env.SEALPOST_CHUNK_BYTES ? { chunkBytes: Number(process.env.SEALPOST_CHUNK_BYTES) } : {}),
});
process.stdout.write(`LISTENING ${server.url}\n`);
