/**
 * Canonical URLs of Sealpost's FHIR profiles. A resource claims one in `meta.profile`; the
 * builders set it, and validation then also checks the profile's required elements
 * (docs/fhir.md lists them).
 */
export const SEALPOST_PROFILES = {
  document: 'https://sealpost.org/fhir/StructureDefinition/sealpost-document',
  message: 'https://sealpost.org/fhir/StructureDefinition/sealpost-message',
  communication: 'https://sealpost.org/fhir/StructureDefinition/sealpost-communication',
  documentReference: 'https://sealpost.org/fhir/StructureDefinition/sealpost-document-reference',
  diagnosticReport: 'https://sealpost.org/fhir/StructureDefinition/sealpost-diagnostic-report',
  serviceRequest: 'https://sealpost.org/fhir/StructureDefinition/sealpost-service-request',
} as const;

/** Extension on Composition and DocumentReference naming who a letter is addressed to (R4 has no element for it). */
export const RECIPIENT_EXTENSION = 'https://sealpost.org/fhir/StructureDefinition/recipient';
