/**
 * Every error the SDK throws for bad data derives from {@link SealpostError} and carries a stable
 * `code` (`ERR_<AREA>_<WHAT>`). Codes are API: they are listed in docs/errors.md and never renamed
 * or reused. Programmer misuse (a wrong argument type, an impossible option) is a plain
 * `TypeError` or `RangeError` instead.
 */
export class SealpostError extends Error {
  /** Stable, machine-readable error code, e.g. `ERR_HL7_PARSE`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A capability the runtime does not offer (for example a text encoding or a WebCrypto algorithm). */
export class NotSupportedError extends SealpostError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_NOT_SUPPORTED', message, options);
  }
}
