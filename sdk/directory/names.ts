/**
 * URIs Sealpost uses in directory resources (docs/directory.md). They are API: other vendors'
 * directories publish Sealpost endpoints with them.
 */
export const DIRECTORY_URIS = {
  /** Endpoint.identifier system whose value is the Sealpost address (`name@domain`). */
  address: 'https://sealpost.org/fhir/sid/address',
  /** Endpoint.identifier system whose value is a mail domain: the Endpoint of the relay serving that domain (peer discovery). */
  relayDomain: 'https://sealpost.org/fhir/sid/relay-domain',
  /** Endpoint extension: the address's encryption certificate, PEM (valueString). */
  certificate: 'https://sealpost.org/fhir/StructureDefinition/encryption-certificate',
  /** Endpoint extension: when that certificate expires (valueDateTime). */
  certificateExpiry: 'https://sealpost.org/fhir/StructureDefinition/encryption-certificate-expiry',
  /** Endpoint.connectionType system and code for the Sealpost relay protocol. */
  connectionTypeSystem: 'https://sealpost.org/fhir/CodeSystem/connection-type',
  connectionType: 'sealpost-relay-v1',
  /** Endpoint.payloadType system of the payload forms below. */
  payloadTypeSystem: 'https://sealpost.org/fhir/CodeSystem/payload-type',
} as const;

/** Payload forms an Endpoint can accept (Endpoint.payloadType codes in {@link DIRECTORY_URIS}.payloadTypeSystem). */
export const PAYLOAD_TYPES = {
  /** FHIR R4 document Bundle (Composition first). */
  fhirDocument: 'fhir-document',
  /** HL7 v2 REF^I12, HL7 AU level 2: structured (RF1, PRD, OBX text sections) plus rendering. */
  refI12L2: 'hl7v2-ref-i12-l2',
  /** HL7 v2 REF^I12, level 1: a PDF rendering in OBX (ED). */
  refI12L1: 'hl7v2-ref-i12-l1',
  oruR01: 'hl7v2-oru-r01',
  mdmT02: 'hl7v2-mdm-t02',
  pdf: 'pdf',
} as const;

export type PayloadType = (typeof PAYLOAD_TYPES)[keyof typeof PAYLOAD_TYPES];

/** HTTP header carrying the relay's detached JWS over a directory answer. */
export const SIGNATURE_HEADER = 'x-sealpost-signature';
/** JWS `typ` of a signed directory answer. */
export const ANSWER_JWS_TYPE = 'sealpost-directory+jws';
