/**
 * Messages between `CryptoWorkerPool` and its workers (crypto-worker.ts). Everything here is
 * structured-cloneable: WebCrypto keys clone across threads (non-extractable ones too), dates and
 * byte arrays copy.
 */
import type { Identity, OpenResult, ReceiptStatus } from '@sealpost/sdk/crypto';
import type { ReceiptBinding } from './envelope-crypto.js';

/** Trust anchors, pinned certificates and CRLs (DER) from which each worker builds its TrustStore. */
export interface TrustMaterial {
  anchors: Uint8Array[];
  pinned?: Uint8Array[];
  crls?: Uint8Array[];
}

export type ToWorker =
  | { type: 'init'; identity: Identity; trust: TrustMaterial }
  | { type: 'open'; id: number; envelope: Uint8Array; at: Date; delivered: boolean }
  | { type: 'receipt'; id: number; original: ReceiptBinding; status: ReceiptStatus; reason?: string }
  | { type: 'remembered'; rid: number; value?: boolean; error?: string };

/** An error as it crosses threads: EnvelopeErrors keep their reason so the pipeline can tell bad letters from failures. */
export interface WireError {
  message: string;
  envelopeReason?: string;
  code?: string;
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'remember'; id: number; rid: number; signer: string; messageId: string; expiresAt: Date }
  | { type: 'opened'; id: number; opened: OpenResult; delivered?: Uint8Array }
  | { type: 'signed'; id: number; receipt: Uint8Array }
  | { type: 'failed'; id: number; error: WireError };
