import { ChainError, EnvelopeError } from './errors.js';
import type { Identity } from './identity.js';
import { equalBytes } from './internal/bytes.js';
import { certDigestHex, certInfo } from './internal/cert.js';
import type { CertInfo } from './internal/cert.js';
import { children, expectTag, readOctets, readRoot, readTime } from './internal/der.js';
import type { Element, ReadLimits } from './internal/der.js';
import { decryptAuthEnveloped } from './internal/auth-enveloped-data.js';
import { decodeHeader } from './internal/header.js';
import type { SealpostHeader } from './internal/header.js';
import { OID } from './internal/oids.js';
import { parseSignedData, parseSignedDataContentInfo, singleAttribute, verifySigner } from './internal/signed-data.js';
import type { ParsedSignedData, ParsedSigner } from './internal/signed-data.js';
import type { SeenStore } from './seen-store.js';
import { MAX_PAYLOAD_BYTES } from './seal.js';
import type { TrustStore } from './trust-store.js';
import { validateChain } from './trust-store.js';

/** Options for {@link openEnvelope}. */
export interface OpenOptions {
  /** The receiving identity (its certificate must be among the recipients). */
  identity: Identity;
  /** Trust anchors and pins the signer must chain to. */
  trust: TrustStore;
  /** Time for chain validation, expiry and replay. Default now. */
  at?: Date;
  /** Replay protection. Required unless `interop` is set and the message has no Sealpost header. */
  seenStore?: SeenStore;
  /**
   * Accept a plain CMS message without the Sealpost header (another system's S/MIME-style
   * message): it is still decrypted and its signature and chain verified, but recipient binding,
   * replay and expiry cannot be checked, which the result reports. Default false.
   */
  interop?: boolean;
  /** Largest envelope accepted, in bytes. Default 64 MiB + 1 MiB of CMS overhead. */
  maxBytes?: number;
  /** Maximum nesting followed in BER indefinite-length input. Default 32. */
  maxDepth?: number;
}

/** A receiptRequest found in the message (RFC 2634 §2.7). */
export interface ReceiptRequestInfo {
  signedContentIdentifier: Uint8Array;
  /** rfc822Name addresses in receiptsTo. */
  receiptsTo: string[];
}

/** What {@link openEnvelope} returns, only after every check has passed. */
export interface OpenResult {
  payload: Uint8Array;
  /** The verified Sealpost header; undefined for an interop message. */
  header: SealpostHeader | undefined;
  signer: {
    /** DER certificate of the signer. */
    certificate: Uint8Array;
    subject: string;
    /** rfc822Name addresses of the signer certificate. */
    addresses: string[];
  };
  /** Validated path, signer first, trust anchor (or pinned certificate) last. */
  chain: Uint8Array[];
  signingTime: Date | undefined;
  receiptRequest: ReceiptRequestInfo | undefined;
  /** Which checks could be made: both true for Sealpost messages, false for interop messages. */
  checks: { recipientBinding: boolean; replay: boolean; expiry: boolean };
  /** @internal Material a receipt binds to: the signature value and the signed attributes (SET). */
  binding: { signature: Uint8Array; signedAttributes: Uint8Array; contentType: string };
}

/** Parses the decrypted inner content into SignedData, accepting both nestings (see seal.ts). */
export function innerSignedData(contentType: string, plaintext: Uint8Array, limits: ReadLimits): ParsedSignedData {
  const root = readRoot(plaintext, 'inner content', limits);
  if (contentType === OID.signedData) return parseSignedData(expectTag(root, 0x30, 'SignedData'), limits);
  if (contentType === OID.data) return parseSignedDataContentInfo(root, limits);
  throw new EnvelopeError('malformed', `encrypted content type ${contentType} is neither data nor signedData`);
}

function readReceiptRequest(value: Element | undefined): ReceiptRequestInfo | undefined {
  if (!value) return undefined;
  const [identifier, , receiptsTo] = children(expectTag(value, 0x30, 'ReceiptRequest'), 'ReceiptRequest');
  const addresses: string[] = [];
  for (const names of receiptsTo ? children(expectTag(receiptsTo, 0x30, 'receiptsTo'), 'receiptsTo') : []) {
    for (const name of children(names, 'GeneralNames')) if (name.tag === 0x81) addresses.push(new TextDecoder().decode(name.value));
  }
  return { signedContentIdentifier: readOctets(expectTag(identifier, 0x04, 'signedContentIdentifier'), 'signedContentIdentifier'), receiptsTo: addresses };
}

/**
 * Decrypts and verifies an envelope and returns its payload only when every check passes:
 * AES-GCM authentication (`decrypt`), the signature and signed attributes (`signature`), the
 * signer's chain to `trust` at `at` with signing key usage (`chain`), the opener among the signed
 * intendedRecipients (`not-recipient`), expiry (`expired`) and the messageId not seen before from
 * this signer (`replay`). Each failure is an {@link EnvelopeError} with that reason and code
 * `ERR_ENVELOPE_<REASON>`; structure and limit failures are `malformed`/`too-large`, refused
 * algorithms `unsupported`, a plain CMS message without `interop` is `no-header`.
 */
/** @internal Decrypts, verifies the signature and the chain; shared by openEnvelope and receipts. */
export async function decryptAndVerify(envelope: Uint8Array, options: Pick<OpenOptions, 'identity' | 'trust' | 'at' | 'maxBytes' | 'maxDepth'>, expectedContentType: string = OID.data): Promise<{ signedData: ParsedSignedData; signer: ParsedSigner; certificate: CertInfo; chain: Uint8Array[] }> {
  const maxBytes = options.maxBytes ?? MAX_PAYLOAD_BYTES + 1024 * 1024;
  if (envelope.length > maxBytes) throw new EnvelopeError('too-large', `envelope of ${envelope.length} bytes exceeds the ${maxBytes}-byte limit`);
  // 4 million element reads: a 64 MiB message streamed by OpenSSL in 4 KiB segments needs about 200 000.
  const limits: ReadLimits = { maxDepth: options.maxDepth ?? 32, budget: { left: 4_000_000 } };
  const at = options.at ?? new Date();
  const { contentType, plaintext } = await decryptAuthEnveloped(readRoot(envelope, 'envelope', limits), options.identity, limits);
  const signedData = innerSignedData(contentType, plaintext, limits);
  if (signedData.contentType !== expectedContentType) throw new EnvelopeError('malformed', `signed content type ${signedData.contentType} is not ${expectedContentType}`);
  const { signer, certificate } = await verifySigner(signedData);
  try {
    const chain = await validateChain(certificate.der, options.trust, { at, intermediates: signedData.certificates, use: 'sign' });
    return { signedData, signer, certificate, chain };
  } catch (error) {
    if (error instanceof ChainError) throw new EnvelopeError('chain', `signer certificate refused: ${error.message}`, { cause: error });
    throw error;
  }
}

export async function openEnvelope(envelope: Uint8Array, options: OpenOptions): Promise<OpenResult> {
  const at = options.at ?? new Date();
  const { signedData, signer, certificate, chain } = await decryptAndVerify(envelope, options);
  const signingTimeValue = singleAttribute(signer, OID.signingTime);
  const signingTime = signingTimeValue ? readTime(signingTimeValue, 'signingTime') : undefined;
  let receiptRequest: ReceiptRequestInfo | undefined;
  try {
    receiptRequest = readReceiptRequest(singleAttribute(signer, OID.receiptRequest));
  } catch (error) {
    throw new EnvelopeError('malformed', 'unreadable receiptRequest attribute', { cause: error });
  }
  const result = {
    signer: { certificate: certificate.der, subject: certificate.subject, addresses: certificate.emails },
    chain,
    signingTime,
    receiptRequest,
    binding: { signature: signer.signature, signedAttributes: signer.signedAttributes, contentType: signedData.contentType },
  };

  const headerValue = singleAttribute(signer, OID.sealpostHeader);
  if (!headerValue) {
    if (!options.interop) throw new EnvelopeError('no-header', 'a plain CMS message without the Sealpost header: recipient binding and replay cannot be checked (open it with interop to accept that)');
    return { ...result, payload: signedData.content, header: undefined, checks: { recipientBinding: false, replay: false, expiry: false } };
  }
  if (!options.seenStore) throw new TypeError('openEnvelope: a seenStore is required to check replays');
  const header = decodeHeader(headerValue);
  if (header.padding > signedData.content.length) throw new EnvelopeError('malformed', 'Sealpost header: padding longer than the content');
  if (certificate.emails.length > 0 && !certificate.emails.includes(header.sender.address.toLowerCase())) {
    throw new EnvelopeError('signature', `the header's sender ${header.sender.address} is not an address of the signing certificate '${certificate.subject}'`);
  }
  const me = certInfo(options.identity.certificate);
  const myDigest = await certDigestHex(me.der);
  const isSender = equalBytes(me.der, certificate.der);
  if (!isSender && !header.intendedRecipients.some((r) => r.certificateSha256 === myDigest)) {
    throw new EnvelopeError('not-recipient', `'${me.subject}' is not among the intended recipients (${header.intendedRecipients.map((r) => r.address).join(', ')}): the message was forwarded`);
  }
  const expiresAt = new Date(header.expiresAt);
  if (at.getTime() > expiresAt.getTime()) throw new EnvelopeError('expired', `the message expired at ${header.expiresAt}`);
  // Last, so that a message failing any other check does not use up its messageId.
  const fresh = await options.seenStore.remember(await certDigestHex(certificate.der), header.messageId, expiresAt);
  if (!fresh) throw new EnvelopeError('replay', `messageId ${header.messageId} from '${certificate.subject}' was already received`);
  return { ...result, payload: signedData.content.subarray(0, signedData.content.length - header.padding), header, checks: { recipientBinding: true, replay: true, expiry: true } };
}

