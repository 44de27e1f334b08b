import { SealpostError } from '../errors.js';

/** Codes of {@link DirectoryError} (docs/errors.md, "Directory"). */
export type DirectoryErrorCode =
  | 'ERR_DIRECTORY_SIGNATURE'
  | 'ERR_DIRECTORY_UNTRUSTED'
  | 'ERR_DIRECTORY_HTTP'
  | 'ERR_DIRECTORY_RESPONSE'
  | 'ERR_DIRECTORY_NOT_FOUND'
  | 'ERR_DIRECTORY_AMBIGUOUS'
  | 'ERR_DIRECTORY_CERTIFICATE'
  | 'ERR_DIRECTORY_NO_PAYLOAD_FORM';

/** A directory answer that cannot be used: unsigned or badly signed, untrusted, unreachable, or no match. */
export class DirectoryError extends SealpostError {
  declare readonly code: DirectoryErrorCode;
  /** The directory base URL the error concerns, when there is one. */
  readonly directory: string | undefined;

  constructor(code: DirectoryErrorCode, message: string, options: { cause?: unknown; directory?: string } = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.directory = options.directory;
  }
}
