import { createReceipt, openEnvelope } from '@sealpost/sdk/crypto';
import type { Identity, OpenResult, ReceiptStatus, SeenStore, TrustStore } from '@sealpost/sdk/crypto';

/** What a receipt binds to: the parts of an {@link OpenResult} that `createReceipt` reads (no payload). */
export type ReceiptBinding = Pick<OpenResult, 'header' | 'receiptRequest' | 'binding' | 'signer'>;

/** One envelope to open. */
export interface OpenRequest {
  envelope: Uint8Array;
  /** Replay protection for this envelope (the pipeline's store, keyed to the inbox item). */
  seenStore: SeenStore;
  /** Time of the envelope checks. */
  at: Date;
  /**
   * Also sign the "delivered" receipt when the sender asked for receipts: opening is what
   * delivers the letter, so the receipt states the moment of the open. The caller sends it only
   * once the open is committed.
   */
  delivered?: boolean;
}

/** An opened envelope, and its delivered receipt when one was asked for. */
export interface OpenedEnvelope {
  opened: OpenResult;
  delivered?: Uint8Array;
}

/**
 * The import pipeline's cryptography: opening envelopes and signing receipts for one identity.
 * {@link inProcessCrypto} runs it on the calling thread; `CryptoWorkerPool` spreads it over
 * worker threads. Failures of `open` are the `EnvelopeError`s of `openEnvelope`.
 */
export interface EnvelopeCrypto {
  /**
   * Calls worth having in flight at once (default: the pipeline's `concurrency`). WebCrypto runs
   * on libuv's thread pool, which file fsyncs share: queueing a whole batch of crypto there makes
   * the folder's fsyncs wait behind it, so callers keep to this many.
   */
  readonly concurrency?: number;
  open(request: OpenRequest): Promise<OpenedEnvelope>;
  receipt(original: ReceiptBinding, options: { status: ReceiptStatus; reason?: string }): Promise<Uint8Array>;
  /** Releases threads, if any. */
  close(): Promise<void>;
}

/** The minimal, cloneable part of an open result a receipt needs (what crosses to a worker). */
export function receiptBinding(opened: ReceiptBinding): ReceiptBinding {
  return { header: opened.header, receiptRequest: opened.receiptRequest, binding: opened.binding, signer: opened.signer };
}

/** Opens and signs on the calling thread (sdk/crypto directly). */
export function inProcessCrypto(identity: Identity, trust: TrustStore): EnvelopeCrypto {
  // createReceipt reads only the fields of ReceiptBinding.
  const sign = (original: ReceiptBinding, status: ReceiptStatus, reason?: string): Promise<Uint8Array> =>
    createReceipt(original as OpenResult, { identity, status, ...(reason ? { reason } : {}) });
  return {
    async open({ envelope, seenStore, at, delivered }) {
      const opened = await openEnvelope(envelope, { identity, trust, seenStore, at });
      return delivered && opened.receiptRequest ? { opened, delivered: await sign(opened, 'delivered') } : { opened };
    },
    receipt: (original, { status, reason }) => sign(original, status, reason),
    close: () => Promise.resolve(),
  };
}
