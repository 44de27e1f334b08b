/**
 * HL7 v2: lazy, byte-exact parsing of messages and batch files, 1-based path addressing, escape
 * decoding and encoding, and message creation. Runs in browsers, MV3 service workers and Node.
 *
 * @example
 * import { parseMessage } from '@sealpost/sdk/hl7v2';
 * const msg = parseMessage(bytes);
 * msg.get('PID-5.1'); // decoded family name
 */
export type { Delimiters } from './delimiters.js';
export { DEFAULT_DELIMITERS, encodingCharacters } from './delimiters.js';
export type { Hl7ErrorCode, Hl7Location } from './errors.js';
export { Hl7ParseError } from './errors.js';
export type { UnescapeOptions } from './escape.js';
export { escapeText, unescapeText } from './escape.js';
export type { Hl7Path } from './path.js';
export { parsePath } from './path.js';
export type { ParseOptions } from './parse.js';
export { DEFAULT_MAX_BYTES, parseMessage } from './parse.js';
export type { BatchEnvelopeSegment, BatchMessageEntry, Hl7Batch, Hl7BatchMessage, Hl7BatchSplit } from './batch.js';
export { parseBatch, splitBatch } from './batch.js';
export type { CreateMessageOptions } from './create.js';
export { createMessage } from './create.js';
export { Hl7Message } from './message.js';
export type { ComponentInput, FieldInput, RepetitionInput } from './segment.js';
export { Hl7Segment } from './segment.js';

// --- Builders, acknowledgments, embedded documents and typed segment accessors (issue 2, part 3).
export type { AckCode, BuildAckOptions } from './ack.js';
export { buildAck, buildErrorAck } from './ack.js';
export type { EmbeddedDocument, ExtractDocumentsOptions } from './embedded/extract-documents.js';
export { extractDocuments } from './embedded/extract-documents.js';
export type { BuildReferralOptions, ReferralAttachment, ReferralDisplay } from './build/build-referral.js';
export { buildReferral } from './build/build-referral.js';
export type { BuildPdfResultOptions, ResultObservation } from './build/build-pdf-result.js';
export { buildPdfResult } from './build/build-pdf-result.js';
export type { BuildDocumentNotificationOptions } from './build/build-document-notification.js';
export { buildDocumentNotification } from './build/build-document-notification.js';
export type { AddressInput, CodedValue, DocumentInput, HierarchicDesignator, MessageEndpoint, MessageHeaderOptions, PatientInput, ProviderInput } from './build/types.js';
export type { SegmentAccessor, TypedSegment } from './segments/accessors.js';
export { err, evn, msa, msh, nte, obr, obx, orc, pid, prd, pv1, rf1, SegmentView, txa } from './segments/accessors.js';
export { ERR_FIELDS, EVN_FIELDS, MSA_FIELDS, MSH_FIELDS, NTE_FIELDS, OBR_FIELDS, OBX_FIELDS, ORC_FIELDS, PID_FIELDS, PRD_FIELDS, PV1_FIELDS, RF1_FIELDS, TXA_FIELDS } from './segments/fields.js';
