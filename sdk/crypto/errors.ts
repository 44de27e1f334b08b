import { SealpostError } from '../errors.js';

/**
 * Why an envelope (or a receipt) did not open. Each reason has its own code
 * `ERR_ENVELOPE_<REASON>` (listed in docs/errors.md):
 * - `malformed`: not a CMS structure we can read, or a size or structure limit was exceeded;
 * - `unsupported`: a well-formed algorithm or option we refuse (PKCS#1 v1.5 key transport, a GCM
 *   nonce other than 12 bytes, a tag other than 16 bytes, a digest other than SHA-256);
 * - `decrypt`: no recipient info for our key, or key unwrap / AES-GCM authentication failed;
 * - `signature`: the signature, message digest or signed attributes do not verify;
 * - `chain`: the signer's certificate does not chain to the trust store at the given time, is
 *   expired, revoked or lacks the key usage;
 * - `not-recipient`: the opener is not among the signed intendedRecipients (surreptitious forwarding);
 * - `replay`: the signer already sent this messageId inside its validity window;
 * - `expired`: the message's signed expiresAt has passed;
 * - `no-header`: a plain CMS message without the Sealpost header (open it with `interop: true`);
 * - `too-large`: the payload exceeds the 64 MiB per-envelope limit;
 * - `receipt`: a receipt that does not bind to the given message;
 * - `attachment`: an attachment payload that the message's signed header does not list.
 */
export type EnvelopeReason =
  | 'malformed'
  | 'unsupported'
  | 'decrypt'
  | 'signature'
  | 'chain'
  | 'not-recipient'
  | 'replay'
  | 'expired'
  | 'no-header'
  | 'too-large'
  | 'receipt'
  | 'attachment';

/** Every code an {@link EnvelopeError} can carry, so `switch (error.code)` narrows. */
export type EnvelopeErrorCode = `ERR_ENVELOPE_${Uppercase<EnvelopeReasonCodePart>}`;
type EnvelopeReasonCodePart = 'malformed' | 'unsupported' | 'decrypt' | 'signature' | 'chain' | 'not_recipient' | 'replay' | 'expired' | 'no_header' | 'too_large' | 'receipt' | 'attachment';

/** An envelope or receipt failed a check; nothing from it may be used. */
export class EnvelopeError extends SealpostError {
  /** The failed check. */
  readonly reason: EnvelopeReason;
  declare readonly code: EnvelopeErrorCode;

  constructor(reason: EnvelopeReason, message: string, options?: { cause?: unknown }) {
    super(`ERR_ENVELOPE_${reason.toUpperCase().replace(/-/g, '_')}`, message, options);
    this.reason = reason;
  }
}

/**
 * Why a certificate was refused by {@link validateChain}. Code `ERR_CRYPTO_CHAIN_<REASON>`.
 * - `untrusted`: no path to a trust anchor; `signature`: a certificate's signature is wrong;
 * - `expired` / `not-yet-valid`: outside its validity at the given time;
 * - `key-usage`: keyUsage, extendedKeyUsage or basicConstraints do not allow the use;
 * - `revoked`: listed on a given CRL; `malformed`: not a readable certificate.
 */
export type ChainReason = 'untrusted' | 'signature' | 'expired' | 'not-yet-valid' | 'key-usage' | 'revoked' | 'malformed';

/** A certificate path did not validate. `subject` names the certificate that failed. */
export class ChainError extends SealpostError {
  readonly reason: ChainReason;
  readonly subject: string;

  constructor(reason: ChainReason, subject: string, message: string, options?: { cause?: unknown }) {
    super(`ERR_CRYPTO_CHAIN_${reason.toUpperCase().replace(/-/g, '_')}`, message, options);
    this.reason = reason;
    this.subject = subject;
  }
}

/**
 * Errors about identities and key material (not about a message). Codes:
 * `ERR_CRYPTO_PKCS12_LEGACY`, `ERR_CRYPTO_PKCS12_INTEGRITY`, `ERR_CRYPTO_PKCS12_MALFORMED`,
 * `ERR_CRYPTO_PKCS12_UNSUPPORTED`, `ERR_CRYPTO_KEY_PASSPHRASE`, `ERR_CRYPTO_KEY_MALFORMED`,
 * `ERR_CRYPTO_KEY_NOT_FOUND`, `ERR_CRYPTO_CERT_MALFORMED`, `ERR_CRYPTO_KEY_MISMATCH`,
 * `ERR_CRYPTO_RECIPIENT_KEY_USAGE`.
 */
export class CryptoError extends SealpostError {}
