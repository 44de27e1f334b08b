import type { Organization, Patient, Practitioner, PractitionerRole } from '@medplum/fhirtypes';
import { IDENTIFIER_SYSTEMS } from '@sealpost/sdk/fhir';

// Made-up people with valid check digits (see validate-identifier.test.ts for the sources).
export const patient: Patient = {
  resourceType: 'Patient',
  id: 'pat-1',
  identifier: [
    { system: IDENTIFIER_SYSTEMS.ihi, value: '8003608166690503' },
    { system: IDENTIFIER_SYSTEMS.medicare, value: '2123456701' },
  ],
  name: [{ family: "O'Brien", given: ['Mary', 'Anne'] }],
  gender: 'female',
  birthDate: '1968-04-12',
  address: [{ line: ['1 Harbour St'], city: 'Sydney', state: 'NSW', postalCode: '2000', country: 'AU' }],
};

export const author: Practitioner = {
  resourceType: 'Practitioner',
  id: 'prac-1',
  identifier: [{ system: IDENTIFIER_SYSTEMS.hpiI, value: '8003619900015717' }],
  name: [{ family: 'Citizen', given: ['Jane'], prefix: ['Dr'] }],
};

export const organization: Organization = {
  resourceType: 'Organization',
  id: 'org-1',
  identifier: [{ system: IDENTIFIER_SYSTEMS.hpiO, value: '8003621566684455' }],
  name: 'Harbourside GP',
};

export const authorRole: PractitionerRole = {
  resourceType: 'PractitionerRole',
  id: 'role-1',
  practitioner: { reference: 'Practitioner/prac-1' },
  organization: { reference: 'Organization/org-1' },
};

export const recipient: Practitioner = {
  resourceType: 'Practitioner',
  id: 'prac-2',
  name: [{ family: 'Nguyen', given: ['Tom'], prefix: ['Dr'] }],
};

let counter = 0;
/** Deterministic UUIDs for builders. */
export const sequentialIds = (): (() => string) => {
  counter = 0;
  return () => `00000000-0000-4000-8000-${String(++counter).padStart(12, '0')}`;
};
export const fixedNow = (): Date => new Date('2026-03-04T05:06:07.000Z');
