import { EnvelopeError } from './errors.js';
import { sha256, toHex } from './internal/bytes.js';
import type { SealpostHeader } from './internal/header.js';

/** One entry of the signed header's `attachments`. */
export type AttachmentEntry = SealpostHeader['attachments'][number];

/**
 * Describes an attachment payload for the `attachments` option of `sealEnvelope`: its SHA-256 and
 * size. Attachments bigger than one envelope allows (64 MiB) travel as further envelopes of the
 * same submission; the main message's signed header binds them by these digests.
 */
export async function describeAttachment(payload: Uint8Array, options: { mediaType?: string; name?: string } = {}): Promise<AttachmentEntry> {
  return { sha256: toHex(await sha256(payload)), size: payload.length, ...(options.mediaType ? { mediaType: options.mediaType } : {}), ...(options.name ? { name: options.name } : {}) };
}

/**
 * Checks that an opened attachment payload is one the (verified) main message announced.
 * Resolves to its header entry; throws `ERR_ENVELOPE_ATTACHMENT` when no entry has its digest
 * and size, so an attachment cannot be swapped or added by anyone but the signer.
 */
export async function verifyAttachment(header: SealpostHeader, payload: Uint8Array): Promise<AttachmentEntry> {
  const digest = toHex(await sha256(payload));
  const entry = header.attachments.find((a) => a.sha256 === digest && a.size === payload.length);
  if (!entry) throw new EnvelopeError('attachment', `an attachment of ${payload.length} bytes (SHA-256 ${digest}) is not listed in message ${header.messageId}`);
  return entry;
}
