/**
 * Mailboxes and authentication (docs/protocol.md §3, §4): challenge → signature by the mailbox's
 * identity key → short-lived bearer token bound to that mailbox; self-registration with a one-time
 * invite code and proof of key possession.
 */
import { createHash } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { PAYLOAD_TYPES } from '@sealpost/sdk/directory';
import type { PayloadType } from '@sealpost/sdk/directory';
import { publishMailbox } from '../directory/publish-mailbox.js';
import { findRelayUrl } from '../directory/publish-relay.js';
import { RelayError } from '../errors.js';
import { ADDRESS_PATTERN, normaliseAddress } from '../internal/address.js';
import { authSigningInput, checkChallenge, issueChallenge, issueToken, readCertificate, registerSigningInput, verifyWithCertificate } from '../internal/tokens.js';
import { problemSchema } from './problems.js';

const b64 = { type: 'string', pattern: '^[A-Za-z0-9_=+/-]*$', maxLength: 65536 } as const;

/** SHA-256 (hex) of an invite code: the database never holds the code itself. */
export function hashInvite(code: string): string {
  return createHash('sha256').update(code, 'utf8').digest('hex');
}

const decode = (value: string): Buffer => Buffer.from(value, value.includes('+') || value.includes('/') ? 'base64' : 'base64url');

export const mailboxPlugin: FastifyPluginAsync = async (app) => {
  const { store } = app.relay;
  // Certificates never change for a mailbox (no update API), so their keys can be cached.
  const keys = new Map<string, KeyObject>();
  const keyOf = async (address: string): Promise<KeyObject | undefined> => {
    const cached = keys.get(address);
    if (cached) return cached;
    const mailbox = await store.getMailbox(address);
    if (!mailbox) return undefined;
    const key = readCertificate(mailbox.certificate).publicKey;
    if (keys.size > 10_000) keys.clear();
    keys.set(address, key);
    return key;
  };

  const addressOf = (value: string): string => {
    const address = normaliseAddress(value);
    if (address === undefined) throw new RelayError('ERR_RELAY_BAD_REQUEST', `'${value.slice(0, 100)}' is not a Sealpost address`);
    return address;
  };

  app.post<{ Body: { address: string } }>(
    '/v1/auth/challenge',
    {
      schema: {
        body: { type: 'object', required: ['address'], additionalProperties: false, properties: { address: { type: 'string', pattern: ADDRESS_PATTERN, maxLength: 254 } } },
        response: { 200: { type: 'object', required: ['challenge', 'expiresAt'], additionalProperties: false, properties: { challenge: { type: 'string' }, expiresAt: { type: 'string' } } }, '4xx': problemSchema },
      },
    },
    async (request) => {
      // Answered for unknown addresses too, so the endpoint does not reveal which mailboxes exist.
      const address = addressOf(request.body.address);
      const expiresAt = app.relay.now() + app.relay.challengeTtlMs;
      return { challenge: issueChallenge(app.relaySecret, address, expiresAt), expiresAt: new Date(expiresAt).toISOString() };
    },
  );

  app.post<{ Body: { address: string; challenge: string; signature: string } }>(
    '/v1/auth/token',
    {
      schema: {
        body: {
          type: 'object',
          required: ['address', 'challenge', 'signature'],
          additionalProperties: false,
          properties: { address: { type: 'string', pattern: ADDRESS_PATTERN, maxLength: 254 }, challenge: { type: 'string', maxLength: 2048 }, signature: { ...b64, maxLength: 2048 } },
        },
        response: { 200: { type: 'object', required: ['token', 'expiresAt', 'address'], additionalProperties: false, properties: { token: { type: 'string' }, expiresAt: { type: 'string' }, address: { type: 'string' } } }, '4xx': problemSchema },
      },
    },
    async (request) => {
      const address = addressOf(request.body.address);
      const now = app.relay.now();
      // One message for every failure: an outsider learns nothing about which check failed.
      const fail = (): never => {
        throw new RelayError('ERR_RELAY_AUTH', 'the challenge answer is not valid for this mailbox');
      };
      if (!checkChallenge(app.relaySecret, request.body.challenge, address, now)) fail();
      const key = await keyOf(address);
      if (!key) return fail();
      if (!verifyWithCertificate(key, authSigningInput(address, request.body.challenge), decode(request.body.signature))) fail();
      const expiresAt = now + app.relay.tokenTtlMs;
      return { token: issueToken(app.relaySecret, address, expiresAt), expiresAt: new Date(expiresAt).toISOString(), address };
    },
  );

  app.post<{ Body: { address: string; certificate: string; invite: string; signature: string; payloadTypes?: PayloadType[] } }>(
    '/v1/mailboxes',
    {
      schema: {
        body: {
          type: 'object',
          required: ['address', 'certificate', 'invite', 'signature'],
          additionalProperties: false,
          properties: {
            address: { type: 'string', pattern: ADDRESS_PATTERN, maxLength: 254 },
            certificate: b64,
            invite: { type: 'string', minLength: 8, maxLength: 256 },
            signature: { ...b64, maxLength: 2048 },
            payloadTypes: { type: 'array', minItems: 1, maxItems: 8, uniqueItems: true, items: { type: 'string', enum: Object.values(PAYLOAD_TYPES) } },
          },
        },
        response: { 201: { type: 'object', required: ['address'], additionalProperties: false, properties: { address: { type: 'string' } } }, '4xx': problemSchema },
      },
    },
    async (request, reply) => {
      const address = addressOf(request.body.address);
      if (app.relay.domain !== undefined && !address.endsWith(`@${app.relay.domain}`)) throw new RelayError('ERR_RELAY_BAD_REQUEST', `this relay serves @${app.relay.domain} only`);
      const der = decode(request.body.certificate);
      let cert;
      try {
        cert = readCertificate(der);
      } catch (error) {
        throw new RelayError('ERR_RELAY_BAD_REQUEST', 'certificate: not a DER X.509 certificate', { cause: error });
      }
      if (cert.checkEmail(address, { subject: 'default' }) === undefined) throw new RelayError('ERR_RELAY_BAD_REQUEST', `certificate: does not name ${address}`);
      if (!verifyWithCertificate(cert.publicKey, registerSigningInput(address, request.body.invite), decode(request.body.signature))) {
        throw new RelayError('ERR_RELAY_AUTH', 'signature: not made by the certificate key (proof of possession failed)');
      }
      const result = await store.redeemInvite(hashInvite(request.body.invite), { address, certificate: new Uint8Array(der), createdAt: app.relay.now() }, app.relay.now());
      if (result === 'invalid') throw new RelayError('ERR_RELAY_INVITE', 'invite: unknown, used, expired or for another address');
      if (result === 'exists') throw new RelayError('ERR_RELAY_MAILBOX_EXISTS', `${address} already exists`);
      // The mailbox's Endpoint goes to the directory right after (docs/protocol.md, Directory). A
      // failure here leaves the mailbox usable: the directory publishes a missing Endpoint of a local
      // mailbox on the first lookup (directory/plugin.ts), so it is logged, not returned.
      const directory = app.relay.directory;
      if (directory) {
        const relayUrl = app.relay.publicUrl?.replace(/\/$/, '') ?? (await findRelayUrl(directory.store, app.relay.domain ?? address.slice(address.lastIndexOf('@') + 1))) ?? `${request.protocol}://${request.host}`;
        const payloadTypes = request.body.payloadTypes ?? directory.payloadTypes;
        await publishMailbox(directory.store, { address, certificate: new Uint8Array(der) }, { relayUrl, ...(payloadTypes ? { payloadTypes } : {}) }).catch((error: unknown) =>
          request.log.error({ err: error, address }, 'mailbox created but its Endpoint was not published (published on first lookup)'),
        );
      }
      reply.code(201);
      return { address };
    },
  );
};
