import type { Endpoint } from '@medplum/fhirtypes';
import { fromPem } from '../crypto/index.js';
import { DIRECTORY_URIS, PAYLOAD_TYPES } from './names.js';
import type { PayloadType } from './names.js';

/** What a Sealpost Endpoint says, read defensively. */
export interface EndpointInfo {
  /** The Sealpost address (lower case), if the Endpoint carries one. */
  address: string | undefined;
  relayUrl: string | undefined;
  /** Accepted forms Sealpost knows, in the Endpoint's order. */
  payloadTypes: PayloadType[];
  /** Encryption certificate (DER), if published. */
  certificate: Uint8Array | undefined;
  /** Its declared expiry. */
  certificateExpiresAt: Date | undefined;
  active: boolean;
}

const KNOWN = new Set<string>(Object.values(PAYLOAD_TYPES));
// Other directories describe payloads with MIME types or the IHE/HL7 codes; map the obvious ones.
const MIME: Record<string, PayloadType> = { 'application/fhir+json': 'fhir-document', 'application/fhir+xml': 'fhir-document', 'application/pdf': 'pdf' };

/** Reads an Endpoint's Sealpost address, relay URL, payload types and certificate. Never throws on odd data. */
export function readEndpoint(endpoint: Endpoint): EndpointInfo {
  const address = endpoint.identifier?.find((i) => i.system === DIRECTORY_URIS.address)?.value?.toLowerCase();
  const payloadTypes: PayloadType[] = [];
  for (const concept of endpoint.payloadType ?? []) {
    for (const coding of concept.coding ?? []) {
      if (coding.system === DIRECTORY_URIS.payloadTypeSystem && coding.code && KNOWN.has(coding.code)) payloadTypes.push(coding.code as PayloadType);
    }
  }
  for (const mime of endpoint.payloadMimeType ?? []) {
    const type = MIME[mime];
    if (type) payloadTypes.push(type);
  }
  let certificate: Uint8Array | undefined;
  const pem = endpoint.extension?.find((e) => e.url === DIRECTORY_URIS.certificate)?.valueString;
  if (pem) {
    try {
      certificate = fromPem(pem, 'CERTIFICATE')[0];
    } catch {
      certificate = undefined;
    }
  }
  const expiry = endpoint.extension?.find((e) => e.url === DIRECTORY_URIS.certificateExpiry)?.valueDateTime;
  const expiresAt = expiry ? new Date(expiry) : undefined;
  return {
    address,
    relayUrl: endpoint.address,
    payloadTypes: [...new Set(payloadTypes)],
    certificate,
    certificateExpiresAt: expiresAt && !Number.isNaN(expiresAt.getTime()) ? expiresAt : undefined,
    active: endpoint.status === undefined || endpoint.status === 'active',
  };
}
