import { claimPayloadSlot, releasePayloadSlot } from './allocate-payload.js';
import { CryptoError, EnvelopeError } from './errors.js';
import type { Identity } from './identity.js';
import { equalBytes } from './internal/bytes.js';
import { certDigestHex, certInfo } from './internal/cert.js';
import { contextPrimitive, integer, octetString, sequence, tlv, utf8String } from './internal/der.js';
import type { SealpostHeader } from './internal/header.js';
import { OID } from './internal/oids.js';
import { signAndEncrypt } from './internal/sign-and-encrypt.js';
import { attribute } from './internal/signed-data.js';
import { checkEndEntityUsage } from './trust-store.js';
import { ChainError } from './errors.js';

/** The most one envelope holds (WebCrypto AES-GCM cannot stream; design.md §4). */
export const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

/** A recipient: its certificate (DER) and, optionally, its address (default: the certificate's rfc822Name). */
export interface SealRecipient {
  certificate: Uint8Array;
  address?: string;
}

/** Options for {@link sealEnvelope}. */
export interface SealOptions {
  /** The signing identity; it is always added as a recipient too, so the sender can read its sent copy. */
  sender: Identity;
  /** At least one recipient. */
  recipients: (SealRecipient | Uint8Array)[];
  /** Payload media type. Default `application/octet-stream`. */
  mediaType?: string;
  /** Default `crypto.randomUUID()`. */
  messageId?: string;
  /** Default the messageId. */
  threadId?: string;
  /** Sender address. Default: the sender certificate's rfc822Name. */
  senderAddress?: string;
  /** Sender identifiers (HPI-I, NPI …), copied to the header. */
  senderIdentifiers?: string[];
  /** Creation time. Default now. */
  now?: Date;
  /** Lifetime of the message in ms (replay window and expiry). Default 30 days. */
  ttlMs?: number;
  /** Digests of further envelopes of the same submission. */
  attachments?: SealpostHeader['attachments'];
  /** Zero bytes appended to the payload inside the signature, to hide its exact size. Default 0. */
  padding?: number;
  /** Ask for signed receipts (ESS receiptRequest, RFC 2634 §2.7) addressed to the sender. Default false. */
  receipt?: boolean;
  /** Add a random UKM to each ECDH recipient info. Default false. */
  ukm?: boolean;
}

/** What {@link sealEnvelope} produced. */
export interface SealResult {
  /** DER ContentInfo(AuthEnvelopedData), ready to send or to write as `.p7m` (a view: its buffer may hold a few bytes more, or the unused room of an `allocatePayload` slot). */
  envelope: Uint8Array;
  header: SealpostHeader;
}

const DAY = 86_400_000;

function recipientAddress(certificate: Uint8Array, given: string | undefined): string {
  if (given) return given;
  const info = certInfo(certificate);
  const email = info.emails[0];
  if (!email) throw new CryptoError('ERR_CRYPTO_RECIPIENT_ADDRESS', `'${info.subject}' has no rfc822Name; pass the recipient's address`);
  return email;
}

/**
 * Signs `payload` and encrypts it to the recipients and the sender:
 * `ContentInfo(AuthEnvelopedData(ContentInfo(SignedData(payload))))` with AES-256-GCM, RSA
 * recipients by RSAES-OAEP-SHA-256, EC recipients by ECDH stdDH-sha256kdf + AES-256 key wrap, and
 * the signed Sealpost header (messageId, intendedRecipients with certificate digests, expiry …).
 *
 * Throws `ERR_ENVELOPE_TOO_LARGE` beyond {@link MAX_PAYLOAD_BYTES}, `ERR_CRYPTO_RECIPIENT_KEY_USAGE`
 * when a recipient certificate may not receive envelopes, `ERR_CRYPTO_CERT_MALFORMED` for an
 * unreadable certificate, TypeError when there is no recipient or `payload` is a slot from
 * `allocatePayload` that was sealed already or is being sealed by another call.
 *
 * A payload from `allocatePayload` is sealed in place, without a copy: the returned envelope is a
 * view of the same buffer and the payload's bytes are then ciphertext. Any other payload is
 * copied once and left as it was.
 *
 * @example
 * const { envelope } = await sealEnvelope(new TextEncoder().encode(letter), { sender: me, recipients: [theirCert], mediaType: 'text/plain' });
 */
export async function sealEnvelope(payload: Uint8Array, options: SealOptions): Promise<SealResult> {
  if (options.recipients.length === 0) throw new TypeError('sealEnvelope: at least one recipient is required');
  if (!claimPayloadSlot(payload)) return seal(payload, options, false);
  let result: SealResult | undefined;
  try {
    result = await seal(payload, options, true);
    return result;
  } finally {
    // Sealed in place (there was room), the slot's bytes are now ciphertext: it cannot be sealed again.
    releasePayloadSlot(payload, result !== undefined && result.envelope.buffer === payload.buffer);
  }
}

/** sealEnvelope's work; `inPlace` when `payload` is a slot this call has claimed. */
async function seal(payload: Uint8Array, options: SealOptions, inPlace: boolean): Promise<SealResult> {
  const padding = options.padding ?? 0;
  if (!Number.isSafeInteger(padding) || padding < 0) throw new RangeError('sealEnvelope: padding must be a non-negative integer');
  if (payload.length + padding > MAX_PAYLOAD_BYTES) throw new EnvelopeError('too-large', `payload of ${payload.length + padding} bytes exceeds the ${MAX_PAYLOAD_BYTES}-byte envelope limit; send it as attachments`);
  const now = options.now ?? new Date();
  const senderInfo = certInfo(options.sender.certificate);
  const senderAddress = options.senderAddress ?? senderInfo.emails[0];
  if (!senderAddress) throw new TypeError("sealEnvelope: the sender certificate has no rfc822Name; pass senderAddress");

  const recipients = options.recipients.map((r) => (r instanceof Uint8Array ? { certificate: r } : r));
  const intendedRecipients: SealpostHeader['intendedRecipients'] = [];
  for (const recipient of recipients) {
    const info = certInfo(recipient.certificate);
    try {
      checkEndEntityUsage(info, 'encrypt');
    } catch (error) {
      if (error instanceof ChainError) throw new CryptoError('ERR_CRYPTO_RECIPIENT_KEY_USAGE', error.message, { cause: error });
      throw error;
    }
    intendedRecipients.push({ address: recipientAddress(recipient.certificate, recipient.address), certificateSha256: await certDigestHex(recipient.certificate) });
  }
  const messageId = options.messageId ?? crypto.randomUUID();
  const header: SealpostHeader = {
    v: 1,
    messageId,
    threadId: options.threadId ?? messageId,
    sender: { address: senderAddress, ...(options.senderIdentifiers ? { identifiers: options.senderIdentifiers } : {}) },
    intendedRecipients,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + (options.ttlMs ?? 30 * DAY)).toISOString(),
    mediaType: options.mediaType ?? 'application/octet-stream',
    attachments: options.attachments ?? [],
    padding,
  };
  const attributes = [attribute(OID.sealpostHeader, utf8String(JSON.stringify(header)))];
  if (options.receipt) {
    // ReceiptRequest: signedContentIdentifier, receiptsFrom allOrFirstTier allReceipts(0), receiptsTo the sender.
    const contentIdentifier = new TextEncoder().encode(`sealpost:${messageId}`);
    const generalNames = sequence(contextPrimitive(1, new TextEncoder().encode(senderAddress)));
    attributes.push(attribute(OID.receiptRequest, sequence(octetString(contentIdentifier), tlv(0x80, integer(0).subarray(2)), sequence(generalNames))));
  }
  const certificates = recipients.map((r) => r.certificate);
  if (!certificates.some((c) => equalBytes(c, options.sender.certificate))) certificates.push(options.sender.certificate);
  // The encrypted content is a whole ContentInfo(SignedData) typed id-data, exactly what
  // `openssl cms -sign | openssl cms -encrypt` produces, so `openssl cms -decrypt | openssl cms
  // -verify` opens it without glue (docs/decisions.md). Padding is written as zeros in place.
  const { envelope } = await signAndEncrypt({ content: payload, padding, contentType: OID.data, signer: options.sender, attributes, signingTime: now, recipients: certificates, ukm: options.ukm ?? false, inPlace });
  return { envelope, header };
}
