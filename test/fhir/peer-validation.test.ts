// What Sealpost builds and converts must be valid for an independent validator too, not only for
// our own: FHIR.js (npm `fhir`) checks against the R4 StructureDefinitions (cardinality, types,
// required bindings), a different source than the JSON schema we use.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  buildCommunication,
  buildDiagnosticReport,
  buildDocumentBundle,
  buildDocumentReference,
  buildMessageBundle,
  buildServiceRequest,
  convertHl7v2ToFhir,
} from '@sealpost/sdk/fhir';
import { author, authorRole, fixedNow, organization, patient, recipient, sequentialIds } from './support/people.js';

const require = createRequire(import.meta.url);
const { Fhir } = require('fhir') as { Fhir: new () => { validate(resource: unknown, options: object): { valid: boolean; messages: Array<{ severity: string; location: string; message: string }> } } };
const fhir = new Fhir();
const errors = (resource: unknown): string[] => fhir.validate(resource, {}).messages.filter((m) => m.severity === 'error').map((m) => `${m.location}: ${m.message}`);
const v2 = fileURLToPath(new URL('../fixtures/hl7v2/', import.meta.url));
const pdf = new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d]);
const common = { newId: sequentialIds(), now: fixedNow };
const subject = { reference: 'Patient/pat-1' };

describe('FHIR.js agrees that what Sealpost writes is valid R4', () => {
  it('the peer is not vacuous: it rejects a bad birth date', () => {
    expect(errors({ ...patient, birthDate: 'yesterday' })).toEqual(['Patient.birthDate: Invalid date format for value "yesterday"']);
  });

  it.each([
    ['document bundle (Binary letter)', buildDocumentBundle({ patient, author, authorRole, organization, recipient, title: 'Referral', letter: { contentType: 'application/pdf', data: pdf }, ...common })],
    ['document bundle (inline DocumentReference)', buildDocumentBundle({ patient, author, organization, title: 'Referral', letterAs: 'attachment', letter: { contentType: 'text/plain', data: 'Dear Tom' }, ...common })],
    ['message bundle', buildMessageBundle({ event: { system: 'https://sealpost.org/fhir/message-events', code: 'letter' }, source: { endpoint: 'urn:a' }, destination: [{ endpoint: 'urn:b', receiver: recipient }], sender: author, focus: [patient], ...common })],
    ['Communication', buildCommunication({ sender: { reference: 'Practitioner/prac-1' }, recipient: [subject], subject, text: 'Your results are normal.', attachments: [{ contentType: 'application/pdf', data: pdf }], thread: 't1', ...common })],
    ['DocumentReference', buildDocumentReference({ subject, author: [{ reference: 'Practitioner/prac-1' }], content: { contentType: 'application/pdf', data: pdf }, ...common })],
    ['DiagnosticReport', buildDiagnosticReport({ subject, code: { coding: [{ system: 'http://loinc.org', code: '24323-8' }] }, performer: [{ reference: 'Organization/lab' }], presentedForm: [{ contentType: 'application/pdf', data: pdf }], ...common })],
    ['ServiceRequest', buildServiceRequest({ subject, requester: { reference: 'Practitioner/prac-1' }, performer: [{ reference: 'Practitioner/prac-2' }], ...common })],
  ])('%s', (_name, resource) => {
    expect(errors(resource)).toEqual([]);
  });

  it.each(['au/ref-i12-l1.hl7', 'au/ref-i12-l2.hl7', 'au/oru-r01-pathology-pdf.hl7', 'third-party/medplum-adt-a04-lf.hl7', 'third-party/python-hl7-sample-oru.hl7'])('%s converted to FHIR', (file) => {
    expect(errors(convertHl7v2ToFhir(readFileSync(v2 + file)).bundle)).toEqual([]);
  });
});
