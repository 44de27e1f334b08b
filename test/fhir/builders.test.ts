import type { Binary, Bundle, Composition, DocumentReference, MessageHeader } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import {
  buildCommunication,
  buildDiagnosticReport,
  buildDocumentBundle,
  buildDocumentReference,
  buildMessageBundle,
  buildServiceRequest,
  RECIPIENT_EXTENSION,
  SEALPOST_PROFILES,
  validateFhir,
} from '@sealpost/sdk/fhir';
import { author, authorRole, fixedNow, organization, patient, recipient, sequentialIds } from './support/people.js';

const pdf = new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x34, 0x0a, 0x00, 0xff]);
const issues = (resource: object): string[] => validateFhir(resource).issues.map((i) => `${i.code} ${i.location}: ${i.reason}`);

describe('buildDocumentBundle', () => {
  const build = (extra: Partial<Parameters<typeof buildDocumentBundle>[0]> = {}): Bundle =>
    buildDocumentBundle({ patient, author, authorRole, organization, recipient, title: 'Referral to cardiology', letter: { contentType: 'application/pdf', data: pdf }, newId: sequentialIds(), now: fixedNow, ...extra });

  it('builds a valid document: Composition first, all references inside, letter as Binary', () => {
    const bundle = build();
    expect(issues(bundle)).toEqual([]);
    expect(bundle.type).toBe('document');
    expect(bundle.meta?.profile).toEqual([SEALPOST_PROFILES.document]);
    expect(bundle.entry!.map((e) => e.resource!.resourceType)).toEqual(['Composition', 'Patient', 'Practitioner', 'PractitionerRole', 'Organization', 'Practitioner', 'Binary']);
    const composition = bundle.entry![0]!.resource as Composition;
    expect(composition.subject?.reference).toBe(bundle.entry![1]!.fullUrl);
    expect(composition.author[0]!.reference).toBe(bundle.entry![3]!.fullUrl);
    expect(composition.extension).toEqual([{ url: RECIPIENT_EXTENSION, valueReference: { reference: bundle.entry![5]!.fullUrl } }]);
    expect(composition.text?.div).toContain('Referral to cardiology');
    const role = bundle.entry![3]!.resource as { practitioner: { reference: string } };
    expect(role.practitioner.reference).toBe(bundle.entry![2]!.fullUrl);
    expect((bundle.entry![6]!.resource as Binary).data).toBe('JVBERi0xLjQKAP8=');
    expect(bundle.timestamp).toBe('2026-03-04T05:06:07.000Z');
  });

  it('does not modify the caller\'s resources', () => {
    const before = JSON.stringify(authorRole);
    build();
    expect(JSON.stringify(authorRole)).toBe(before);
  });

  it('carries the letter inline in a DocumentReference on request, with an escaped narrative', () => {
    const bundle = build({ letterAs: 'attachment', letter: { contentType: 'text/plain', data: 'Dear Tom,\n\n<chest pain> & dyspnoea.' } });
    expect(issues(bundle)).toEqual([]);
    const reference = bundle.entry!.at(-1)!.resource as DocumentReference;
    expect(reference.resourceType).toBe('DocumentReference');
    expect(reference.content[0]!.attachment.size).toBe(35);
    const section = (bundle.entry![0]!.resource as Composition).section![0]!;
    expect(section.text!.div).toBe('<div xmlns="http://www.w3.org/1999/xhtml"><p>Dear Tom,</p><p>&lt;chest pain&gt; &amp; dyspnoea.</p></div>');
  });

  it('a copy without section narrative breaks the profile at that location', () => {
    const bundle = build();
    delete (bundle.entry![0]!.resource as Composition).section![0]!.text;
    expect(issues(bundle)).toEqual(['ERR_FHIR_PROFILE Bundle.entry[0].resource.section[0].text: required by profile sealpost-document']);
  });
});

describe('buildMessageBundle', () => {
  it('builds a valid message with MessageHeader first, focus and receivers resolved', () => {
    const letter = buildDocumentReference({ subject: { reference: 'Patient/pat-1' }, author: [{ reference: 'Practitioner/prac-1' }], content: { contentType: 'application/pdf', data: pdf }, now: fixedNow, newId: () => 'docref-1' });
    const bundle = buildMessageBundle({
      event: { system: 'https://sealpost.org/fhir/message-events', code: 'letter' },
      source: { endpoint: 'sealpost:dr.jane.citizen@harbourside-gp.example', name: 'Harbourside GP', software: 'Sealpost' },
      destination: [{ endpoint: 'sealpost:dr.tom.nguyen@heart-clinic.example', receiver: recipient }],
      sender: author,
      focus: [letter],
      include: [patient, author],
      response: { identifier: 'msg-0001', code: 'ok' },
      newId: sequentialIds(),
      now: fixedNow,
    });
    expect(issues(bundle)).toEqual([]);
    const header = bundle.entry![0]!.resource as MessageHeader;
    expect(header.resourceType).toBe('MessageHeader');
    expect(header.focus![0]!.reference).toBe(bundle.entry!.find((e) => e.resource!.resourceType === 'DocumentReference')!.fullUrl);
    const docref = bundle.entry!.find((e) => e.resource!.resourceType === 'DocumentReference')!.resource as DocumentReference;
    expect(docref.subject!.reference).toBe(bundle.entry!.find((e) => e.resource!.resourceType === 'Patient')!.fullUrl);
    expect(header.response).toEqual({ identifier: 'msg-0001', code: 'ok' });
  });

  it('a message focusing on a resource it does not include fails (self-contained profile)', () => {
    const bundle = buildMessageBundle({ event: { system: 'urn:x', code: 'y' }, source: { endpoint: 'urn:a' }, destination: [{ endpoint: 'urn:b' }], sender: author, focus: [patient], newId: sequentialIds(), now: fixedNow });
    bundle.entry = bundle.entry!.filter((e) => e.resource!.resourceType !== 'Patient');
    expect(issues(bundle).map((i) => i.split(':')[0])).toEqual(['ERR_FHIR_REFERENCE Bundle.entry[0].resource.focus[0].reference']);
  });
});

describe('resource builders', () => {
  const subject = { reference: 'Patient/pat-1' };
  it('Communication with text, attachment and threading', () => {
    const c = buildCommunication({ sender: { reference: 'Practitioner/prac-1' }, recipient: [{ reference: 'Practitioner/prac-2' }], subject, text: 'See attached.', attachments: [{ contentType: 'application/pdf', data: pdf, title: 'letter.pdf' }], inResponseTo: [{ reference: 'Communication/c0' }], thread: 'thread-42', now: fixedNow, newId: () => 'c1' });
    expect(issues(c)).toEqual([]);
    expect(c.payload!.map((p) => Object.keys(p)[0])).toEqual(['contentString', 'contentAttachment']);
    expect(c.topic).toEqual({ text: 'thread-42' });
    expect(() => buildCommunication({ sender: subject, recipient: [] })).toThrow(TypeError);
  });

  it('DocumentReference, DiagnosticReport and ServiceRequest validate against R4 and their profiles', () => {
    const docref = buildDocumentReference({ subject, author: [{ reference: 'Practitioner/prac-1' }], recipient: { reference: 'Practitioner/prac-2' }, content: { contentType: 'application/pdf', data: pdf }, now: fixedNow, newId: () => 'd1' });
    const report = buildDiagnosticReport({ subject, code: { coding: [{ system: 'http://loinc.org', code: '24323-8' }] }, performer: [{ reference: 'Organization/lab' }], presentedForm: [{ contentType: 'application/pdf', data: pdf }], now: fixedNow, newId: () => 'r1' });
    const request = buildServiceRequest({ subject, requester: { reference: 'Practitioner/prac-1' }, performer: [{ reference: 'Practitioner/prac-2' }], supportingInfo: [{ reference: 'DocumentReference/d1' }], note: 'Chest pain', now: fixedNow, newId: () => 's1' });
    for (const r of [docref, report, request]) expect(issues(r)).toEqual([]);
    delete (request as { requester?: unknown }).requester;
    expect(issues(request)).toEqual(['ERR_FHIR_PROFILE ServiceRequest.requester: required by profile sealpost-service-request']);
  });
});
