import { EnvelopeError } from './errors.js';
import type { ReceiptStatusInfo } from './create-receipt.js';
import { bs, equalBytes } from './internal/bytes.js';
import { certDigestHex } from './internal/cert.js';
import { children, expectTag, readOid, readSmallInteger, readRoot, readTime } from './internal/der.js';
import { OID } from './internal/oids.js';
import { singleAttribute } from './internal/signed-data.js';
import { decryptAndVerify } from './open.js';
import type { OpenOptions } from './open.js';
import { subtle } from './internal/subtle.js';

/** Options for {@link verifyReceipt}. */
export type VerifyReceiptOptions = Pick<OpenOptions, 'identity' | 'trust' | 'at' | 'maxBytes'>;

/** A verified receipt. */
export interface VerifiedReceipt {
  status: ReceiptStatusInfo;
  /** The receipt signer's certificate (DER) and subject. */
  signer: { certificate: Uint8Array; subject: string; addresses: string[] };
  signingTime: Date | undefined;
}

/**
 * Opens a receipt envelope and checks that it binds to `original` (the sender's own sealed copy
 * of the message, which the sender can open because it is always a recipient): the receipt's
 * originatorSignatureValue equals the original signature, its msgSigDigest equals the digest of
 * the original signed attributes, and its signer was an intended recipient of the original.
 * Decryption, signature and chain failures have the usual `ERR_ENVELOPE_*` codes; a receipt that
 * does not bind to the message is `ERR_ENVELOPE_RECEIPT`.
 */
export async function verifyReceipt(receiptEnvelope: Uint8Array, original: Uint8Array, options: VerifyReceiptOptions): Promise<VerifiedReceipt> {
  const receipt = await decryptAndVerify(receiptEnvelope, options, OID.receipt);
  // The original is the sender's own copy; it is decrypted and its signature checked again so the binding uses verified bytes.
  const message = await decryptAndVerify(original, options);
  const fail = (what: string): never => {
    throw new EnvelopeError('receipt', `the receipt does not bind to this message: ${what}`);
  };
  let fields;
  try {
    fields = children(expectTag(readRoot(receipt.signedData.content, 'Receipt'), 0x30, 'Receipt'), 'Receipt');
    if (readSmallInteger(fields[0], 'Receipt.version') !== 1) fail('Receipt.version is not 1');
  } catch (error) {
    if (error instanceof EnvelopeError && error.reason === 'receipt') throw error;
    throw new EnvelopeError('malformed', 'unreadable ESS Receipt', { cause: error });
  }
  if (readOid(fields[1], 'Receipt.contentType') !== message.signedData.contentType) fail('content type differs');
  const originatorSignature = expectTag(fields[3], 0x04, 'originatorSignatureValue').value;
  if (!equalBytes(originatorSignature, message.signer.signature)) fail('originatorSignatureValue differs');
  const msgSigDigest = singleAttribute(receipt.signer, OID.msgSigDigest);
  if (!msgSigDigest || msgSigDigest.tag !== 0x04) fail('no msgSigDigest');
  const expected = new Uint8Array(await subtle().digest('SHA-256', bs(message.signer.signedAttributes)));
  if (!equalBytes(expected, (msgSigDigest as NonNullable<typeof msgSigDigest>).value)) fail('msgSigDigest differs');
  const requested = singleAttribute(message.signer, OID.receiptRequest);
  if (requested) {
    const [identifier] = children(requested, 'ReceiptRequest');
    if (!identifier || !equalBytes(expectTag(identifier, 0x04, 'signedContentIdentifier').value, expectTag(fields[2], 0x04, 'signedContentIdentifier').value)) fail('signedContentIdentifier differs');
  }
  const header = singleAttribute(message.signer, OID.sealpostHeader);
  if (header) {
    const intended = (JSON.parse(new TextDecoder().decode(header.value)) as { intendedRecipients: { certificateSha256: string }[] }).intendedRecipients;
    const digest = await certDigestHex(receipt.certificate.der);
    if (!intended.some((r) => r.certificateSha256 === digest)) fail(`'${receipt.certificate.subject}' was not an intended recipient`);
  }
  const statusValue = singleAttribute(receipt.signer, OID.sealpostReceiptStatus);
  if (!statusValue || statusValue.tag !== 0x0c) fail('no Sealpost status');
  let status: ReceiptStatusInfo;
  try {
    status = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode((statusValue as NonNullable<typeof statusValue>).value)) as ReceiptStatusInfo;
  } catch (error) {
    throw new EnvelopeError('malformed', 'unreadable Sealpost receipt status', { cause: error });
  }
  if (!['delivered', 'imported', 'read', 'rejected'].includes(status.status)) throw new EnvelopeError('malformed', `unknown receipt status '${String(status.status)}'`);
  const messageId = header ? (JSON.parse(new TextDecoder().decode(header.value)) as { messageId: string }).messageId : undefined;
  if (messageId && status.messageId !== messageId) fail('status names another messageId');
  const signingTime = singleAttribute(receipt.signer, OID.signingTime);
  return {
    status,
    signer: { certificate: receipt.certificate.der, subject: receipt.certificate.subject, addresses: receipt.certificate.emails },
    signingTime: signingTime ? readTime(signingTime, 'signingTime') : undefined,
  };
}
