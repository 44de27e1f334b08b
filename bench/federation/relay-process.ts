/**
 * One relay of the federation bench, in its own process: SQLite at SEALPOST_DB, mail domain
 * SEALPOST_DOMAIN on 127.0.0.1:SEALPOST_PORT, pinned peers from SEALPOST_PEERS (JSON domain → URL),
 * a self-signed relay identity made here (as `relay start` does on first start), forwarder polling
 * every SEALPOST_FORWARD_INTERVAL_MS and SEALPOST_FORWARD_CONCURRENCY forwards in flight per peer
 * (defaults: the relay's). Prints `LISTENING <url>`.
 */
import { generateIdentity } from '@sealpost/sdk/crypto';
import { openStore } from '../../relay/storage/open-store.js';
import { startServer } from '../../relay/server.js';

const domain = process.env.SEALPOST_DOMAIN!;
const name = `relay@${domain}`;
const { identity } = await generateIdentity({ name, address: name, validityDays: 30 });
const store = await openStore(process.env.SEALPOST_DB!);
const interval = process.env.SEALPOST_FORWARD_INTERVAL_MS;
const concurrency = process.env.SEALPOST_FORWARD_CONCURRENCY;
const server = await startServer({
  store,
  host: '127.0.0.1',
  port: Number(process.env.SEALPOST_PORT),
  domain,
  identity,
  peers: JSON.parse(process.env.SEALPOST_PEERS ?? '{}') as Record<string, string>,
  logger: false,
  handleSignals: true,
  purgeIntervalMs: 0,
  rateLimitPerIp: 0,
  rateLimitPerMailbox: 0,
  forwarder: {
    ...(interval ? { intervalMs: Number(interval) } : {}),
    ...(concurrency ? { concurrency: Number(concurrency) } : {}),
  },
});
process.stdout.write(`LISTENING ${server.url}\n`);
