/**
 * The delivery timeline routes (docs/protocol.md, Timeline), registered inside the authenticated
 * inbox plugin:
 * - `GET /v1/messages/{id}/timeline` — the sender's view: relay events and recipient receipts in
 *   the order this relay recorded them, each with its signed bytes. Anyone but the sender gets the
 *   same 404 as for a message that does not exist.
 * - `POST /v1/messages/{id}/receipts` — a recipient's signed receipt (CMS sealed to the sender: the
 *   relay stores it without reading it) with its status in clear. Stored once; carried back to the
 *   relay the message came from, when it came from a peer.
 */
import type { FastifyPluginAsync } from 'fastify';
import { RelayError } from '../errors.js';
import type { EventKind, TimelineEvent } from '../storage/types.js';
import { problemSchema } from '../plugins/problems.js';
import { MESSAGE_ID_PATTERN } from '../plugins/submit.js';
import { actorOf, claimsOf, signPendingEvents } from './events.js';
import { signalOutbound } from '../federation/outbound-signal.js';

const RECEIPT_STATUSES = ['delivered', 'imported', 'read', 'rejected'] as const;

const entrySchema = {
  type: 'object',
  required: ['seq', 'kind', 'at', 'actor', 'recipient', 'reason', 'format', 'signed'],
  additionalProperties: false,
  properties: {
    seq: { type: 'integer' },
    kind: { type: 'string' },
    at: { type: 'string' },
    actor: { type: 'string' },
    recipient: { type: ['string', 'null'] },
    reason: { type: ['string', 'null'] },
    format: { type: 'string', enum: ['jws', 'cms', 'unsigned'] },
    signed: { type: ['string', 'null'] },
  },
} as const;

/** The wire form of one stored event. */
export function entryOf(e: TimelineEvent): Record<string, unknown> {
  return {
    seq: e.seq,
    kind: e.kind,
    at: new Date(e.at).toISOString(),
    actor: e.actor,
    recipient: e.recipient === '' ? null : e.recipient,
    reason: e.reason,
    format: e.format,
    signed: e.signed ? Buffer.from(e.signed).toString('base64url') : null,
  };
}

const params = { type: 'object', required: ['messageId'], properties: { messageId: { type: 'string', pattern: MESSAGE_ID_PATTERN } } } as const;

export const timelinePlugin: FastifyPluginAsync = async (app) => {
  const config = app.relay;
  const { store } = config;

  app.get<{ Params: { messageId: string } }>(
    '/v1/messages/:messageId/timeline',
    {
      schema: {
        params,
        response: {
          200: { type: 'object', required: ['messageId', 'events'], additionalProperties: false, properties: { messageId: { type: 'string' }, events: { type: 'array', items: entrySchema } } },
          '4xx': problemSchema,
        },
      },
    },
    async (request) => {
      const { messageId } = request.params;
      let events = await store.listTimeline(messageId);
      // Another mailbox's message looks exactly like a missing one.
      if (events.length === 0 || events[0]!.sender !== request.mailbox) throw new RelayError('ERR_RELAY_NOT_FOUND', `no message ${messageId} sent by ${request.mailbox}`);
      if (events.some((e) => e.actor === '')) {
        // Expiries recorded by purge are signed on first sight (the forwarder signs the rest).
        await signPendingEvents(config, { messageId });
        events = await store.listTimeline(messageId);
      }
      return { messageId, events: events.map(entryOf) };
    },
  );

  /**
   * The sender and origin relay of a message `mailbox` received here: from its delivery while the
   * message is kept, afterwards (acknowledged and purged: a late `read`) from this relay's own
   * accepted/forwarded event naming the mailbox, for as long as the timeline is kept.
   */
  const recipientRoute = async (messageId: string, mailbox: string, now: number): Promise<{ sender: string; origin: string | null } | undefined> => {
    const [delivery, message] = await Promise.all([store.getDelivery(mailbox, messageId, now), store.getAnswer(messageId)]);
    if (delivery && message) return { sender: message.sender, origin: message.origin };
    const own = (await store.listTimeline(messageId)).find((e) => {
      if (e.actor !== actorOf(config) || (e.kind !== 'accepted' && e.kind !== 'forwarded')) return false;
      const claims = claimsOf(e);
      return claims?.recipient === mailbox || claims?.recipients?.includes(mailbox) === true;
    });
    return own ? { sender: own.sender, origin: own.returnTo } : undefined;
  };

  app.post<{ Params: { messageId: string }; Body: { status: (typeof RECEIPT_STATUSES)[number]; reason?: string; receipt: string } }>(
    '/v1/messages/:messageId/receipts',
    {
      schema: {
        params,
        body: {
          type: 'object',
          required: ['status', 'receipt'],
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: [...RECEIPT_STATUSES] },
            reason: { type: 'string', minLength: 1, maxLength: 1000 },
            receipt: { type: 'string', pattern: '^[A-Za-z0-9_-]+$', minLength: 16, maxLength: 200_000 },
          },
        },
        response: {
          201: { type: 'object', required: ['messageId', 'kind', 'at', 'stored'], additionalProperties: false, properties: { messageId: { type: 'string' }, kind: { type: 'string' }, at: { type: 'string' }, stored: { type: 'string' } } },
          200: { type: 'object', required: ['messageId', 'kind', 'at', 'stored'], additionalProperties: false, properties: { messageId: { type: 'string' }, kind: { type: 'string' }, at: { type: 'string' }, stored: { type: 'string' } } },
          '4xx': problemSchema,
        },
      },
    },
    async (request, reply) => {
      const { messageId } = request.params;
      const { status, reason } = request.body;
      if (status === 'rejected' && reason === undefined) throw new RelayError('ERR_RELAY_BAD_REQUEST', 'a rejected receipt needs a reason');
      const mailbox = request.mailbox;
      const now = config.now();
      // Only a recipient of the message at this relay may report on it; for anyone else it does not exist.
      const route = await recipientRoute(messageId, mailbox, now);
      if (!route) throw new RelayError('ERR_RELAY_NOT_FOUND', `no message ${messageId} in ${mailbox}`);
      const kind: EventKind = status;
      const stored = await store.addEvent(messageId, route.sender, route.origin, {
        kind,
        at: now,
        actor: mailbox,
        recipient: mailbox,
        ...(reason !== undefined ? { reason } : {}),
        format: 'cms',
        signed: Buffer.from(request.body.receipt, 'base64url'),
      });
      // A receipt for a message from another relay is carried back at once, not at the next poll.
      if (stored === 'created' && route.origin) signalOutbound(store);
      let at = now;
      if (stored === 'exists') at = (await store.listTimeline(messageId)).find((e) => e.kind === kind && e.actor === mailbox && e.recipient === mailbox)?.at ?? now;
      reply.code(stored === 'created' ? 201 : 200);
      return { messageId, kind, at: new Date(at).toISOString(), stored };
    },
  );
};
