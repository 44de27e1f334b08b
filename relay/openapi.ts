/**
 * The relay API as OpenAPI 3.1, served at /openapi.json. docs/protocol.md is the prose version;
 * test/relay/openapi.test.ts checks that every route the app registers is described here.
 */
const problem = { $ref: '#/components/responses/Problem' };
const json = (schema: object): object => ({ content: { 'application/json': { schema } } });
const bearer = [{ bearer: [] }];
const address = { name: 'address', in: 'path', required: true, schema: { type: 'string', format: 'email' } };
const messageId = { name: 'messageId', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9._~-]{1,128}$' } };
const uploadId = { name: 'uploadId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const fhir = { content: { 'application/fhir+json': { schema: { type: 'object' } } }, headers: { 'X-Sealpost-Signature': { description: 'the relay\'s signature of the answer (when it has an identity)', schema: { type: 'string' } } } };
const fhirType = { name: 'type', in: 'path', required: true, schema: { type: 'string', enum: ['Organization', 'Practitioner', 'PractitionerRole', 'HealthcareService', 'Endpoint'] } };
const octets = { content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } };

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Sealpost relay',
      version: '1',
      description: 'Store-and-forward mailboxes that only hold ciphertext (CMS envelopes). See docs/protocol.md.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Token from POST /v1/auth/token, bound to one mailbox.' } },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'code'],
          properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, code: { type: 'string' }, nextIndex: { type: 'integer' }, received: { type: 'integer' } },
        },
        SubmitAnswer: {
          type: 'object',
          required: ['messageId', 'digest', 'size', 'recipients', 'acceptedAt', 'expiresAt'],
          properties: {
            messageId: { type: 'string' },
            digest: { type: 'string', description: 'RFC 9530 form: sha-256=:BASE64:' },
            size: { type: 'integer' },
            recipients: { type: 'array', items: { type: 'string' } },
            acceptedAt: { type: 'string', format: 'date-time' },
            expiresAt: { type: 'string', format: 'date-time' },
          },
        },
        Upload: {
          type: 'object',
          required: ['uploadId', 'messageId', 'size', 'chunkSize', 'nextIndex', 'received', 'expiresAt'],
          properties: {
            uploadId: { type: 'string', format: 'uuid' },
            messageId: { type: 'string' },
            size: { type: 'integer' },
            chunkSize: { type: 'integer' },
            nextIndex: { type: 'integer' },
            received: { type: 'integer' },
            expiresAt: { type: 'string', format: 'date-time' },
          },
        },
        TimelineEntry: {
          type: 'object',
          required: ['seq', 'kind', 'at', 'actor', 'recipient', 'reason', 'format', 'signed'],
          properties: {
            seq: { type: 'integer' },
            kind: { type: 'string', description: 'accepted, forwarded, expired, undeliverable (relay events, JWS) or delivered, imported, read, rejected (receipts, CMS)' },
            at: { type: 'string', format: 'date-time' },
            actor: { type: 'string', description: 'a relay domain or a recipient address' },
            recipient: { type: ['string', 'null'] },
            reason: { type: ['string', 'null'] },
            format: { type: 'string', enum: ['jws', 'cms', 'unsigned'] },
            signed: { type: ['string', 'null'], description: 'base64url of the signed event (JWS) or receipt (CMS)' },
          },
        },
        ReceiptAnswer: {
          type: 'object',
          required: ['messageId', 'kind', 'at', 'stored'],
          properties: { messageId: { type: 'string' }, kind: { type: 'string' }, at: { type: 'string', format: 'date-time' }, stored: { type: 'string', enum: ['created', 'exists'] } },
        },
        InboxItem: {
          type: 'object',
          required: ['messageId', 'from', 'size', 'digest', 'submittedAt', 'expiresAt', 'acknowledgedAt'],
          properties: {
            messageId: { type: 'string' },
            from: { type: 'string' },
            size: { type: 'integer' },
            digest: { type: 'string' },
            submittedAt: { type: 'string', format: 'date-time' },
            expiresAt: { type: 'string', format: 'date-time' },
            acknowledgedAt: { type: ['string', 'null'], format: 'date-time' },
            envelope: { type: 'string', contentEncoding: 'base64url', description: 'the envelope bytes, only with include=envelope, on unacknowledged items of at most 256 KiB while the page holds at most 8 MiB of them (docs/protocol.md §7–§8); download the others' },
          },
        },
      },
      responses: { Problem: { description: 'RFC 9457 problem; `code` is a stable ERR_RELAY_* code', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } } },
    },
    paths: {
      '/v1/auth/challenge': {
        post: {
          summary: 'Get a challenge to sign with the mailbox identity key',
          requestBody: json({ type: 'object', required: ['address'], properties: { address: { type: 'string' } } }),
          responses: { 200: { description: 'challenge', ...json({ type: 'object', properties: { challenge: { type: 'string' }, expiresAt: { type: 'string' } } }) }, '4XX': problem },
        },
      },
      '/v1/auth/token': {
        post: {
          summary: 'Exchange a signed challenge for a bearer token bound to the mailbox',
          description: 'signature = base64url(sign(UTF-8 "sealpost-auth-v1\\n" + address + "\\n" + challenge)); ECDSA P-256 (IEEE P1363) or RSASSA-PKCS1-v1_5, SHA-256.',
          requestBody: json({ type: 'object', required: ['address', 'challenge', 'signature'], properties: { address: { type: 'string' }, challenge: { type: 'string' }, signature: { type: 'string' } } }),
          responses: { 200: { description: 'token', ...json({ type: 'object', properties: { token: { type: 'string' }, expiresAt: { type: 'string' }, address: { type: 'string' } } }) }, '4XX': problem },
        },
      },
      '/v1/mailboxes': {
        post: {
          summary: 'Register a mailbox with a one-time invite code and proof of key possession',
          requestBody: json({
            type: 'object',
            required: ['address', 'certificate', 'invite', 'signature'],
            properties: { address: { type: 'string' }, certificate: { type: 'string', description: 'base64url DER' }, invite: { type: 'string' }, signature: { type: 'string' } },
          }),
          responses: { 201: { description: 'registered' }, '4XX': problem },
        },
      },
      '/v1/messages/{messageId}': {
        put: {
          summary: 'Submit one envelope (at most 64 MiB); messageId is the idempotency key',
          security: bearer,
          parameters: [
            messageId,
            { name: 'Sealpost-To', in: 'header', required: true, schema: { type: 'string' }, description: 'comma-separated recipient addresses' },
            { name: 'Content-Digest', in: 'header', required: false, schema: { type: 'string' }, description: 'sha-256=:BASE64: of the body; checked when present' },
          ],
          requestBody: octets,
          responses: { 201: { description: 'durably accepted (also the answer to an identical retry)', ...json({ $ref: '#/components/schemas/SubmitAnswer' }) }, '4XX': problem, '5XX': problem },
        },
      },
      '/v1/relay/messages/{messageId}': {
        put: {
          summary: 'Federation: a pinned peer relay forwards one message (signed with its relay identity; see docs/protocol.md, Federation)',
          parameters: [
            messageId,
            { name: 'Sealpost-Relay', in: 'header', required: true, schema: { type: 'string' }, description: 'the forwarding relay domain' },
            { name: 'Sealpost-Relay-Signature', in: 'header', required: true, schema: { type: 'string' }, description: 'base64url signature of the forward' },
            { name: 'Sealpost-Sender', in: 'header', required: true, schema: { type: 'string' }, description: 'the original sender' },
            { name: 'Sealpost-To', in: 'header', required: true, schema: { type: 'string' }, description: 'comma-separated recipient addresses' },
            { name: 'Sealpost-Hops', in: 'header', required: true, schema: { type: 'string' }, description: 'relay hops made, this one included; over the limit is 508 ERR_RELAY_LOOP' },
            { name: 'Content-Digest', in: 'header', required: true, schema: { type: 'string' }, description: 'sha-256=:BASE64: of the body' },
          ],
          requestBody: octets,
          responses: { 201: { description: 'durably accepted (also the answer to a repeated forward)', ...json({ $ref: '#/components/schemas/SubmitAnswer' }) }, '4XX': problem, '5XX': problem },
        },
      },
      '/v1/relay/identity': {
        get: {
          summary: 'Federation: this relay\'s domain and identity certificate (base64url DER)',
          responses: { 200: { description: 'the relay identity', ...json({ type: 'object', required: ['domain', 'certificate'], properties: { domain: { type: 'string' }, certificate: { type: 'string' } } }) }, '4XX': problem },
        },
      },
      '/v1/uploads': {
        post: {
          summary: 'Open a resumable chunked upload',
          security: bearer,
          requestBody: json({ type: 'object', required: ['messageId', 'to', 'size', 'digest'], properties: { messageId: { type: 'string' }, to: { type: 'array', items: { type: 'string' } }, size: { type: 'integer' }, digest: { type: 'string' } } }),
          responses: {
            200: { description: 'already committed: the first answer', ...json({ type: 'object', properties: { message: { $ref: '#/components/schemas/SubmitAnswer' } } }) },
            201: { description: 'upload opened', ...json({ $ref: '#/components/schemas/Upload' }) },
            '4XX': problem,
          },
        },
      },
      '/v1/uploads/{uploadId}': { get: { summary: 'Upload state (to resume)', security: bearer, parameters: [uploadId], responses: { 200: { description: 'state', ...json({ $ref: '#/components/schemas/Upload' }) }, '4XX': problem } } },
      '/v1/uploads/{uploadId}/chunks/{index}': {
        put: {
          summary: 'Send chunk `index` (0-based, in order); Content-Digest required',
          security: bearer,
          parameters: [uploadId, { name: 'index', in: 'path', required: true, schema: { type: 'integer', minimum: 0 } }, { name: 'Content-Digest', in: 'header', required: true, schema: { type: 'string' } }],
          requestBody: octets,
          responses: { 200: { description: 'stored', ...json({ $ref: '#/components/schemas/Upload' }) }, '4XX': problem, '5XX': problem },
        },
      },
      '/v1/uploads/{uploadId}/complete': {
        post: { summary: 'Check the final digest and commit the submission', security: bearer, parameters: [uploadId], responses: { 201: { description: 'durably accepted', ...json({ $ref: '#/components/schemas/SubmitAnswer' }) }, '4XX': problem, '5XX': problem } },
      },
      '/v1/mailboxes/{address}/messages': {
        get: {
          summary: 'List the inbox, oldest first',
          security: bearer,
          parameters: [
            address,
            { name: 'cursor', in: 'query', schema: { type: 'string' } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
            { name: 'include', in: 'query', schema: { type: 'string', enum: ['envelope'] }, description: 'envelope: small unacknowledged envelopes travel in the listing (`envelope` of an item)' },
            { name: 'only', in: 'query', schema: { type: 'string', enum: ['unacknowledged'] }, description: 'unacknowledged: leave out acknowledged messages (kept listed through retention otherwise)' },
          ],
          responses: {
            200: { description: 'page', ...json({ type: 'object', properties: { items: { type: 'array', items: { $ref: '#/components/schemas/InboxItem' } }, nextCursor: { type: ['string', 'null'] } } }) },
            '4XX': problem,
          },
        },
      },
      '/v1/mailboxes/{address}/messages/{messageId}': {
        get: {
          summary: 'Download a message (HTTP Range supported)',
          security: bearer,
          parameters: [address, messageId, { name: 'Range', in: 'header', schema: { type: 'string' } }],
          responses: { 200: { description: 'the envelope bytes', ...octets }, 206: { description: 'a byte range', ...octets }, '4XX': problem },
        },
      },
      '/v1/mailboxes/{address}/messages/{messageId}/ack': {
        post: { summary: 'Acknowledge (the recipient has stored the message)', security: bearer, parameters: [address, messageId], responses: { 200: { description: 'acknowledged' }, '4XX': problem } },
      },
      '/v1/mailboxes/{address}/acks': {
        post: {
          summary: 'Acknowledge up to 1000 messages in one commit; idempotent like the single acknowledgement',
          security: bearer,
          parameters: [address],
          requestBody: json({ type: 'object', required: ['messageIds'], properties: { messageIds: { type: 'array', minItems: 1, maxItems: 1000, uniqueItems: true, items: { type: 'string', pattern: '^[A-Za-z0-9._~-]{1,128}$' } } } }),
          responses: {
            200: {
              description: 'per messageId: acknowledged (with the time that stands) or not in this mailbox',
              ...json({
                type: 'object',
                required: ['acknowledged', 'notFound'],
                properties: {
                  acknowledged: { type: 'array', items: { type: 'object', required: ['messageId', 'acknowledgedAt'], properties: { messageId: { type: 'string' }, acknowledgedAt: { type: 'string', format: 'date-time' } } } },
                  notFound: { type: 'array', items: { type: 'string' } },
                },
              }),
            },
            '4XX': problem,
            '5XX': problem,
          },
        },
      },
      '/v1/messages/{messageId}/timeline': {
        get: {
          summary: 'The delivery timeline of a message, for its sender only (others get 404); see docs/protocol.md, Timeline',
          security: bearer,
          parameters: [messageId],
          responses: {
            200: { description: 'relay events and recipient receipts in the order recorded', ...json({ type: 'object', required: ['messageId', 'events'], properties: { messageId: { type: 'string' }, events: { type: 'array', items: { $ref: '#/components/schemas/TimelineEntry' } } } }) },
            '4XX': problem,
          },
        },
      },
      '/v1/messages/{messageId}/receipts': {
        post: {
          summary: 'A recipient posts its signed receipt (CMS, sealed to the sender) for a message it received',
          security: bearer,
          parameters: [messageId],
          requestBody: json({
            type: 'object',
            required: ['status', 'receipt'],
            properties: { status: { type: 'string', enum: ['delivered', 'imported', 'read', 'rejected'] }, reason: { type: 'string', description: 'required for rejected' }, receipt: { type: 'string', description: 'base64url CMS' } },
          }),
          responses: { 200: { description: 'already stored', ...json({ $ref: '#/components/schemas/ReceiptAnswer' }) }, 201: { description: 'stored', ...json({ $ref: '#/components/schemas/ReceiptAnswer' }) }, '4XX': problem },
        },
      },
      '/v1/relay/events': {
        post: {
          summary: 'Federation: a peer relay carries a timeline event or receipt back to the sender\'s relay (signed with its relay identity)',
          parameters: [
            { name: 'Sealpost-Relay', in: 'header', required: true, schema: { type: 'string' }, description: 'the reporting relay domain' },
            { name: 'Sealpost-Relay-Signature', in: 'header', required: true, schema: { type: 'string' }, description: 'base64url signature of the event' },
          ],
          requestBody: json({
            type: 'object',
            required: ['messageId', 'kind', 'at', 'actor', 'recipient', 'reason', 'format', 'signed'],
            properties: {
              messageId: { type: 'string' },
              kind: { type: 'string', enum: ['forwarded', 'delivered', 'imported', 'read', 'rejected', 'expired', 'undeliverable'] },
              at: { type: 'string', format: 'date-time' },
              actor: { type: 'string' },
              recipient: { type: 'string' },
              reason: { type: ['string', 'null'] },
              format: { type: 'string', enum: ['jws', 'cms', 'unsigned'] },
              signed: { type: 'string', description: 'base64url' },
            },
          }),
          responses: { 200: { description: 'stored (or already present)', ...json({ type: 'object', required: ['stored'], properties: { stored: { type: 'string' } } }) }, '4XX': problem, '5XX': problem },
        },
      },
      '/.well-known/sealpost': {
        get: {
          summary: 'Discovery: this relay\'s domain, URL, directory, identity certificate and pinned peers (signed with X-Sealpost-Signature when the relay has an identity)',
          responses: { 200: { description: 'the discovery document', ...json({ type: 'object', required: ['domain', 'relay', 'peers'], properties: { domain: { type: 'string' }, relay: { type: 'string' }, directory: { type: 'string' }, certificate: { type: 'string', description: 'PEM' }, peers: { type: 'array', items: { type: 'object', properties: { domain: { type: 'string' }, relay: { type: 'string' }, directory: { type: 'string' } } } } } }) } },
        },
      },
      '/fhir/metadata': { get: { summary: 'Directory: the FHIR R4 CapabilityStatement', responses: { 200: { description: 'CapabilityStatement', ...fhir } } } },
      '/fhir/{type}': {
        get: {
          summary: 'Directory: FHIR R4 search (Organization, Practitioner, PractitionerRole, HealthcareService, Endpoint); parameters in docs/protocol.md and /fhir/metadata',
          parameters: [fhirType],
          responses: { 200: { description: 'searchset Bundle', ...fhir }, '4XX': { description: 'OperationOutcome', ...fhir } },
        },
      },
      '/fhir/{type}/{id}': {
        get: {
          summary: 'Directory: FHIR R4 read',
          parameters: [fhirType, { name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'the resource', ...fhir }, '4XX': { description: 'OperationOutcome', ...fhir } },
        },
      },
      '/healthz': { get: { summary: 'Liveness', responses: { 200: { description: 'alive' } } } },
      '/readyz': { get: { summary: 'Readiness (the store answers)', responses: { 200: { description: 'ready' }, 503: { description: 'not ready or draining' } } } },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text exposition format' } } } },
      '/openapi.json': { get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1' } } } },
    },
  };
}
