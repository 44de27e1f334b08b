/**
 * @sealpost/sdk/crypto — identities, trust, and the CMS envelope (design.md §4), on WebCrypto
 * alone so it runs unchanged in pages, MV3 service workers and Node 20+.
 */
export { EnvelopeError, ChainError, CryptoError } from './errors.js';
export type { EnvelopeReason, EnvelopeErrorCode, ChainReason } from './errors.js';
export type { Identity } from './identity.js';
export { identityFromPkcs8 } from './identity.js';
export { generateIdentity } from './generate-identity.js';
export { KeyUsage } from './internal/cert.js';
export type { GenerateIdentityOptions, GeneratedIdentity, ImportedIdentity, IdentityAlgorithm } from './generate-identity.js';
export { createDevCa } from './create-dev-ca.js';
export type { CreateDevCaOptions } from './create-dev-ca.js';
export { TrustStore, validateChain } from './trust-store.js';
export type { CertificateUse, ValidateChainOptions } from './trust-store.js';
export { toPem, fromPem } from './pem.js';
export { sealEnvelope, MAX_PAYLOAD_BYTES } from './seal.js';
export { allocatePayload } from './allocate-payload.js';
export type { AllocatePayloadOptions } from './allocate-payload.js';
export type { SealOptions, SealResult, SealRecipient } from './seal.js';
export { openEnvelope } from './open.js';
export type { OpenOptions, OpenResult, ReceiptRequestInfo } from './open.js';
export type { SealpostHeader } from './internal/header.js';
export { MemorySeenStore } from './seen-store.js';
export type { SeenStore } from './seen-store.js';
export { createReceipt } from './create-receipt.js';
export type { CreateReceiptOptions, ReceiptStatus, ReceiptStatusInfo } from './create-receipt.js';
export { verifyReceipt } from './verify-receipt.js';
export type { VerifyReceiptOptions, VerifiedReceipt } from './verify-receipt.js';
export { importPkcs12 } from './import-pkcs12.js';
export type { ImportPkcs12Options } from './import-pkcs12.js';
export { unlockIdentity } from './unlock-identity.js';
export type { StoredIdentity } from './unlock-identity.js';
export type { KeyStore } from './key-store.js';
export { IndexedDbKeyStore } from './indexeddb-key-store.js';
export { describeAttachment, verifyAttachment } from './attachments.js';
export type { AttachmentEntry } from './attachments.js';
