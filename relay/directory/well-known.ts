/**
 * `GET /.well-known/sealpost` (docs/protocol.md, Discovery): who this relay is — mail domain, relay
 * URL, directory URL, relay certificate — and its pinned peers with their directory URLs, so a
 * client can search the relay's directory federated with its peers'. Signed like a directory
 * answer (X-Sealpost-Signature) when the relay has an identity. When the server starts listening,
 * the relay also publishes its own relay Endpoint in its directory (peer discovery by other relays).
 */
import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { toPem } from '@sealpost/sdk/crypto';
import { SIGNATURE_HEADER, signAnswer } from '@sealpost/sdk/directory';
import { findRelayUrl, publishRelay } from './publish-relay.js';

/** The JSON served at `/.well-known/sealpost`. */
export interface WellKnownSealpost {
  domain: string;
  /** Base URL of the relay API. */
  relay: string;
  /** FHIR base URL of its directory, when it serves one. */
  directory?: string;
  /** The relay certificate (PEM), when the relay has an identity. */
  certificate?: string;
  /** Pinned peers: their domain, relay URL and (assumed Sealpost) directory URL. */
  peers: { domain: string; relay: string; directory: string }[];
}

/** Path of the discovery document. */
export const WELL_KNOWN_PATH = '/.well-known/sealpost';

/** Serves the discovery document (needs `config.domain`; registered by the app when it is set). */
export const wellKnownPlugin = fp(
  async (app) => {
    const config = app.relay;
    const domain = config.domain!;
    // The signed document names the relay's configured or published URL; the request's Host header
    // (attacker-chosen) only when the relay knows neither (plain development setups).
    const baseOf = async (request: FastifyRequest): Promise<string> =>
      config.publicUrl?.replace(/\/$/, '') ?? (config.directory ? await findRelayUrl(config.directory.store, domain) : undefined) ?? `${request.protocol}://${request.host}`;

    app.get(WELL_KNOWN_PATH, async (request, reply) => {
      const relay = await baseOf(request);
      const body: WellKnownSealpost = {
        domain,
        relay,
        ...(config.directory ? { directory: `${relay}/fhir` } : {}),
        ...(config.identity ? { certificate: toPem(config.identity.certificate, 'CERTIFICATE') } : {}),
        peers: Object.entries(config.peers).map(([peer, url]) => ({ domain: peer, relay: url, directory: `${url}/fhir` })),
      };
      const text = JSON.stringify(body);
      if (config.identity) reply.header(SIGNATURE_HEADER, await signAnswer(text, request.url, config.identity));
      // Clients may cache it briefly; peers change rarely.
      return reply.type('application/json; charset=utf-8').header('cache-control', 'max-age=300').send(text);
    });

    // The relay Endpoint needs the URL this relay is reached at: the configured public URL, or the
    // address it listens on (loopback development).
    if (config.directory) {
      const store = config.directory.store;
      app.addHook('onListen', async () => {
        const address = app.server.address();
        const local = address !== null && typeof address === 'object' && (address.address === '127.0.0.1' || address.address === '::1') ? address : undefined;
        const url = config.publicUrl ?? (local ? `${config.tls ? 'https' : 'http'}://${local.family === 'IPv6' ? `[${local.address}]` : local.address}:${local.port}` : undefined);
        if (url === undefined) return app.log.warn('no publicUrl: the relay Endpoint is not published (peers cannot discover this relay through the directory)');
        try {
          await publishRelay(store, { domain, relayUrl: url, ...(config.identity ? { certificate: config.identity.certificate } : {}) });
        } catch (error) {
          app.log.error({ err: error }, 'cannot publish the relay Endpoint');
        }
      });
    }
  },
  { name: 'sealpost-well-known' },
);
