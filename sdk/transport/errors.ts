import { SealpostError } from '../errors.js';

/** What went wrong with a relay call, for callers that branch on it. */
export type TransportErrorKind = 'network' | 'auth' | 'quota' | 'conflict' | 'not-found' | 'rejected' | 'server' | 'digest';

/** Codes of {@link TransportError}, one per kind. */
export type TransportErrorCode =
  | 'ERR_TRANSPORT_NETWORK'
  | 'ERR_TRANSPORT_AUTH'
  | 'ERR_TRANSPORT_QUOTA'
  | 'ERR_TRANSPORT_CONFLICT'
  | 'ERR_TRANSPORT_NOT_FOUND'
  | 'ERR_TRANSPORT_REJECTED'
  | 'ERR_TRANSPORT_SERVER'
  | 'ERR_TRANSPORT_DIGEST';

/** The relay's problem+json body (docs/protocol.md §2), when it sent one. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  /** The relay's stable code, e.g. `ERR_RELAY_CONFLICT`. */
  code?: string;
  [member: string]: unknown;
}

const CODES: Record<TransportErrorKind, TransportErrorCode> = {
  network: 'ERR_TRANSPORT_NETWORK',
  auth: 'ERR_TRANSPORT_AUTH',
  quota: 'ERR_TRANSPORT_QUOTA',
  conflict: 'ERR_TRANSPORT_CONFLICT',
  'not-found': 'ERR_TRANSPORT_NOT_FOUND',
  rejected: 'ERR_TRANSPORT_REJECTED',
  server: 'ERR_TRANSPORT_SERVER',
  digest: 'ERR_TRANSPORT_DIGEST',
};

/**
 * A failed relay call. `kind` says what the caller can do: `network` and `server` were retried
 * already and may be retried later; `auth` needs a working identity; `quota` (413, 429) means too
 * big or too fast; `conflict` means the messageId was used for other content; `rejected` is any
 * other refusal of the request; `digest` means the bytes received do not match the relay's digest.
 * `status` and `problem` carry the HTTP status and the relay's problem+json body when there was one.
 */
export class TransportError extends SealpostError {
  declare readonly code: TransportErrorCode;
  readonly kind: TransportErrorKind;
  readonly status: number | undefined;
  readonly problem: Problem | undefined;

  constructor(kind: TransportErrorKind, message: string, options: { status?: number; problem?: Problem; cause?: unknown } = {}) {
    super(CODES[kind], message, { cause: options.cause });
    this.kind = kind;
    this.status = options.status;
    this.problem = options.problem;
  }
}

/** The kind of an HTTP error status. */
export function kindOfStatus(status: number): TransportErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 413 || status === 429) return 'quota';
  if (status === 409) return 'conflict';
  if (status === 404) return 'not-found';
  if (status >= 500 || status === 408) return 'server';
  return 'rejected';
}
