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
