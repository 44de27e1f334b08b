/**
 * Listens, purges on a timer and shuts down gracefully: on SIGTERM/SIGINT the relay stops
 * accepting connections, answers /readyz 503, lets in-flight submissions finish (their 201 is only
 * sent after commit), then closes the store.
 */
import type { FastifyInstance } from 'fastify';
import { installNodeCrypto } from '@sealpost/sdk/node/crypto';
import { buildApp } from './app.js';
import { resolveConfig } from './config.js';
import type { RelayConfig } from './config.js';
import { startForwarder } from './federation/forwarder.js';
import type { Forwarder, ForwarderOptions } from './federation/forwarder.js';

export interface StartServerOptions extends RelayConfig {
  /** Default `127.0.0.1`. Anything but loopback requires `tls`. */
  host?: string;
  /** Default 7311; 0 picks a free port. */
  port?: number;
  /** How often retention/expiry purge runs, ms. Default 60 s; 0 disables. */
  purgeIntervalMs?: number;
  /** Install SIGTERM/SIGINT handlers that close gracefully. Default false. */
  handleSignals?: boolean;
  /** Close the store when the server closes. Default true. */
  closeStore?: boolean;
  /** Outbound queue timing (federation); the forwarder runs when `peers`, `domain` and `identity` are set. */
  forwarder?: ForwarderOptions;
}

export interface RunningServer {
  app: FastifyInstance;
  /** `http://127.0.0.1:PORT` or `https://…`. */
  url: string;
  port: number;
  /** The outbound queue's forwarder, when this relay forwards to peers. */
  forwarder: Forwarder | undefined;
  /** Graceful close: in-flight requests finish, then the store closes. */
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Starts a relay. Throws RangeError when asked to serve plain HTTP beyond loopback. */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  if (!options.tls && !LOOPBACK.has(host)) throw new RangeError(`refusing plain HTTP on ${host}: configure TLS (plain HTTP is for loopback only)`);
  installNodeCrypto(); // receipts, directory answers and timelines are signed and checked on node:crypto (D-CRYPTO-4)
  const app = await buildApp(options);
  const address = await app.listen({ host, port: options.port ?? 7311 });
  const port = (app.server.address() as { port: number }).port;
  const now = options.now ?? Date.now;
  const retentionMs = options.retentionMs ?? 7 * 86_400_000;
  const interval = options.purgeIntervalMs ?? 60_000;
  const timer =
    interval > 0
      ? setInterval(() => {
          options.store
            .purge(now(), { retentionMs, orphanBlobAgeMs: 2 * (options.requestTimeoutMs ?? 60_000) })
            .then((result) => {
              if (result.purged + result.expired + result.uploads + result.blobs > 0) app.log.info({ purge: result }, 'purged');
            })
            .catch((error: unknown) => app.log.error({ err: error }, 'purge failed'));
        }, interval)
      : undefined;
  timer?.unref();
  const resolved = resolveConfig(options);
  const forwarder =
    (Object.keys(resolved.peers).length > 0 || resolved.discoverPeers) && resolved.identity && resolved.domain !== undefined
      ? startForwarder(resolved, { onError: (item, error) => app.log.warn({ messageId: item.messageId, recipient: item.recipient, error }, 'forward failed'), ...options.forwarder })
      : undefined;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      if (timer) clearInterval(timer);
      await forwarder?.stop();
      await app.close();
      if (options.closeStore ?? true) await options.store.close();
    })());
  if (options.handleSignals) {
    const onSignal = (signal: NodeJS.Signals): void => {
      app.log.info({ signal }, 'shutting down');
      close().then(
        () => process.exit(0),
        (error: unknown) => {
          app.log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  return { app, url: address.replace('[::1]', 'localhost'), port, forwarder, close };
}
