import type { Identity } from './identity.js';
import { bs } from './internal/bytes.js';
import { integer, octetString, oid, sequence, utf8String } from './internal/der.js';
import { OID } from './internal/oids.js';
import { signAndEncrypt } from './internal/sign-and-encrypt.js';
import { attribute } from './internal/signed-data.js';
import type { OpenResult } from './open.js';
import { subtle } from './internal/subtle.js';

/** What happened to a message (design.md §6). */
export type ReceiptStatus = 'delivered' | 'imported' | 'read' | 'rejected';

/** The signed Sealpost status a receipt carries next to the ESS Receipt. */
export interface ReceiptStatusInfo {
  v: 1;
  status: ReceiptStatus;
  /** Why it was rejected (`unknown recipient`, `patient not found`, …). */
  reason?: string;
  /** The messageId of the original, when it had a Sealpost header. */
  messageId?: string;
  /** When the status was reached (ISO 8601). */
  at: string;
}

/** Options for {@link createReceipt}. */
export interface CreateReceiptOptions {
  /** The recipient identity that opened the message and now signs the receipt. */
  identity: Identity;
  status: ReceiptStatus;
  /** Required for `rejected`. */
  reason?: string;
  /** Default now. */
  now?: Date;
}

const STATUSES: ReceiptStatus[] = ['delivered', 'imported', 'read', 'rejected'];

/**
 * Makes a signed receipt for an opened message and seals it to the original sender (and to the
 * receipt's signer): an ESS Receipt (RFC 2634 §2.7) with `msgSigDigest` = SHA-256 of the
 * original's signed attributes, so it binds to that exact message and signature, plus a signed
 * Sealpost status attribute. `openssl cms -verify_receipt` accepts the inner SignedData when the
 * original asked for a receipt. Throws TypeError for an unknown status or a rejection without reason.
 */
export async function createReceipt(original: OpenResult, options: CreateReceiptOptions): Promise<Uint8Array> {
  if (!STATUSES.includes(options.status)) throw new TypeError(`createReceipt: unknown status '${String(options.status)}'`);
  if (options.status === 'rejected' && !options.reason) throw new TypeError('createReceipt: a rejected receipt needs a reason');
  const now = options.now ?? new Date();
  const messageId = original.header?.messageId;
  const contentIdentifier = original.receiptRequest?.signedContentIdentifier ?? new TextEncoder().encode(`sealpost:${messageId ?? 'interop'}`);
  const receipt = sequence(integer(1), oid(original.binding.contentType), octetString(contentIdentifier), octetString(original.binding.signature));
  const msgSigDigest = new Uint8Array(await subtle().digest('SHA-256', bs(original.binding.signedAttributes)));
  const status: ReceiptStatusInfo = { v: 1, status: options.status, ...(options.reason ? { reason: options.reason } : {}), ...(messageId ? { messageId } : {}), at: now.toISOString() };
  const { envelope } = await signAndEncrypt({
    content: receipt,
    contentType: OID.receipt,
    signer: options.identity,
    attributes: [attribute(OID.msgSigDigest, octetString(msgSigDigest)), attribute(OID.sealpostReceiptStatus, utf8String(JSON.stringify(status)))],
    signingTime: now,
    recipients: [original.signer.certificate, options.identity.certificate],
    ukm: false,
  });
  return envelope;
}
