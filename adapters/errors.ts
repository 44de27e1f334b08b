import { SealpostError } from '@sealpost/sdk';

/** Codes of the adapters' errors (listed in docs/errors.md). */
export type AdapterErrorCode =
  | 'ERR_MLLP_FRAME_TOO_LARGE'
  | 'ERR_MLLP_FRAME_INCOMPLETE'
  | 'ERR_MLLP_TIMEOUT'
  | 'ERR_MLLP_CONNECTION'
  | 'ERR_STORE'
  | 'ERR_MATCH_REVIEW_STATE'
  | 'ERR_IMPORT_STATE'
  | 'ERR_IMPORT_RENDER'
  | 'ERR_IMPORT_CRYPTO_WORKER'
  | 'ERR_EMR_REQUEST'
  | 'ERR_EMR_AUTH';

/**
 * Bad data or a failed peer seen by an adapter. `offset` is the byte offset in the stream where
 * one applies (MLLP decoder errors).
 */
export class AdapterError extends SealpostError {
  declare readonly code: AdapterErrorCode;
  readonly offset: number | undefined;

  constructor(code: AdapterErrorCode, message: string, options: { cause?: unknown; offset?: number } = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.offset = options.offset;
  }
}
