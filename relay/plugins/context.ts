/**
 * The shared context plugin: resolved config, store, relay secret, metrics and the `authenticate`
 * pre-handler. Registered first (fastify-plugin, so every area plugin sees its decorations); the
 * area plugins declare it as a dependency by name.
 */
import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ResolvedConfig } from '../config.js';
import { RelayError } from '../errors.js';
import { checkToken } from '../internal/tokens.js';
import type { Metrics } from '../internal/metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    relay: ResolvedConfig;
    relaySecret: Uint8Array;
    metrics: Metrics;
    /** preHandler: requires a valid bearer token and sets `request.mailbox`. */
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
  interface FastifyRequest {
    /** The mailbox the bearer token is bound to (after `authenticate`). */
    mailbox: string;
  }
}

export interface ContextOptions {
  config: ResolvedConfig;
  secret: Uint8Array;
  metrics: Metrics;
}

/** Reads `Authorization: Bearer …` and checks it; throws ERR_RELAY_AUTH. */
export function mailboxFromRequest(request: FastifyRequest, secret: Uint8Array, now: number): string {
  const header = request.headers.authorization;
  if (header === undefined || !header.startsWith('Bearer ')) throw new RelayError('ERR_RELAY_AUTH', 'missing bearer token');
  const result = checkToken(secret, header.slice(7).trim(), now);
  if (!result.ok) throw new RelayError('ERR_RELAY_AUTH', result.reason === 'expired' ? 'the token has expired' : 'invalid token');
  return result.address;
}

export const contextPlugin = fp<ContextOptions>(
  async (app, options) => {
    app.decorate('relay', options.config);
    app.decorate('relaySecret', options.secret);
    app.decorate('metrics', options.metrics);
    app.decorateRequest('mailbox', '');
    app.decorate('authenticate', async (request: FastifyRequest) => {
      request.mailbox = mailboxFromRequest(request, options.secret, options.config.now());
    });
  },
  { name: 'sealpost-context' },
);
