import { SealpostError } from '@sealpost/sdk';

/** Relay error codes (docs/errors.md, "Relay"), with the HTTP status each is answered with. */
export const RELAY_ERRORS = {
  ERR_RELAY_BAD_REQUEST: 400,
  ERR_RELAY_DIGEST_MISMATCH: 400,
  ERR_RELAY_AUTH: 401,
  ERR_RELAY_FORBIDDEN: 403,
  ERR_RELAY_INVITE: 403,
  ERR_RELAY_NOT_FOUND: 404,
  ERR_RELAY_TIMEOUT: 408,
  ERR_RELAY_CONFLICT: 409,
  ERR_RELAY_MAILBOX_EXISTS: 409,
  ERR_RELAY_CHUNK_ORDER: 409,
  ERR_RELAY_TOO_LARGE: 413,
  ERR_RELAY_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_RELAY_RANGE: 416,
  ERR_RELAY_UNKNOWN_RECIPIENT: 422,
  ERR_RELAY_INCOMPLETE: 422,
  ERR_RELAY_RATE_LIMITED: 429,
  ERR_RELAY_HEADERS_TOO_LARGE: 431,
  ERR_RELAY_INTERNAL: 500,
  ERR_RELAY_LOOP: 508,
  ERR_RELAY_UNAVAILABLE: 503,
} as const;

export type RelayErrorCode = keyof typeof RELAY_ERRORS;

/** An error the relay answers as problem+json (RFC 9457) with `code` and the mapped status. */
export class RelayError extends SealpostError {
  declare readonly code: RelayErrorCode;
  readonly status: number;
  /** Extra problem members (e.g. `nextIndex` for a chunk out of order). */
  readonly extra: Record<string, unknown> | undefined;

  constructor(code: RelayErrorCode, message: string, options?: { cause?: unknown; extra?: Record<string, unknown> }) {
    super(code, message, options);
    this.status = RELAY_ERRORS[code];
    this.extra = options?.extra;
  }
}
