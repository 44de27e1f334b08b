/**
 * FHIR R4 for Sealpost: validation against HL7's R4 JSON schema plus the rules it cannot say,
 * identifier check digits, builders for what Sealpost sends, and HL7 v2 ↔ FHIR conversion.
 * Types are those of @medplum/fhirtypes (types only).
 */
export { FhirValidationError } from './errors.js';
export type { FhirErrorCode, FhirIssue, FhirIssueCode } from './errors.js';
export { RECIPIENT_EXTENSION, SEALPOST_PROFILES } from './profiles.js';
export { IDENTIFIER_SYSTEMS, luhnValid, validateIdentifier } from './validate-identifier.js';
export type { IdentifierValidation } from './validate-identifier.js';
export { parseFhir, validateFhir } from './validate.js';
export type { FhirValidationResult, ValidateFhirOptions } from './validate.js';
export { buildDocumentBundle, REFERRAL_NOTE } from './build-document-bundle.js';
export type { BuildDocumentBundleOptions } from './build-document-bundle.js';
export { buildMessageBundle } from './build-message-bundle.js';
export type { BuildMessageBundleOptions, MessageEndpoint } from './build-message-bundle.js';
export { buildCommunication } from './build-communication.js';
export type { BuildCommunicationOptions } from './build-communication.js';
export { buildDocumentReference } from './build-document-reference.js';
export type { BuildDocumentReferenceOptions } from './build-document-reference.js';
export { buildDiagnosticReport } from './build-diagnostic-report.js';
export type { BuildDiagnosticReportOptions } from './build-diagnostic-report.js';
export { buildServiceRequest, PATIENT_REFERRAL } from './build-service-request.js';
export type { BuildServiceRequestOptions } from './build-service-request.js';
export type { Content } from './content.js';
export { convertHl7v2ToFhir } from './convert-hl7v2-to-fhir.js';
export type { ConversionNote, ConvertHl7v2ToFhirOptions, ConvertHl7v2ToFhirResult } from './convert-hl7v2-to-fhir.js';
export { convertFhirToHl7v2 } from './convert-fhir-to-hl7v2.js';
export type { ConvertFhirToHl7v2Options, ConvertFhirToHl7v2Result, Hl7v2Party, Hl7v2Profile } from './convert-fhir-to-hl7v2.js';
