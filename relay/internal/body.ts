/**
 * Reads an octet-stream request body without holding more than one storage chunk in memory:
 * bytes are hashed as they arrive and written to a blob chunk by chunk once they outgrow one
 * chunk. Small bodies (one chunk) stay in memory and go into the submission's own transaction.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { RelayError } from '../errors.js';
import type { RelayStore } from '../storage/types.js';

export interface ReadBody {
  digest: string;
  size: number;
  /** The whole body when it fits one chunk. */
  data?: Uint8Array;
  /** The blob holding it otherwise. */
  blobId?: string;
}

/** `sha-256=:BASE64:` (RFC 9530). */
export const digestOf = (hash: Buffer): string => `sha-256=:${hash.toString('base64')}:`;

/** Parses a Content-Digest / Repr-Digest header value to its sha-256 member, or undefined. */
export function sha256Member(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /(?:^|,)\s*sha-256=:([A-Za-z0-9+/=]+):\s*(?:,|$)/.exec(header);
  return match ? `sha-256=:${match[1]}:` : undefined;
}

export async function readBody(stream: Readable, options: { store: RelayStore; chunkBytes: number; maxBytes: number; now: number }): Promise<ReadBody> {
  const hash = createHash('sha256');
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let size = 0;
  let blobId: string | undefined;
  let seq = 0;
  let written = 0;
  const flush = async (upTo: number): Promise<void> => {
    const all = Buffer.concat(pending, pendingBytes);
    blobId ??= await options.store.createBlob(options.now);
    let at = 0;
    while (all.length - at >= upTo) {
      const piece = all.subarray(at, at + options.chunkBytes);
      await options.store.writeChunk(blobId, seq++, written, piece);
      written += piece.length;
      at += piece.length;
      if (upTo === 0 && at >= all.length) break;
    }
    pending = at < all.length ? [all.subarray(at)] : [];
    pendingBytes = all.length - at;
  };
  for await (const piece of stream as AsyncIterable<Buffer>) {
    size += piece.length;
    if (size > options.maxBytes) {
      // Stop reading; the error handler answers 413 with Connection: close so the rest is never read.
      throw new RelayError('ERR_RELAY_TOO_LARGE', `body over the limit of ${options.maxBytes} bytes`);
    }
    hash.update(piece);
    pending.push(piece);
    pendingBytes += piece.length;
    if (pendingBytes > options.chunkBytes) await flush(options.chunkBytes);
  }
  const digest = digestOf(hash.digest());
  if (blobId === undefined) return { digest, size, data: Buffer.concat(pending, pendingBytes) };
  if (pendingBytes > 0) await flush(0);
  return { digest, size, blobId };
}
