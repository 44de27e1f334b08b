import type { Endpoint } from '@medplum/fhirtypes';
import { toPem } from '../crypto/index.js';
import { certInfo } from '../crypto/internal/cert.js';
import { DIRECTORY_URIS } from './names.js';
import type { PayloadType } from './names.js';

/** Options for {@link buildEndpoint}. */
export interface BuildEndpointOptions {
  /** Resource id. Default: derived from the address (`jane-at-gp.example`). */
  id?: string;
  /** Sealpost address, `name@domain`. */
  address: string;
  /** Base URL of the relay holding the mailbox. */
  relayUrl: string;
  /** The address's encryption certificate (DER). Its PEM and expiry are published. */
  certificate: Uint8Array;
  /** Accepted payload forms, best first. Default: FHIR document, REF^I12 L2, REF^I12 L1. */
  payloadTypes?: PayloadType[];
  /** Display name. Default the address. */
  name?: string;
  /** `Organization/<id>` that manages the endpoint. */
  organization?: string;
}

/** An Endpoint id derived from an address: only [A-Za-z0-9-.], at most 64 characters. */
export function endpointIdFor(address: string): string {
  return address.toLowerCase().replace('@', '-at-').replace(/[^a-z0-9\-.]/g, '-').slice(0, 64);
}

/**
 * Builds the FHIR Endpoint that publishes a Sealpost mailbox: connection type sealpost-relay-v1,
 * `address` the relay URL, the Sealpost address as identifier ({@link DIRECTORY_URIS}.address),
 * accepted payload types, and the encryption certificate as PEM with its expiry (extensions).
 * Throws `ERR_CRYPTO_CERT_MALFORMED` for an unreadable certificate.
 */
export function buildEndpoint(options: BuildEndpointOptions): Endpoint {
  const info = certInfo(options.certificate);
  const payloadTypes = options.payloadTypes ?? ['fhir-document', 'hl7v2-ref-i12-l2', 'hl7v2-ref-i12-l1'];
  return {
    resourceType: 'Endpoint',
    id: options.id ?? endpointIdFor(options.address),
    extension: [
      { url: DIRECTORY_URIS.certificate, valueString: toPem(options.certificate, 'CERTIFICATE') },
      { url: DIRECTORY_URIS.certificateExpiry, valueDateTime: info.notAfter.toISOString() },
    ],
    identifier: [{ system: DIRECTORY_URIS.address, value: options.address.toLowerCase() }],
    status: 'active',
    connectionType: { system: DIRECTORY_URIS.connectionTypeSystem, code: DIRECTORY_URIS.connectionType },
    name: options.name ?? options.address,
    ...(options.organization ? { managingOrganization: { reference: options.organization } } : {}),
    payloadType: payloadTypes.map((code) => ({ coding: [{ system: DIRECTORY_URIS.payloadTypeSystem, code }] })),
    address: options.relayUrl,
  };
}
