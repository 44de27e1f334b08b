/**
 * The one place that turns errors into problem+json (RFC 9457): RelayError codes map to their
 * status, fastify's own errors (bad JSON, wrong content type, body too large, schema validation)
 * to relay codes, storage failures to 503 and anything else to 500 — with 5xx detail hidden.
 */
import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply } from 'fastify';
import type { Socket } from 'node:net';
import { RELAY_ERRORS, RelayError } from '../errors.js';
import type { RelayErrorCode } from '../errors.js';
import { StoreError } from '../storage/errors.js';

/** Response schema for problem+json bodies (declared on routes so no extra member can leak). */
export const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string' },
    nextIndex: { type: 'integer' },
    received: { type: 'integer' },
  },
} as const;

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  508: 'Loop Detected',
};

export function problem(code: RelayErrorCode, detail: string | undefined, extra?: Record<string, unknown>): Record<string, unknown> {
  const status = RELAY_ERRORS[code];
  return { type: `urn:sealpost:problem:${code}`, title: TITLES[status] ?? 'Error', status, code, ...(detail !== undefined ? { detail } : {}), ...extra };
}

/** Maps fastify's framework errors to relay codes. */
function fromFastify(error: FastifyError): RelayError | undefined {
  if (error.validation) return new RelayError('ERR_RELAY_BAD_REQUEST', error.message);
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new RelayError('ERR_RELAY_TOO_LARGE', 'request body too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? new RelayError('ERR_RELAY_UNSUPPORTED_MEDIA_TYPE', error.message) : new RelayError('ERR_RELAY_BAD_REQUEST', error.message);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new RelayError('ERR_RELAY_BAD_REQUEST', 'body: invalid JSON');
    case 'FST_ERR_RATE_LIMIT_EXCEEDED':
      return new RelayError('ERR_RELAY_RATE_LIMITED', error.message);
    default:
      break;
  }
  if (error.statusCode === 429) return new RelayError('ERR_RELAY_RATE_LIMITED', error.message);
  if (error instanceof SyntaxError || error.statusCode === 400) return new RelayError('ERR_RELAY_BAD_REQUEST', error.message);
  if (error.statusCode === 415) return new RelayError('ERR_RELAY_UNSUPPORTED_MEDIA_TYPE', error.message);
  if (error.statusCode === 413) return new RelayError('ERR_RELAY_TOO_LARGE', error.message);
  return undefined;
}

function send(reply: FastifyReply, body: Record<string, unknown>): FastifyReply {
  // After a 413 the rest of the body is unread: close the connection instead of draining it.
  if (body.status === 413) reply.header('connection', 'close');
  return reply
    .code(body.status as number)
    .type('application/problem+json')
    .send(JSON.stringify(body));
}

/** Writes a problem+json answer straight to a socket (client errors Node rejects before fastify). */
export function socketProblem(socket: Socket, code: RelayErrorCode, detail: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(problem(code, detail));
  const status = RELAY_ERRORS[code];
  socket.end(
    `HTTP/1.1 ${status} ${TITLES[status] ?? 'Error'}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export const problemsPlugin = fp(
  async (app) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const relayError = error instanceof RelayError ? error : fromFastify(error);
      if (relayError) {
        // A loop (508) is a peer's routing fault, not ours: its detail is shown and not logged as an error.
        const internal = relayError.status >= 500 && relayError.code !== 'ERR_RELAY_LOOP';
        if (internal) request.log.error({ err: error }, 'request failed');
        return send(reply, problem(relayError.code, internal ? undefined : relayError.message, relayError.extra));
      }
      if (error instanceof StoreError) {
        request.log.error({ err: error }, 'storage failure');
        return send(reply, problem('ERR_RELAY_UNAVAILABLE', 'storage unavailable, retry later'));
      }
      request.log.error({ err: error }, 'unexpected error');
      return send(reply, problem('ERR_RELAY_INTERNAL', undefined));
    });
    app.setNotFoundHandler((request, reply) => send(reply, problem('ERR_RELAY_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)));
  },
  { name: 'sealpost-problems' },
);
