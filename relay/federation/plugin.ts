/**
 * The receiving side of federation (docs/protocol.md, Federation): a pinned peer relay forwards a
 * message with `PUT /v1/relay/messages/{messageId}`, signed with its relay identity. The messageId
 * is the idempotency key exactly as for clients, so a forward retried after a lost answer is
 * stored once; `Sealpost-Hops` counts relay hops and a message past the limit is a loop (508).
 */
import { X509Certificate } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { RelayError } from '../errors.js';
import { normaliseAddress } from '../internal/address.js';
import { readBody, sha256Member } from '../internal/body.js';
import { verifyWithCertificate } from '../internal/tokens.js';
import { MESSAGE_ID_PATTERN } from '../plugins/submit.js';
import { problemSchema } from '../plugins/problems.js';
import type { NewSubmission } from '../storage/types.js';
import { groupWrites } from './group-writes.js';
import { signalOutbound } from './outbound-signal.js';
import { forwardsTo, resolvePeer } from './resolve-peer.js';
import { certificateNamesRelay, forwardSigningInput } from './signing.js';
import { eventSigningInput, wireEventOf } from '../timeline/carry-back.js';
import type { WireEvent } from '../timeline/carry-back.js';
import { claimsOf, relayEvent } from '../timeline/events.js';
import type { EventKind, TimelineEvent } from '../storage/types.js';

const OCTETS = ['application/octet-stream', 'application/pkcs7-mime', 'application/cms'];
/** How long a peer's relay certificate is trusted before it is fetched again, ms. */
const PEER_CERT_TTL_MS = 5 * 60_000;

const answerSchema = {
  type: 'object',
  required: ['messageId', 'digest', 'size', 'recipients', 'acceptedAt', 'expiresAt'],
  additionalProperties: false,
  properties: {
    messageId: { type: 'string' },
    digest: { type: 'string' },
    size: { type: 'integer' },
    recipients: { type: 'array', items: { type: 'string' } },
    acceptedAt: { type: 'string' },
    expiresAt: { type: 'string' },
    // With `Sealpost-Events: inline`: this relay's signed `forwarded` events, in the answer.
    events: {
      type: 'array',
      items: {
        type: 'object',
        required: ['messageId', 'kind', 'at', 'actor', 'recipient', 'reason', 'format', 'signed'],
        additionalProperties: false,
        properties: {
          messageId: { type: 'string' },
          kind: { type: 'string' },
          at: { type: 'string' },
          actor: { type: 'string' },
          recipient: { type: 'string' },
          reason: { type: ['string', 'null'] },
          format: { type: 'string' },
          signed: { type: 'string' },
        },
      },
    },
  },
} as const;

/** Federation routes: the relay identity and the forward endpoint. */
export const federationPlugin: FastifyPluginAsync = async (app) => {
  const config = app.relay;
  const { store } = config;
  app.addContentTypeParser(OCTETS, (_request, payload, done) => done(null, payload));

  app.get(
    '/v1/relay/identity',
    {
      schema: {
        response: {
          200: { type: 'object', required: ['domain', 'certificate'], additionalProperties: false, properties: { domain: { type: 'string' }, certificate: { type: 'string' } } },
          '4xx': problemSchema,
        },
      },
    },
    async () => {
      if (!config.identity || config.domain === undefined) throw new RelayError('ERR_RELAY_NOT_FOUND', 'this relay has no relay identity');
      return { domain: config.domain, certificate: Buffer.from(config.identity.certificate).toString('base64url') };
    },
  );

  // A peer's certificate comes from its pinned URL (the operator's configuration is the trust
  // anchor), and must name the peer's domain.
  const certs = new Map<string, { cert: X509Certificate; until: number }>();
  const peerCertificate = async (domain: string, fresh: boolean): Promise<X509Certificate> => {
    const cached = certs.get(domain);
    if (!fresh && cached && cached.until > config.now()) return cached.cert;
    const url = await resolvePeer(config, domain);
    if (url === undefined) throw new RelayError('ERR_RELAY_FORBIDDEN', `${domain} is not a peer of this relay and no relay was found for it`);
    let cert: X509Certificate;
    try {
      const res = await fetch(new URL('/v1/relay/identity', url), { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = (await res.json()) as { domain?: unknown; certificate?: unknown };
      if (body.domain !== domain || typeof body.certificate !== 'string') throw new Error(`it names '${String(body.domain)}'`);
      cert = new X509Certificate(Buffer.from(body.certificate, 'base64url'));
    } catch (error) {
      throw new RelayError('ERR_RELAY_AUTH', `cannot get the relay certificate of ${domain} from its pinned URL: ${(error as Error).message}`, { cause: error });
    }
    if (!certificateNamesRelay(cert, domain, config.now())) throw new RelayError('ERR_RELAY_AUTH', `the relay certificate of ${domain} does not name it or is not valid now`);
    certs.set(domain, { cert, until: config.now() + PEER_CERT_TTL_MS });
    return cert;
  };

  app.put<{ Params: { messageId: string } }>(
    '/v1/relay/messages/:messageId',
    {
      schema: {
        params: { type: 'object', required: ['messageId'], properties: { messageId: { type: 'string', pattern: MESSAGE_ID_PATTERN } } },
        headers: {
          type: 'object',
          required: ['sealpost-relay', 'sealpost-relay-signature', 'sealpost-sender', 'sealpost-to', 'sealpost-hops', 'content-digest'],
          properties: {
            'sealpost-relay': { type: 'string', maxLength: 253 },
            'sealpost-relay-signature': { type: 'string', pattern: '^[A-Za-z0-9_-]{1,1024}$' },
            'sealpost-sender': { type: 'string', maxLength: 254 },
            'sealpost-to': { type: 'string', maxLength: 32768 },
            'sealpost-hops': { type: 'string', pattern: '^[0-9]{1,3}$' },
            'sealpost-events': { type: 'string', enum: ['inline'] },
            'content-digest': { type: 'string', maxLength: 512 },
          },
        },
        response: { 201: answerSchema, '4xx': problemSchema, '5xx': problemSchema },
      },
    },
    async (request, reply) => {
      const h = request.headers as Record<string, string>;
      const stream = request.body as Readable | undefined;
      if (typeof stream?.pipe !== 'function') throw new RelayError('ERR_RELAY_UNSUPPORTED_MEDIA_TYPE', `Content-Type must be one of ${OCTETS.join(', ')}`);
      const relay = h['sealpost-relay']!.toLowerCase();
      if (!forwardsTo(config, relay)) throw new RelayError('ERR_RELAY_FORBIDDEN', `${relay} is not a peer of this relay`);
      const digest = sha256Member(h['content-digest']);
      if (digest === undefined) throw new RelayError('ERR_RELAY_BAD_REQUEST', 'Content-Digest: no sha-256 member');
      const hops = Number(h['sealpost-hops']);
      const sender = normaliseAddress(h['sealpost-sender']!);
      if (sender === undefined) throw new RelayError('ERR_RELAY_BAD_REQUEST', 'Sealpost-Sender is not an address');
      const to = h['sealpost-to']!.split(',').map((v) => v.trim());
      const facts = { relay, messageId: request.params.messageId, sender: h['sealpost-sender']!, to, hops, digest };
      const signature = Buffer.from(h['sealpost-relay-signature']!, 'base64url');
      let cert = await peerCertificate(relay, false);
      if (!verifyWithCertificate(cert.publicKey, forwardSigningInput(facts), signature)) {
        // The peer may have rotated its key since it was cached: look once more.
        cert = await peerCertificate(relay, true);
        if (!verifyWithCertificate(cert.publicKey, forwardSigningInput(facts), signature)) throw new RelayError('ERR_RELAY_AUTH', `the forward is not signed by ${relay}'s relay identity`);
      }
      if (hops > config.maxHops) throw new RelayError('ERR_RELAY_LOOP', `message ${request.params.messageId} has made ${hops} relay hops (limit ${config.maxHops}): a forwarding loop`);

      const recipients: string[] = [];
      const forward: NonNullable<NewSubmission['forward']> = [];
      for (const value of to) {
        const address = normaliseAddress(value);
        if (address === undefined) throw new RelayError('ERR_RELAY_BAD_REQUEST', `Sealpost-To: '${value.slice(0, 100)}' is not an address`);
        if (recipients.includes(address)) continue;
        const domain = address.slice(address.lastIndexOf('@') + 1);
        if (forwardsTo(config, domain)) forward.push({ recipient: address, peer: domain });
        else if (!(await store.getMailbox(address))) throw new RelayError('ERR_RELAY_UNKNOWN_RECIPIENT', `no mailbox ${address} on this relay`);
        recipients.push(address);
      }
      if (recipients.length === 0) throw new RelayError('ERR_RELAY_BAD_REQUEST', 'no recipient (Sealpost-To)');

      const now = config.now();
      const body = await readBody(stream, { store, chunkBytes: config.chunkBytes, maxBytes: config.maxSubmissionBytes, now });
      if (body.digest !== digest) throw new RelayError('ERR_RELAY_DIGEST_MISMATCH', `Content-Digest ${digest} does not match the body (${body.digest})`);
      // This relay's signed `forwarded` per recipient, committed with the message and queued back
      // to the forwarding relay (docs/protocol.md, Timeline).
      // With `Sealpost-Events: inline` they go back in this answer instead (recorded as returned):
      // one request and two commits fewer per message, and a retried forward gets them again.
      const inline = h['sealpost-events'] === 'inline';
      const events = await Promise.all(
        recipients.map(async (recipient) => ({
          ...(await relayEvent(config, { messageId: request.params.messageId, kind: 'forwarded', at: now, sender, digest: body.digest, recipient })),
          ...(inline ? { returnedAt: now } : {}),
        })),
      );
      const outcome = await store.submit({
        messageId: request.params.messageId,
        sender,
        recipients,
        digest: body.digest,
        size: body.size,
        submittedAt: now,
        expiresAt: now + config.expiryMs,
        ...(body.data ? { data: body.data } : { blobId: body.blobId! }),
        ...(forward.length > 0 ? { forward } : {}),
        hops,
        origin: relay,
        events,
      });
      app.metrics.submission(outcome.kind, body.size, 0);
      // Its `forwarded` goes back to the relay it came from (and any forward further on) at once.
      if (outcome.kind !== 'conflict') signalOutbound(store);
      if (outcome.kind === 'conflict') throw new RelayError('ERR_RELAY_CONFLICT', `messageId ${request.params.messageId} was already used for other content`);
      reply.code(201).header('content-digest', outcome.answer.digest);
      if (!inline) return outcome.answer;
      const own = (e: TimelineEvent): boolean => e.kind === 'forwarded' && e.actor === config.domain && recipients.includes(e.recipient);
      const stored = outcome.kind === 'created' ? [] : (await store.listTimeline(request.params.messageId)).filter(own);
      const answered =
        outcome.kind === 'created'
          ? events.map((e) => wireEventOf({ messageId: request.params.messageId, kind: e.kind, at: e.at, actor: e.actor, recipient: e.recipient ?? '', reason: e.reason ?? null, format: e.format, signed: e.signed } as TimelineEvent))
          : stored.map(wireEventOf);
      return { ...outcome.answer, events: answered };
    },
  );

  // Timeline events carried back by the relay a message was forwarded to (docs/protocol.md,
  // Timeline): accepted only from that relay, for a recipient in its domain, and stored once.
  // A peer carries back one event per message it received, concurrently: the events arriving
  // together are stored in one transaction (one durable commit), each answered after it.
  const addEvent = groupWrites((entries: Parameters<typeof store.addEvents>[0][number][]) => store.addEvents(entries));
  app.post<{ Body: WireEvent }>(
    '/v1/relay/events',
    {
      schema: {
        headers: {
          type: 'object',
          required: ['sealpost-relay', 'sealpost-relay-signature'],
          properties: { 'sealpost-relay': { type: 'string', maxLength: 253 }, 'sealpost-relay-signature': { type: 'string', pattern: '^[A-Za-z0-9_-]{1,1024}$' } },
        },
        body: {
          type: 'object',
          required: ['messageId', 'kind', 'at', 'actor', 'recipient', 'reason', 'format', 'signed'],
          additionalProperties: false,
          properties: {
            messageId: { type: 'string', pattern: MESSAGE_ID_PATTERN },
            kind: { type: 'string', enum: ['forwarded', 'delivered', 'imported', 'read', 'rejected', 'expired', 'undeliverable'] },
            at: { type: 'string', format: 'date-time' },
            actor: { type: 'string', maxLength: 254 },
            recipient: { type: 'string', minLength: 3, maxLength: 254 },
            reason: { type: ['string', 'null'], maxLength: 1000 },
            format: { type: 'string', enum: ['jws', 'cms', 'unsigned'] },
            signed: { type: 'string', pattern: '^[A-Za-z0-9_-]*$', maxLength: 200_000 },
          },
        },
        response: {
          200: { type: 'object', required: ['stored'], additionalProperties: false, properties: { stored: { type: 'string' } } },
          '4xx': problemSchema,
          '5xx': problemSchema,
        },
      },
    },
    async (request) => {
      const h = request.headers as Record<string, string>;
      const relay = h['sealpost-relay']!.toLowerCase();
      if (!forwardsTo(config, relay)) throw new RelayError('ERR_RELAY_FORBIDDEN', `${relay} is not a peer of this relay`);
      const wire = request.body;
      const signature = Buffer.from(h['sealpost-relay-signature']!, 'base64url');
      let cert = await peerCertificate(relay, false);
      if (!verifyWithCertificate(cert.publicKey, eventSigningInput(relay, wire), signature)) {
        cert = await peerCertificate(relay, true);
        if (!verifyWithCertificate(cert.publicKey, eventSigningInput(relay, wire), signature)) throw new RelayError('ERR_RELAY_AUTH', `the event is not signed by ${relay}'s relay identity`);
      }
      const recipient = normaliseAddress(wire.recipient);
      if (recipient === undefined || recipient.slice(recipient.lastIndexOf('@') + 1) !== relay) throw new RelayError('ERR_RELAY_FORBIDDEN', `${relay} cannot report on recipient ${wire.recipient}`);
      const receipt = wire.format === 'cms';
      if (receipt ? wire.actor !== recipient : wire.actor !== relay) throw new RelayError('ERR_RELAY_FORBIDDEN', `${relay} cannot report as ${wire.actor}`);
      if (receipt !== ['delivered', 'imported', 'read', 'rejected'].includes(wire.kind)) throw new RelayError('ERR_RELAY_BAD_REQUEST', `a ${wire.kind} event cannot have format ${wire.format}`);
      // The message must have been sent from here to that recipient: the own event that routed it
      // (accepted at the home relay, forwarded at a relay in between) names it.
      const timeline = await store.listTimeline(wire.messageId);
      const routed = timeline.some((e) => {
        if (e.actor !== (config.domain ?? '') || (e.kind !== 'accepted' && e.kind !== 'forwarded')) return false;
        const claims = claimsOf(e);
        return claims?.recipients?.includes(recipient) === true || claims?.recipient === recipient;
      });
      if (!routed) throw new RelayError('ERR_RELAY_NOT_FOUND', `no message ${wire.messageId} sent to ${recipient} from this relay`);
      const message = await store.getAnswer(wire.messageId);
      const stored = await addEvent({
        messageId: wire.messageId,
        sender: timeline[0]!.sender,
        returnTo: message?.origin ?? null,
        event: {
          kind: wire.kind as EventKind,
          at: Date.parse(wire.at),
          actor: wire.actor,
          recipient,
          ...(wire.reason !== null ? { reason: wire.reason } : {}),
          format: wire.format,
          signed: Buffer.from(wire.signed, 'base64url'),
        },
      });
      // An event for a message that came from further back is carried on at once.
      if (stored === 'created' && message?.origin) signalOutbound(store);
      return { stored };
    },
  );
};
