/**
 * The Sealpost signed header attribute: a UTF8String holding JSON, under the project OID
 * (internal/oids.ts). JSON rather than an ASN.1 SEQUENCE so that another vendor can read and write
 * it with any JSON library; it is signed as bytes, so its encoding never needs to be canonical.
 */
import { EnvelopeError } from '../errors.js';
import type { Element } from './der.js';

/** The signed Sealpost header (design.md §4). Times are ISO 8601 UTC; digests are lower-case hex SHA-256. */
export interface SealpostHeader {
  /** Header format version, 1. */
  v: 1;
  /** UUID chosen by the sender; unique per signer (replay protection keys on it). */
  messageId: string;
  /** Conversation the message belongs to (the first message's messageId by default). */
  threadId: string;
  sender: { address: string; identifiers?: string[] };
  /** Who the sender meant the message for: address and SHA-256 of the certificate it was sealed to. */
  intendedRecipients: { address: string; certificateSha256: string }[];
  createdAt: string;
  expiresAt: string;
  /** Media type of the payload, e.g. `application/fhir+json`, `x-application/hl7-v2+er7`. */
  mediaType: string;
  /** Further envelopes of the same submission, bound by digest. */
  attachments: { sha256: string; size: number; mediaType?: string; name?: string }[];
  /** Number of padding bytes appended to the payload inside the signed content. */
  padding: number;
}

const HEX64 = /^[0-9a-f]{64}$/;

function fail(what: string): never {
  throw new EnvelopeError('malformed', `Sealpost header: ${what}`);
}

const isString = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= 1024;

/** Decodes and checks the header attribute value. */
export function decodeHeader(value: Element, maxLength = 1 << 20): SealpostHeader {
  if (value.tag !== 0x0c) fail('not a UTF8String');
  if (value.value.length > maxLength) fail('too long');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(value.value));
  } catch {
    fail('not JSON');
  }
  const h = json as Partial<SealpostHeader> | null;
  if (!h || typeof h !== 'object') fail('not an object');
  if (h.v !== 1) fail(`unsupported version ${String(h.v)}`);
  if (!isString(h.messageId)) fail('messageId missing');
  if (!isString(h.threadId)) fail('threadId missing');
  if (!h.sender || !isString(h.sender.address)) fail('sender.address missing');
  if (!Array.isArray(h.intendedRecipients) || h.intendedRecipients.length === 0 || h.intendedRecipients.length > 1000) fail('intendedRecipients missing');
  for (const r of h.intendedRecipients) if (!r || !isString(r.address) || !HEX64.test(String(r.certificateSha256))) fail('bad intendedRecipients entry');
  for (const t of [h.createdAt, h.expiresAt]) if (!isString(t) || Number.isNaN(Date.parse(t))) fail('bad createdAt/expiresAt');
  if (!isString(h.mediaType)) fail('mediaType missing');
  if (!Array.isArray(h.attachments)) fail('attachments missing');
  for (const a of h.attachments) if (!a || !HEX64.test(String(a.sha256)) || !Number.isSafeInteger(a.size) || a.size < 0) fail('bad attachment entry');
  if (!Number.isSafeInteger(h.padding) || (h.padding as number) < 0) fail('bad padding');
  return h as SealpostHeader;
}
