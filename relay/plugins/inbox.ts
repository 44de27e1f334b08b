/**
 * The recipient's side (docs/protocol.md §7): paged inbox listing (optionally of unacknowledged
 * messages only, and carrying small envelopes, so collecting a small letter costs no download), download with HTTP Range so a broken
 * download resumes, and acknowledgement, one message or many in one commit. A token only opens its
 * own mailbox: any other address in the path is 403, and another mailbox's messageId looks exactly
 * like a missing one.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { RelayError } from '../errors.js';
import { ADDRESS_PATTERN, normaliseAddress } from '../internal/address.js';
import { problemSchema } from './problems.js';
import { MESSAGE_ID_PATTERN } from './submit.js';
import { timelinePlugin } from '../timeline/plugin.js';

const itemSchema = {
  type: 'object',
  required: ['messageId', 'from', 'size', 'digest', 'submittedAt', 'expiresAt', 'acknowledgedAt'],
  additionalProperties: false,
  properties: {
    messageId: { type: 'string' },
    from: { type: 'string' },
    size: { type: 'integer' },
    digest: { type: 'string' },
    submittedAt: { type: 'string' },
    expiresAt: { type: 'string' },
    acknowledgedAt: { type: ['string', 'null'] },
    /** base64url of the envelope, only with `include=envelope` and only on the items that carry it. */
    envelope: { type: 'string' },
  },
} as const;

/** Most messageIds in one bulk acknowledgement (docs/protocol.md §8). */
export const MAX_BULK_ACKS = 1000;

const iso = (ms: number): string => new Date(ms).toISOString();

/** Parses a single `bytes=a-b`, `bytes=a-` or `bytes=-n` range; undefined means "send it whole". */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Multiple or malformed ranges: RFC 9110 §14.2 lets a server ignore Range and send 200.
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

export const inboxPlugin: FastifyPluginAsync = async (app) => {
  const { store } = app.relay;
  app.addHook('preHandler', app.authenticate);
  // The timeline routes share this plugin's authentication (docs/protocol.md, Timeline).
  await app.register(timelinePlugin);

  const ownMailbox = (request: FastifyRequest<{ Params: { address: string } }>): string => {
    const address = normaliseAddress(request.params.address);
    if (address === undefined || address !== request.mailbox) throw new RelayError('ERR_RELAY_FORBIDDEN', 'the token is not valid for this mailbox');
    return address;
  };
  const params = {
    type: 'object',
    required: ['address', 'messageId'],
    properties: { address: { type: 'string', pattern: ADDRESS_PATTERN, maxLength: 254 }, messageId: { type: 'string', pattern: MESSAGE_ID_PATTERN } },
  } as const;

  const { inlineEnvelopeBytes, inlinePageBytes } = app.relay;
  const addressParams = { type: 'object', required: ['address'], properties: { address: { type: 'string', pattern: ADDRESS_PATTERN, maxLength: 254 } } } as const;

  app.get<{ Params: { address: string }; Querystring: { cursor?: string; limit?: number; include?: 'envelope'; only?: 'unacknowledged' } }>(
    '/v1/mailboxes/:address/messages',
    {
      schema: {
        params: addressParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            cursor: { type: 'string', pattern: '^[0-9]{1,15}$' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            include: { type: 'string', enum: ['envelope'] },
            only: { type: 'string', enum: ['unacknowledged'] },
          },
        },
        response: {
          200: { type: 'object', required: ['items', 'nextCursor'], additionalProperties: false, properties: { items: { type: 'array', items: itemSchema }, nextCursor: { type: ['string', 'null'] } } },
          '4xx': problemSchema,
        },
      },
    },
    async (request) => {
      const mailbox = ownMailbox(request);
      const limit = request.query.limit ?? 100;
      const now = app.relay.now();
      const items = await store.listInbox(mailbox, Number(request.query.cursor ?? 0), limit, now, { unacknowledged: request.query.only === 'unacknowledged' });
      const last = items.at(-1);
      let contents: Map<string, Uint8Array> | undefined;
      if (request.query.include === 'envelope') {
        // Unacknowledged items only (an acknowledged one is already stored on the recipient's
        // side), each small enough, in listing order while the page's budget lasts: the answer
        // stays a bounded JSON document however large the messages are.
        const inline: string[] = [];
        let total = 0;
        for (const i of items) {
          if (i.acknowledgedAt !== null || i.size > inlineEnvelopeBytes || total + i.size > inlinePageBytes) continue;
          inline.push(i.messageId);
          total += i.size;
        }
        if (inline.length > 0) contents = await store.readContents(mailbox, inline, now);
      }
      return {
        items: items.map((i) => ({
          messageId: i.messageId,
          from: i.sender,
          size: i.size,
          digest: i.digest,
          submittedAt: iso(i.submittedAt),
          expiresAt: iso(i.expiresAt),
          acknowledgedAt: i.acknowledgedAt === null ? null : iso(i.acknowledgedAt),
          ...envelopeOf(contents?.get(i.messageId)),
        })),
        // The cursor is the delivery sequence number: opaque to clients, stable under new arrivals.
        nextCursor: items.length === limit && last ? String(last.seq) : null,
      };
    },
  );

  app.get<{ Params: { address: string; messageId: string } }>(
    '/v1/mailboxes/:address/messages/:messageId',
    { schema: { params, response: { '4xx': problemSchema } } },
    async (request, reply) => {
      const mailbox = ownMailbox(request);
      const delivery = await store.getDelivery(mailbox, request.params.messageId, app.relay.now());
      if (!delivery) throw new RelayError('ERR_RELAY_NOT_FOUND', `no message ${request.params.messageId} in ${mailbox}`);
      const etag = `"${delivery.digest}"`;
      const ifRange = request.headers['if-range'];
      const range = ifRange === undefined || ifRange === etag ? parseRange(request.headers.range, delivery.size) : undefined;
      reply.header('accept-ranges', 'bytes').header('etag', etag).header('content-digest', delivery.digest).header('sealpost-from', delivery.sender).type('application/octet-stream');
      if (range === 'unsatisfiable') {
        reply.header('content-range', `bytes */${delivery.size}`);
        throw new RelayError('ERR_RELAY_RANGE', `range not satisfiable for ${delivery.size} bytes`);
      }
      const { start, end } = range ?? { start: 0, end: delivery.size - 1 };
      if (range) reply.code(206).header('content-range', `bytes ${start}-${end}/${delivery.size}`);
      reply.header('content-length', end - start + 1);
      return reply.send(Readable.from(store.readBlob(delivery.blobId, start, end), { objectMode: false }));
    },
  );

  app.post<{ Params: { address: string; messageId: string } }>(
    '/v1/mailboxes/:address/messages/:messageId/ack',
    {
      schema: {
        params,
        response: { 200: { type: 'object', required: ['messageId', 'acknowledgedAt'], additionalProperties: false, properties: { messageId: { type: 'string' }, acknowledgedAt: { type: 'string' } } }, '4xx': problemSchema },
      },
    },
    async (request) => {
      const mailbox = ownMailbox(request);
      const at = await store.acknowledge(mailbox, request.params.messageId, app.relay.now());
      if (at === undefined) throw new RelayError('ERR_RELAY_NOT_FOUND', `no message ${request.params.messageId} in ${mailbox}`);
      return { messageId: request.params.messageId, acknowledgedAt: iso(at) };
    },
  );

  app.post<{ Params: { address: string }; Body: { messageIds: string[] } }>(
    '/v1/mailboxes/:address/acks',
    {
      schema: {
        params: addressParams,
        body: {
          type: 'object',
          required: ['messageIds'],
          additionalProperties: false,
          properties: { messageIds: { type: 'array', minItems: 1, maxItems: MAX_BULK_ACKS, uniqueItems: true, items: { type: 'string', pattern: MESSAGE_ID_PATTERN } } },
        },
        response: {
          200: {
            type: 'object',
            required: ['acknowledged', 'notFound'],
            additionalProperties: false,
            properties: {
              acknowledged: {
                type: 'array',
                items: { type: 'object', required: ['messageId', 'acknowledgedAt'], additionalProperties: false, properties: { messageId: { type: 'string' }, acknowledgedAt: { type: 'string' } } },
              },
              notFound: { type: 'array', items: { type: 'string' } },
            },
          },
          '4xx': problemSchema,
        },
      },
    },
    async (request) => {
      const mailbox = ownMailbox(request);
      const { messageIds } = request.body;
      const at = await store.acknowledgeMany(mailbox, messageIds, app.relay.now());
      const acknowledged: { messageId: string; acknowledgedAt: string }[] = [];
      const notFound: string[] = [];
      messageIds.forEach((messageId, i) => {
        const when = at[i];
        if (when === undefined) notFound.push(messageId);
        else acknowledged.push({ messageId, acknowledgedAt: iso(when) });
      });
      return { acknowledged, notFound };
    },
  );
};

/** The `envelope` member of a listed item that carries its content (base64url, as the protocol's other bytes in JSON). */
function envelopeOf(content: Uint8Array | undefined): { envelope?: string } {
  return content ? { envelope: Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('base64url') } : {};
}
