/**
 * Submissions (docs/protocol.md §5, §6): one-request submit of an envelope, and resumable chunked
 * uploads for large submissions. The messageId is the idempotency key; 201 is sent only after the
 * store has durably committed the message and its deliveries.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { RelayError } from '../errors.js';
import { ADDRESS_PATTERN, normaliseAddress } from '../internal/address.js';
import { digestOf, readBody, sha256Member } from '../internal/body.js';
import type { NewSubmission, SubmitAnswer, SubmitOutcome, Upload } from '../storage/types.js';
import { signalOutbound } from '../federation/outbound-signal.js';
import { forwardsTo } from '../federation/resolve-peer.js';
import { relayEvent } from '../timeline/events.js';
import { problemSchema } from './problems.js';

export const MESSAGE_ID_PATTERN = '^[A-Za-z0-9._~-]{1,128}$';
const MAX_RECIPIENTS = 100;

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
  },
} as const;

const uploadSchema = {
  type: 'object',
  required: ['uploadId', 'messageId', 'size', 'chunkSize', 'nextIndex', 'received', 'expiresAt'],
  additionalProperties: false,
  properties: {
    uploadId: { type: 'string' },
    messageId: { type: 'string' },
    size: { type: 'integer' },
    chunkSize: { type: 'integer' },
    nextIndex: { type: 'integer' },
    received: { type: 'integer' },
    expiresAt: { type: 'string' },
  },
} as const;

const uploadView = (u: Upload): Record<string, unknown> => ({
  uploadId: u.uploadId,
  messageId: u.messageId,
  size: u.size,
  chunkSize: u.chunkSize,
  nextIndex: u.nextIndex,
  received: u.received,
  expiresAt: new Date(u.expiresAt).toISOString(),
});

const OCTETS = ['application/octet-stream', 'application/pkcs7-mime', 'application/cms'];

export const submitPlugin: FastifyPluginAsync = async (app) => {
  const { store } = app.relay;
  // Bodies arrive as streams; readBody enforces the limits and writes chunks as they come.
  app.addContentTypeParser(OCTETS, (_request, payload, done) => done(null, payload));
  app.addHook('preHandler', app.authenticate);

  // Known recipients are cached (mailboxes are never deleted), so a submission to a known mailbox
  // costs no extra database read.
  const known = new Set<string>();
  const checkRecipients = async (raw: string[]): Promise<string[]> => {
    if (raw.length === 0) throw new RelayError('ERR_RELAY_BAD_REQUEST', 'no recipient (Sealpost-To)');
    if (raw.length > MAX_RECIPIENTS) throw new RelayError('ERR_RELAY_BAD_REQUEST', `more than ${MAX_RECIPIENTS} recipients`);
    const out: string[] = [];
    for (const value of raw) {
      const address = normaliseAddress(value);
      if (address === undefined) throw new RelayError('ERR_RELAY_BAD_REQUEST', `Sealpost-To: '${value.slice(0, 100)}' is not an address`);
      if (peerOf(address) === undefined && !known.has(address)) {
        if (!(await store.getMailbox(address))) throw new RelayError('ERR_RELAY_UNKNOWN_RECIPIENT', `no mailbox ${address} on this relay`);
        if (known.size > 100_000) known.clear();
        known.add(address);
      }
      if (!out.includes(address)) out.push(address);
    }
    return out;
  };

  // Recipients in a pinned peer's domain are forwarded, not delivered here (docs/protocol.md, Federation).
  const peerOf = (address: string): string | undefined => {
    const domain = address.slice(address.lastIndexOf('@') + 1);
    return forwardsTo(app.relay, domain) ? domain : undefined;
  };
  const forwardOf = (recipients: string[]): { forward?: NewSubmission['forward'] } => {
    const forward = recipients.flatMap((recipient) => {
      const peer = peerOf(recipient);
      return peer === undefined ? [] : [{ recipient, peer }];
    });
    return forward.length > 0 ? { forward } : {};
  };

  const answer = (outcome: SubmitOutcome, started: bigint, size: number): SubmitAnswer => {
    // Committed forwards go out at once, not at the forwarder's next poll.
    if (outcome.kind === 'created') signalOutbound(store);
    app.metrics.submission(outcome.kind, size, Number(process.hrtime.bigint() - started) / 1e9);
    if (outcome.kind === 'conflict') throw new RelayError('ERR_RELAY_CONFLICT', `messageId ${outcome.answer.messageId} was already used for other content`);
    return outcome.answer;
  };

  // The home relay's signed `accepted`, committed with the message (docs/protocol.md, Timeline).
  const accepted = async (messageId: string, sender: string, recipients: string[], digest: string, at: number): Promise<Pick<NewSubmission, 'events'>> => ({
    events: [await relayEvent(app.relay, { messageId, kind: 'accepted', at, sender, digest, recipients })],
  });

  const bodyStream = (request: FastifyRequest): Readable => {
    if (typeof (request.body as Readable | undefined)?.pipe !== 'function') throw new RelayError('ERR_RELAY_UNSUPPORTED_MEDIA_TYPE', `Content-Type must be one of ${OCTETS.join(', ')}`);
    return request.body as Readable;
  };

  const declaredLength = (request: FastifyRequest, max: number): void => {
    const length = Number(request.headers['content-length'] ?? 0);
    if (length > max) throw new RelayError('ERR_RELAY_TOO_LARGE', `body of ${length} bytes over the limit of ${max}`);
  };

  app.put<{ Params: { messageId: string } }>(
    '/v1/messages/:messageId',
    {
      schema: {
        params: { type: 'object', required: ['messageId'], properties: { messageId: { type: 'string', pattern: MESSAGE_ID_PATTERN } } },
        headers: { type: 'object', required: ['sealpost-to'], properties: { 'sealpost-to': { type: 'string', maxLength: 32768 }, 'content-digest': { type: 'string', maxLength: 512 } } },
        response: { 201: answerSchema, '4xx': problemSchema, '5xx': problemSchema },
      },
    },
    async (request, reply) => {
      const started = process.hrtime.bigint();
      const config = app.relay;
      const stream = bodyStream(request);
      declaredLength(request, config.maxEnvelopeBytes);
      const recipients = await checkRecipients(String(request.headers['sealpost-to']).split(','));
      const declared = request.headers['content-digest'];
      const expected = sha256Member(typeof declared === 'string' ? declared : undefined);
      if (declared !== undefined && expected === undefined) throw new RelayError('ERR_RELAY_BAD_REQUEST', 'Content-Digest: no sha-256 member');
      const now = config.now();
      const body = await readBody(stream, { store, chunkBytes: config.chunkBytes, maxBytes: config.maxEnvelopeBytes, now });
      if (body.size === 0) throw new RelayError('ERR_RELAY_BAD_REQUEST', 'empty body');
      if (expected !== undefined && expected !== body.digest) throw new RelayError('ERR_RELAY_DIGEST_MISMATCH', `Content-Digest ${expected} does not match the body (${body.digest})`);
      const submission: NewSubmission = {
        messageId: request.params.messageId,
        sender: request.mailbox,
        recipients,
        digest: body.digest,
        size: body.size,
        submittedAt: now,
        expiresAt: now + config.expiryMs,
        ...(body.data ? { data: body.data } : { blobId: body.blobId! }),
        ...forwardOf(recipients),
        ...(await accepted(request.params.messageId, request.mailbox, recipients, body.digest, now)),
      };
      const result = answer(await store.submit(submission), started, body.size);
      reply.code(201).header('content-digest', result.digest);
      return result;
    },
  );

  app.post<{ Body: { messageId: string; to: string[]; size: number; digest: string } }>(
    '/v1/uploads',
    {
      schema: {
        body: {
          type: 'object',
          required: ['messageId', 'to', 'size', 'digest'],
          additionalProperties: false,
          properties: {
            messageId: { type: 'string', pattern: MESSAGE_ID_PATTERN },
            to: { type: 'array', minItems: 1, maxItems: MAX_RECIPIENTS, items: { type: 'string', pattern: ADDRESS_PATTERN, maxLength: 254 } },
            size: { type: 'integer', minimum: 1 },
            digest: { type: 'string', pattern: '^sha-256=:[A-Za-z0-9+/]{43}=:$' },
          },
        },
        response: { 200: { type: 'object', properties: { message: answerSchema } }, 201: uploadSchema, '4xx': problemSchema, '5xx': problemSchema },
      },
    },
    async (request, reply) => {
      const config = app.relay;
      if (request.body.size > config.maxSubmissionBytes) throw new RelayError('ERR_RELAY_TOO_LARGE', `submission of ${request.body.size} bytes over the limit of ${config.maxSubmissionBytes}`);
      const recipients = await checkRecipients(request.body.to);
      const existing = await store.getAnswer(request.body.messageId);
      if (existing) {
        if (existing.sender !== request.mailbox || existing.answer.digest !== request.body.digest) {
          throw new RelayError('ERR_RELAY_CONFLICT', `messageId ${request.body.messageId} was already used for other content`);
        }
        // Already committed (an earlier upload finished): the first answer again, nothing to send.
        return reply.code(200).send({ message: existing.answer });
      }
      const now = config.now();
      const upload: Upload = {
        uploadId: randomUUID(),
        messageId: request.body.messageId,
        sender: request.mailbox,
        recipients,
        size: request.body.size,
        chunkSize: config.chunkBytes,
        digest: request.body.digest,
        blobId: randomUUID(),
        nextIndex: 0,
        received: 0,
        createdAt: now,
        expiresAt: now + config.uploadTtlMs,
      };
      await store.createUpload(upload);
      reply.code(201).header('location', `/v1/uploads/${upload.uploadId}`);
      return uploadView(upload);
    },
  );

  const ownUpload = async (request: FastifyRequest, uploadId: string): Promise<Upload> => {
    const upload = await store.getUpload(uploadId);
    // Another mailbox's upload looks exactly like a missing one.
    if (!upload || upload.sender !== request.mailbox || upload.expiresAt <= app.relay.now()) throw new RelayError('ERR_RELAY_NOT_FOUND', `no upload ${uploadId}`);
    return upload;
  };
  const uploadParams = { type: 'object', required: ['uploadId'], properties: { uploadId: { type: 'string', format: 'uuid' } } } as const;

  app.get<{ Params: { uploadId: string } }>(
    '/v1/uploads/:uploadId',
    { schema: { params: uploadParams, response: { 200: uploadSchema, '4xx': problemSchema } } },
    async (request) => uploadView(await ownUpload(request, request.params.uploadId)),
  );

  app.put<{ Params: { uploadId: string; index: number } }>(
    '/v1/uploads/:uploadId/chunks/:index',
    {
      schema: {
        params: { type: 'object', required: ['uploadId', 'index'], properties: { uploadId: { type: 'string', format: 'uuid' }, index: { type: 'integer', minimum: 0 } } },
        headers: { type: 'object', required: ['content-digest'], properties: { 'content-digest': { type: 'string', maxLength: 512 } } },
        response: { 200: uploadSchema, '4xx': problemSchema, '5xx': problemSchema },
      },
    },
    async (request) => {
      const stream = bodyStream(request);
      const upload = await ownUpload(request, request.params.uploadId);
      const { index } = request.params;
      const expectedSize = Math.min(upload.chunkSize, upload.size - index * upload.chunkSize);
      if (expectedSize <= 0) throw new RelayError('ERR_RELAY_TOO_LARGE', `chunk ${index} is beyond the declared size of ${upload.size} bytes`);
      declaredLength(request, expectedSize);
      const expected = sha256Member(request.headers['content-digest'] as string);
      if (expected === undefined) throw new RelayError('ERR_RELAY_BAD_REQUEST', 'Content-Digest: no sha-256 member');
      const pieces: Buffer[] = [];
      let size = 0;
      const hash = createHash('sha256');
      for await (const piece of stream as AsyncIterable<Buffer>) {
        size += piece.length;
        if (size > expectedSize) {
          throw new RelayError('ERR_RELAY_TOO_LARGE', `chunk ${index} over its size of ${expectedSize} bytes`);
        }
        hash.update(piece);
        pieces.push(piece);
      }
      if (size !== expectedSize) throw new RelayError('ERR_RELAY_BAD_REQUEST', `chunk ${index} has ${size} bytes, expected ${expectedSize}`);
      const digest = digestOf(hash.digest());
      if (digest !== expected) throw new RelayError('ERR_RELAY_DIGEST_MISMATCH', `chunk ${index}: Content-Digest ${expected} does not match the body (${digest})`);
      const outcome = await store.putUploadChunk(upload.uploadId, index, Buffer.concat(pieces, size), digest);
      if (!outcome) throw new RelayError('ERR_RELAY_NOT_FOUND', `no upload ${upload.uploadId}`);
      const extra = { nextIndex: outcome.upload.nextIndex, received: outcome.upload.received };
      if (outcome.kind === 'out-of-order') throw new RelayError('ERR_RELAY_CHUNK_ORDER', `chunk ${index} out of order: the next chunk is ${outcome.upload.nextIndex}`, { extra });
      if (outcome.kind === 'digest-differs') throw new RelayError('ERR_RELAY_CHUNK_ORDER', `chunk ${index} was already received with other content`, { extra });
      return uploadView(outcome.upload);
    },
  );

  app.post<{ Params: { uploadId: string } }>(
    '/v1/uploads/:uploadId/complete',
    { schema: { params: uploadParams, response: { 201: answerSchema, '4xx': problemSchema, '5xx': problemSchema } } },
    async (request, reply) => {
      const started = process.hrtime.bigint();
      const upload = await ownUpload(request, request.params.uploadId);
      if (upload.received !== upload.size) {
        throw new RelayError('ERR_RELAY_INCOMPLETE', `received ${upload.received} of ${upload.size} bytes`, { extra: { nextIndex: upload.nextIndex, received: upload.received } });
      }
      // The final digest is recomputed from what is stored, so it also covers a restart mid-upload.
      const hash = createHash('sha256');
      for await (const piece of store.readBlob(upload.blobId, 0, upload.size - 1)) hash.update(piece);
      const digest = digestOf(hash.digest());
      if (digest !== upload.digest) throw new RelayError('ERR_RELAY_DIGEST_MISMATCH', `the chunks add up to ${digest}, not the declared ${upload.digest}`);
      const now = app.relay.now();
      const outcome = await store.completeUpload(upload, {
        messageId: upload.messageId,
        sender: upload.sender,
        recipients: upload.recipients,
        digest,
        size: upload.size,
        submittedAt: now,
        expiresAt: now + app.relay.expiryMs,
        blobId: upload.blobId,
        ...forwardOf(upload.recipients),
        ...(await accepted(upload.messageId, upload.sender, upload.recipients, digest, now)),
      });
      const result = answer(outcome, started, upload.size);
      reply.code(201).header('content-digest', result.digest);
      return result;
    },
  );
};
