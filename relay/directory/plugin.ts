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
import { SIGNATURE_HEADER, signAnswer } from '@sealpost/sdk/directory';
import { capabilityStatement } from './capability-statement.js';
import { operationOutcome, searchBundle } from './internal/bundle.js';
import { parseQuery, QueryError } from './internal/parse-query.js';
import { isDirectoryType } from './internal/search-params.js';
import type { DirectoryStore } from './storage/types.js';

/** Options of {@link directoryPlugin}. */
export interface DirectoryPluginOptions {
  store: DirectoryStore;
  /** Relay identity that signs every answer. Without it answers are unsigned (development only). */
  signer?: Identity;
  /** Public base URL of the relay (`https://relay.example`), for fullUrl and paging links. Default: from the request. */
  publicUrl?: string;
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

    app.get('/fhir/metadata', async (request, reply) => send(reply, 200, capabilityStatement({ baseUrl: baseOf(request) })));

    app.get<{ Params: { type: string } }>('/fhir/:type', async (request, reply) => {
      const { type } = request.params;
      if (!isDirectoryType(type)) return send(reply, 404, operationOutcome('not-supported', `this directory does not serve ${type.slice(0, 64)}`));
      const search = new URLSearchParams(request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '');
      const parsed = parseQuery(type, search);
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
