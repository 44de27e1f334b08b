/**
 * The directory plugin: FHIR R4 read and search under `/fhir` for Organization, Practitioner,
 * PractitionerRole, HealthcareService and Endpoint, plus `/fhir/metadata`. Read-only over HTTP
 * (operators write through import or the mailbox hook). Every answer, errors included, is signed
 * with the relay identity when one is configured (X-Sealpost-Signature, docs/protocol.md).
 * Encapsulated: its error handler and signing hook apply to its own routes only.
 */
import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Identity } from '@sealpost/sdk/crypto';
import { DIRECTORY_URIS, endpointIdFor, SIGNATURE_HEADER, signAnswer } from '@sealpost/sdk/directory';
import type { PayloadType } from '@sealpost/sdk/directory';
import { capabilityStatement } from './capability-statement.js';
import { operationOutcome, searchBundle } from './internal/bundle.js';
import { parseQuery, QueryError } from './internal/parse-query.js';
import { isDirectoryType } from './internal/search-params.js';
import { publishMailbox } from './publish-mailbox.js';
import { findRelayUrl } from './publish-relay.js';
import type { DirectoryStore } from './storage/types.js';

/** Options of {@link directoryPlugin}. */
export interface DirectoryPluginOptions {
  store: DirectoryStore;
  /** Relay identity that signs every answer. Without it answers are unsigned (development only). */
  signer?: Identity;
  /** Public base URL of the relay (`https://relay.example`), for fullUrl and paging links. Default: from the request. */
  publicUrl?: string;
  /** Payload forms the Endpoints of mailboxes registered here accept, best first. Default FHIR document, REF^I12 L2, REF^I12 L1. */
  payloadTypes?: PayloadType[];
}

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** The fastify plugin serving `/fhir` (name `sealpost-directory`, encapsulated). */
export const directoryPlugin = fp<DirectoryPluginOptions>(
  async (app, options) => {
    const { store, signer } = options;
    const baseOf = (request: FastifyRequest): string => `${options.publicUrl?.replace(/\/$/, '') ?? `${request.protocol}://${request.host}`}/fhir`;
    const send = (reply: FastifyReply, status: number, body: unknown): FastifyReply => reply.code(status).type(FHIR_JSON).send(JSON.stringify(body));

    if (signer) {
      app.addHook('onSend', async (request, reply, payload) => {
        if (typeof payload !== 'string') return payload;
        reply.header(SIGNATURE_HEADER, await signAnswer(payload, request.url, signer));
        return payload;
      });
    }

    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (error instanceof QueryError || error instanceof RangeError) return send(reply, 400, operationOutcome('invalid', error.message));
      if (error.validation || (error.statusCode !== undefined && error.statusCode < 500)) return send(reply, error.statusCode ?? 400, operationOutcome('invalid', error.message));
      request.log.error({ err: error }, 'directory request failed');
      return send(reply, 500, operationOutcome('exception', 'internal error', 'fatal'));
    });

    // Registration writes the mailbox, then its Endpoint (two stores). Should the second write have
    // failed, the first sender looking the address up publishes it: a local mailbox is never
    // unreachable through the directory for long.
    const publishMissing = async (search: URLSearchParams): Promise<void> => {
      if (!app.hasDecorator('relay') || app.relay.domain === undefined) return;
      const prefix = `${DIRECTORY_URIS.address}|`;
      for (const value of search.getAll('identifier')) {
        if (!value.startsWith(prefix)) continue;
        const address = value.slice(prefix.length).toLowerCase();
        if (!address.endsWith(`@${app.relay.domain}`) || (await store.get('Endpoint', endpointIdFor(address)))) continue;
        const mailbox = await app.relay.store.getMailbox(address);
        // Never from the request's Host header: an anonymous lookup must not choose the URL stored.
        const relayUrl = options.publicUrl ?? app.relay.publicUrl ?? (await findRelayUrl(store, app.relay.domain));
        if (mailbox && relayUrl !== undefined) await publishMailbox(store, mailbox, { relayUrl, ...(options.payloadTypes ? { payloadTypes: options.payloadTypes } : {}) });
      }
    };

    app.get('/fhir/metadata', async (request, reply) => send(reply, 200, capabilityStatement({ baseUrl: baseOf(request) })));

    app.get<{ Params: { type: string } }>('/fhir/:type', async (request, reply) => {
      const { type } = request.params;
      if (!isDirectoryType(type)) return send(reply, 404, operationOutcome('not-supported', `this directory does not serve ${type.slice(0, 64)}`));
      const search = new URLSearchParams(request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '');
      const parsed = parseQuery(type, search);
      if (type === 'Endpoint') await publishMissing(search);
      const page = await store.search(parsed.query);
      const base = baseOf(request);
      return send(reply, 200, await searchBundle(store, base, parsed, page, search, `${base.slice(0, -'/fhir'.length)}${request.url}`));
    });

    app.get<{ Params: { type: string; id: string } }>('/fhir/:type/:id', async (request, reply) => {
      const { type, id } = request.params;
      if (!isDirectoryType(type)) return send(reply, 404, operationOutcome('not-supported', `this directory does not serve ${type.slice(0, 64)}`));
      const resource = /^[A-Za-z0-9\-.]{1,64}$/.test(id) ? await store.get(type, id) : undefined;
      if (!resource) return send(reply, 404, operationOutcome('not-found', `${type}/${id.slice(0, 64)} is not in this directory`));
      const meta = resource.meta as { versionId?: string; lastUpdated?: string } | undefined;
      if (meta?.versionId) reply.header('etag', `W/"${meta.versionId}"`);
      if (meta?.lastUpdated) reply.header('last-modified', new Date(meta.lastUpdated).toUTCString());
      return send(reply, 200, resource);
    });
  },
  { name: 'sealpost-directory', encapsulate: true, fastify: '5.x' },
);
