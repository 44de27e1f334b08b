/** A small hand-made directory (two practices, three practitioners) shared by the directory tests. */
import type { Resource } from '../../relay/directory/index.js';

/** Appends the Luhn check digit to `body` (digits). */
export function withLuhn(body: string): string {
  for (let d = 0; d <= 9; d++) {
    const candidate = `${body}${d}`;
    let sum = 0;
    for (let i = 0; i < candidate.length; i++) {
      let v = candidate.charCodeAt(candidate.length - 1 - i) - 48;
      if (i % 2 === 1) {
        v *= 2;
        if (v > 9) v -= 9;
      }
      sum += v;
    }
    if (sum % 10 === 0) return candidate;
  }
  throw new Error('unreachable');
}

export const HPII = 'http://ns.electronichealth.net.au/id/hi/hpii/1.0';
export const HPIO = 'http://ns.electronichealth.net.au/id/hi/hpio/1.0';
export const SNOMED = 'http://snomed.info/sct';
export const ADDRESS = 'https://sealpost.org/fhir/sid/address';

export const hpiI = (n: number): string => withLuhn(`800361${String(n).padStart(9, '0')}`);
export const hpiO = (n: number): string => withLuhn(`800362${String(n).padStart(9, '0')}`);

export function sampleDirectory(): Resource[] {
  return [
    {
      resourceType: 'Organization',
      id: 'harbourside',
      identifier: [{ system: HPIO, value: hpiO(1) }],
      name: 'Harbourside Medical Centre',
      alias: ['Harbourside GP'],
      address: [{ city: 'Manly', postalCode: '2095', state: 'NSW' }],
      endpoint: [{ reference: 'Endpoint/harbourside-inbox' }],
    },
    {
      resourceType: 'Organization',
      id: 'northside',
      identifier: [{ system: HPIO, value: hpiO(2) }],
      name: 'Northside Cardiology',
      address: [{ city: 'Chatswood', postalCode: '2067' }],
    },
    {
      resourceType: 'Practitioner',
      id: 'jane',
      identifier: [{ system: HPII, value: hpiI(1) }],
      name: [{ family: 'Citizen', given: ['Jane'], prefix: ['Dr'] }],
      address: [{ city: 'Manly', postalCode: '2095' }],
    },
    {
      resourceType: 'Practitioner',
      id: 'zoe',
      identifier: [{ system: HPII, value: hpiI(2) }],
      name: [{ family: "O'Brien-Smith", given: ['Zoë', 'Anne'] }],
      address: [{ city: 'Chatswood', postalCode: '2067' }],
    },
    {
      resourceType: 'Practitioner',
      id: 'janet',
      identifier: [{ system: HPII, value: hpiI(3) }],
      name: [{ family: 'Smithers', given: ['Janet'] }],
    },
    {
      resourceType: 'PractitionerRole',
      id: 'jane-harbourside',
      practitioner: { reference: 'Practitioner/jane' },
      organization: { reference: 'Organization/harbourside' },
      specialty: [{ coding: [{ system: SNOMED, code: '394814009', display: 'General practice' }] }],
      endpoint: [{ reference: 'Endpoint/jane' }],
    },
    {
      resourceType: 'PractitionerRole',
      id: 'zoe-northside',
      practitioner: { reference: 'Practitioner/zoe' },
      organization: { reference: 'Organization/northside' },
      specialty: [{ coding: [{ system: SNOMED, code: '394579002', display: 'Cardiology' }] }],
      endpoint: [{ reference: 'Endpoint/zoe' }],
    },
    {
      resourceType: 'PractitionerRole',
      id: 'janet-harbourside',
      practitioner: { reference: 'Practitioner/janet' },
      organization: { reference: 'Organization/harbourside' },
      specialty: [{ coding: [{ system: SNOMED, code: '394814009' }] }],
    },
    {
      resourceType: 'HealthcareService',
      id: 'harbourside-skin',
      name: 'Harbourside Skin Cancer Clinic',
      providedBy: { reference: 'Organization/harbourside' },
      specialty: [{ coding: [{ system: SNOMED, code: '394582007' }] }],
      endpoint: [{ reference: 'Endpoint/harbourside-inbox' }],
    },
    {
      resourceType: 'Endpoint',
      id: 'jane',
      status: 'active',
      name: 'Dr Jane Citizen',
      identifier: [{ system: ADDRESS, value: 'jane@harbourside.example' }],
      connectionType: { system: 'https://sealpost.org/fhir/CodeSystem/connection-type', code: 'sealpost-relay-v1' },
      payloadType: [{ coding: [{ system: 'https://sealpost.org/fhir/CodeSystem/payload-type', code: 'fhir-document' }] }],
      address: 'https://relay.harbourside.example',
      managingOrganization: { reference: 'Organization/harbourside' },
    },
    {
      resourceType: 'Endpoint',
      id: 'zoe',
      status: 'active',
      name: 'Dr Zoe OBrien-Smith',
      identifier: [{ system: ADDRESS, value: 'zoe@northside.example' }],
      connectionType: { system: 'https://sealpost.org/fhir/CodeSystem/connection-type', code: 'sealpost-relay-v1' },
      payloadType: [{ coding: [{ system: 'https://sealpost.org/fhir/CodeSystem/payload-type', code: 'hl7v2-ref-i12-l1' }] }],
      address: 'https://relay.northside.example',
      managingOrganization: { reference: 'Organization/northside' },
    },
    {
      resourceType: 'Endpoint',
      id: 'harbourside-inbox',
      status: 'active',
      name: 'Harbourside shared inbox',
      identifier: [{ system: ADDRESS, value: 'reception@harbourside.example' }],
      connectionType: { system: 'https://sealpost.org/fhir/CodeSystem/connection-type', code: 'sealpost-relay-v1' },
      payloadType: [{ coding: [{ system: 'https://sealpost.org/fhir/CodeSystem/payload-type', code: 'hl7v2-ref-i12-l2' }] }],
      address: 'https://relay.harbourside.example',
      managingOrganization: { reference: 'Organization/harbourside' },
    },
  ];
}
