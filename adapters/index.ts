/**
 * Sealpost server adapters: they own transports (sockets, folders, EMR HTTP) and leave parsing to
 * sdk/. Node only.
 */
export type { AdapterErrorCode } from './errors.js';
export { AdapterError } from './errors.js';
export type { MllpDecodeItem, MllpDecoder, MllpDecoderOptions } from './mllp/decoder.js';
export { createMllpDecoder, DEFAULT_MAX_FRAME_BYTES, encodeMllpFrame, MLLP_CR, MLLP_END, MLLP_START } from './mllp/decoder.js';
export type { InboundRecord, MllpInboundStore } from './mllp/inbound-store.js';
export { SqliteInboundStore } from './mllp/inbound-store.js';
export type { Db } from './internal/sqlite.js';
export type { MllpHandlerResult, MllpListener, MllpListenerOptions } from './mllp/listener.js';
export { startMllpListener } from './mllp/listener.js';
export type { FlushResult, MllpSenderOptions, OutboxEntry, OutboxState } from './mllp/sender.js';
export { MllpSender } from './mllp/sender.js';
export type { MatchPatientOptions, MatchPatientResult, PatientCandidate, PatientDemographics, PatientIdentifier, ScoredCandidate } from './match/match-patient.js';
export { IDENTIFIER_SYSTEMS, matchPatient, scoreDemographics } from './match/match-patient.js';
export { compareFamily, compareGiven, normalizeName } from './match/names.js';
export type { ReviewItem } from './match/review-queue.js';
export { ReviewQueue } from './match/review-queue.js';
export type { AckFileEvent, ImportFolderOptions } from './file-drop/import-folder.js';
export { ImportFolder } from './file-drop/import-folder.js';
export type { ScanAckFilesOptions, ScanAckFilesResult } from './file-drop/ack-files.js';
export { scanAckFiles } from './file-drop/ack-files.js';
export type { EmrTarget, FileRequest, ImportPipelineOptions, ImportRecord, ImportRunOptions, ImportRunResult, ImportState, InboxItem, InboxSource, ReceiptInfo, ReceiptSink, RenderedLetter } from './import/pipeline.js';
export type { EnvelopeCrypto, OpenedEnvelope, OpenRequest, ReceiptBinding } from './import/envelope-crypto.js';
export { inProcessCrypto } from './import/envelope-crypto.js';
export type { CryptoWorkerPoolOptions, TrustMaterial } from './import/crypto-pool.js';
export { CryptoWorkerPool } from './import/crypto-pool.js';
export { ImportPipeline } from './import/pipeline.js';
export { renderHl7Letter } from './import/render-hl7.js';
export type { FhirEmrOptions } from './fhir/fhir-emr.js';
export { FhirEmr, MESSAGE_ID_SYSTEM } from './fhir/fhir-emr.js';
export type { SmartBackendOptions } from './fhir/smart-backend.js';
export { signClientAssertion, smartBackendToken } from './fhir/smart-backend.js';
export type { LetterSidecar, OutboundLetter, ScanOutboxOptions, ScanOutboxResult } from './file-drop/outbox-watcher.js';
export { scanOutbox } from './file-drop/outbox-watcher.js';
export { relayInboxSource } from './import/relay-source.js';
