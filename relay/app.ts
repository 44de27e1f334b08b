/**
 * Builds the relay's fastify app from an explicit config, without listening (tests use inject();
 * server.ts listens). Plugins are registered here, in order, and nowhere else.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { resolveConfig } from './config.js';
import type { RelayConfig } from './config.js';
import { directoryPlugin } from './directory/plugin.js';
import { wellKnownPlugin } from './directory/well-known.js';
import { federationPlugin } from './federation/plugin.js';
import { corsPlugin } from './internal/cors.js';
import { Metrics } from './internal/metrics.js';
import { checkToken } from './internal/tokens.js';
import { contextPlugin } from './plugins/context.js';
import { inboxPlugin } from './plugins/inbox.js';
import { mailboxPlugin } from './plugins/mailbox.js';
import { opsPlugin } from './plugins/ops.js';
import { problemsPlugin, socketProblem } from './plugins/problems.js';
import { submitPlugin } from './plugins/submit.js';

/**
 * Creates the relay app. The store in `config` must be migrated; the app never closes it.
 *
 * @example
 * const store = openSqliteStore('relay.db'); await store.migrate();
 * const app = await buildApp({ store, logger: false });
 * const res = await app.inject({ method: 'GET', url: '/healthz' });
 */
export async function buildApp(input: RelayConfig): Promise<FastifyInstance> {
  const config = resolveConfig(input);
  const secret = await config.store.secret();
  const app = Fastify({
    logger: config.logger === false ? false : { level: (typeof config.logger === 'object' ? config.logger.level : undefined) ?? 'info' },
    // JSON bodies are small; envelopes are streamed through their own parser and limits.
    bodyLimit: 256 * 1024,
    // A client that stalls mid-request is cut off (408) instead of holding a socket forever.
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.requestTimeoutMs,
    routerOptions: { maxParamLength: 300 },
    // Unknown members are refused (400), not silently dropped: a client sending them has a bug.
    ajv: { customOptions: { removeAdditional: false } },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ...(config.tls ? { https: { key: config.tls.key, cert: config.tls.cert } } : {}),
    // Errors Node rejects before fastify runs (oversized headers, malformed requests, timeouts)
    // still get a problem+json answer.
    clientErrorHandler: (error: Error & { code?: string }, socket) => {
      if (error.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
      if (error.code === 'HPE_HEADER_OVERFLOW') return socketProblem(socket, 'ERR_RELAY_HEADERS_TOO_LARGE', 'request headers too large');
      if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return socketProblem(socket, 'ERR_RELAY_TIMEOUT', 'request not received in time');
      return socketProblem(socket, 'ERR_RELAY_BAD_REQUEST', 'malformed HTTP request');
    },
  });
  // While closing, every answer (in-flight submissions finishing) asks the client to hang up, so
  // keep-alive connections do not hold the shutdown open.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
  // A client that goes silent mid-request (connectionTimeout without a byte) gets a 408 problem if
  // its answer has not started yet; idle keep-alive sockets and half-sent answers are just closed.
  const inFlight = new WeakMap<Socket, ServerResponse>();
  app.addHook('onRequest', async (request, reply) => {
    inFlight.set(request.raw.socket, reply.raw);
  });
  app.addHook('onResponse', async (request) => {
    inFlight.delete(request.raw.socket);
  });
  app.server.on('timeout', (socket: Socket) => {
    const response = inFlight.get(socket);
    if (response && !response.headersSent) socketProblem(socket, 'ERR_RELAY_TIMEOUT', 'the client stopped sending; request not received in time');
    else socket.destroy();
  });
  const metrics = new Metrics();
  app.addHook('onResponse', async (request, reply) => {
    metrics.request(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode);
  });

  await app.register(problemsPlugin);
  if (config.corsOrigins.length > 0) await app.register(corsPlugin, { origins: config.corsOrigins });
  await app.register(contextPlugin, { config, secret, metrics });
  if (config.rateLimitPerIp > 0 || config.rateLimitPerMailbox > 0) {
    await app.register(rateLimit, {
      timeWindow: 60_000,
      // Authenticated requests count against their mailbox, the rest against the client IP. The
      // token is checked here with one HMAC, the same cheap check authenticate makes later.
      keyGenerator: (request) => {
        const header = request.headers.authorization;
        if (header?.startsWith('Bearer ')) {
          const result = checkToken(secret, header.slice(7).trim(), config.now());
          if (result.ok) return `mailbox:${result.address}`;
        }
        return `ip:${request.ip}`;
      },
      max: (_request, key) => {
        const limit = key.startsWith('mailbox:') ? config.rateLimitPerMailbox : config.rateLimitPerIp;
        return limit > 0 ? limit : Number.MAX_SAFE_INTEGER;
      },
      allowList: (request) => request.url === '/healthz' || request.url === '/readyz' || request.url === '/metrics',
    });
  }
  await app.register(opsPlugin);
  await app.register(mailboxPlugin);
  await app.register(submitPlugin);
  await app.register(inboxPlugin);
  if (config.directory) await app.register(directoryPlugin, config.directory);
  if (config.domain !== undefined) await app.register(wellKnownPlugin);
  if (Object.keys(config.peers).length > 0 || config.identity) await app.register(federationPlugin);
  return app;
}
