import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Binary, Bundle, DiagnosticReport, DocumentReference, Observation, Patient, Practitioner, ServiceRequest } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { buildDiagnosticReport, buildDocumentBundle, convertFhirToHl7v2, convertHl7v2ToFhir, validateFhir } from '@sealpost/sdk/fhir';
import { buildDocumentNotification, extractDocuments, parseMessage } from '@sealpost/sdk/hl7v2';
import type { Hl7Message } from '@sealpost/sdk/hl7v2';
import { author, authorRole, fixedNow, organization, patient, recipient, sequentialIds } from './support/people.js';

const v2dir = fileURLToPath(new URL('../fixtures/hl7v2/', import.meta.url));
const bytes = (name: string): Uint8Array => new Uint8Array(readFileSync(v2dir + name));
const base64 = (data: Uint8Array): string => Buffer.from(data).toString('base64');

const resources = <T>(bundle: Bundle, type: string): T[] => (bundle.entry ?? []).map((e) => e.resource!).filter((r) => r.resourceType === type) as T[];
const issues = (resource: object): string[] => validateFhir(resource).issues.map((i) => `${i.code} ${i.location}: ${i.reason}`);
const docs = (message: Hl7Message): Array<[string, string, string]> => extractDocuments(message).map((d) => [d.observationId, d.mediaType, base64(d.bytes)]);

describe('HL7 v2 → FHIR', () => {
  it.each(['au/ref-i12-l1.hl7', 'au/ref-i12-l2.hl7', 'au/oru-r01-pathology-pdf.hl7', 'third-party/python-hl7-sample-oru.hl7', 'third-party/medplum-adt-a04-lf.hl7', 'third-party/medplum-adt-a01-v21.hl7'])(
    '%s converts to a message bundle that validates',
    (file) => {
      const { bundle } = convertHl7v2ToFhir(bytes(file));
      expect(bundle.type).toBe('message');
      expect(bundle.entry![0]!.resource!.resourceType).toBe('MessageHeader');
      expect(issues(bundle)).toEqual([]);
    },
  );

  it('ORU^R01 → DiagnosticReport with Observations, presentedForm and the requester', () => {
    const { bundle, report } = convertHl7v2ToFhir(bytes('au/oru-r01-pathology-pdf.hl7'));
    const [dr] = resources<DiagnosticReport>(bundle, 'DiagnosticReport');
    expect(dr!.status).toBe('final');
    expect(dr!.code.coding).toEqual([{ system: 'http://loinc.org', code: '26604-1', display: 'Full blood count' }]);
    expect(dr!.effectiveDateTime).toBe('2026-11-20T08:30:00+11:00');
    expect(dr!.identifier![0]!.value).toBe('26-1234567');
    const observations = resources<Observation>(bundle, 'Observation');
    expect(observations.map((o) => [o.code.coding![0]!.code, o.valueQuantity!.value, o.valueQuantity!.unit, o.valueQuantity!.code, o.valueQuantity!.system, o.referenceRange![0]!.text])).toEqual([
      ['718-7', 135, 'g/L', 'g/L', 'http://unitsofmeasure.org', '115-165'],
      ['6690-2', 6.2, 'x10^9/L', '10*9/L', 'http://unitsofmeasure.org', '4.0-11.0'],
      ['777-3', 250, 'x10^9/L', '10*9/L', 'http://unitsofmeasure.org', '150-400'],
    ]);
    expect(observations[2]!.note).toEqual([{ text: 'Sample collected 08:30 & received 09:00; comment from Dr O|Brien \\ team.' }]);
    expect(dr!.presentedForm!.map((f) => f.contentType)).toEqual(['text/plain; charset=utf-8', 'application/pdf']);
    expect(dr!.presentedForm![1]!.data).toBe(base64(bytes('au/pathology-report.pdf')));
    const [request] = resources<ServiceRequest>(bundle, 'ServiceRequest');
    const requester = bundle.entry!.find((e) => e.fullUrl === request!.requester!.reference)!.resource as Practitioner;
    expect(requester.name).toEqual([{ family: 'WELBY', given: ['MARCUS'], prefix: ['DR'] }]);
    expect(requester.identifier![0]).toMatchObject({ value: '0491234A', system: 'http://ns.electronichealth.net.au/id/medicare-provider-number' });
    // What FHIR does not get is reported, not dropped silently.
    expect(report.map((n) => n.field)).toEqual(expect.arrayContaining(['PV1', 'OBR-14', 'NTE-2']));
  });

  it('REF^I12 L2 → ServiceRequest, the letter in four formats, attachments, PRD practitioners', () => {
    const { bundle } = convertHl7v2ToFhir(bytes('au/ref-i12-l2.hl7'));
    const [request] = resources<ServiceRequest>(bundle, 'ServiceRequest');
    expect(request!.identifier![0]!.value).toBe('HGP-REF-000123');
    expect(request!.authoredOn).toBe('2026-11-21');
    expect(request!.priority).toBe('routine');
    const byUrl = (url: string | undefined): unknown => bundle.entry!.find((e) => e.fullUrl === url)!.resource;
    expect((byUrl(request!.requester!.reference) as Practitioner).name![0]!.family).toBe('WELBY');
    expect((byUrl(request!.performer![0]!.reference) as Practitioner).identifier![0]!.value).toBe('2426621B');
    const letters = request!.supportingInfo!.map((r) => byUrl(r.reference) as DocumentReference);
    expect(letters.map((l) => l.content.map((c) => c.attachment.contentType))).toEqual([['text/plain; charset=utf-8', 'text/html', 'application/pdf', 'text/rtf'], ['application/pdf'], ['text/plain']]);
    expect(letters[0]!.content[2]!.attachment.data).toBe(base64(bytes('au/referral-letter.pdf')));
    expect(letters[0]!.content[1]!.attachment.data).toBe(base64(bytes('au/referral-letter.html')));
    expect(letters[1]!.content[0]!.attachment.data).toBe(base64(bytes('au/ecg-attachment.pdf')));
    expect(letters[1]!.type!.coding![0]!.code).toBe('11524-6');
    const text = new TextDecoder().decode(Buffer.from(letters[0]!.content[0]!.attachment.data!, 'base64'));
    expect(text).toBe('Dear Dr Chen,\nThank you for seeing Jane Citizen (DOB 15/03/1980) for palpitations & dizziness.\nRegards, Dr Marcus Welby');
  });

  it('reports components of mapped fields that FHIR has no place for', () => {
    const { report } = convertHl7v2ToFhir('MSH|^~\\&|A|B|C|D|20260101||ADT^A04|1|P|2.5\rPID|1||123^4^M10^HOSP^MR||DOE^JOHN^^^^PHD^L||19480203|M');
    expect(report).toEqual(expect.arrayContaining([
      { field: 'PID-3.2', reason: 'component has no place in the FHIR element' },
      { field: 'PID-3.3', reason: 'component has no place in the FHIR element' },
      { field: 'PID-5.6', reason: 'component has no place in the FHIR element' },
    ]));
  });

  it('ADT → Patient with identifiers, name, birth date, sex and address', () => {
    const { bundle, report } = convertHl7v2ToFhir(bytes('third-party/medplum-adt-a04-lf.hl7'));
    const [p] = resources<Patient>(bundle, 'Patient');
    expect(p!.name![0]).toMatchObject({ family: 'DOE', given: ['JOHN'] });
    expect(p!.birthDate).toBe('1948-02-03');
    expect(p!.gender).toBe('male');
    expect(p!.address![0]).toMatchObject({ line: ['254 MYSTREET AVE'], city: 'MYTOWN', state: 'OH', postalCode: '44123', country: 'USA' });
    expect(report).toEqual(expect.arrayContaining([{ field: 'NK1', reason: 'ADT conversion carries the patient only' }, { field: 'MSH-7', reason: expect.stringContaining('no UTC offset') }]));
  });

  it('refuses message types it cannot convert, with ERR_FHIR_CONVERT', () => {
    expect(() => convertHl7v2ToFhir('MSH|^~\\&|A|B|C|D|20260101||QBP^Q11|1|P|2.5\rPID|1||X')).toThrow(expect.objectContaining({ code: 'ERR_FHIR_CONVERT', message: expect.stringContaining('not supported') }));
    expect(() => convertHl7v2ToFhir(bytes('third-party/medplum-ack.hl7'))).toThrow(expect.objectContaining({ code: 'ERR_FHIR_CONVERT', message: expect.stringContaining('not supported') }));
    expect(() => convertHl7v2ToFhir('MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.5\rEVN|A01')).toThrow(expect.objectContaining({ code: 'ERR_FHIR_CONVERT', message: expect.stringContaining('no PID') }));
    expect(() => convertHl7v2ToFhir('MSH|^~\\&|A|B|C|D|20260101||ORU^R01|1|P|2.5\rOBR|1')).toThrow(expect.objectContaining({ code: 'ERR_FHIR_CONVERT' }));
  });
});

describe('round trips v2 → FHIR → v2', () => {
  const fieldsOf = (message: Hl7Message, name: string, fields: number[]): string[][] => message.segments(name).map((s) => fields.map((f) => s.raw(f)));

  it.each([
    ['au/ref-i12-l1.hl7', 'au-ref-l1'],
    ['au/ref-i12-l2.hl7', 'au-ref-l2'],
  ] as const)('%s keeps patient, referrer, recipient, dates, ids and every document byte for byte', (file, profile) => {
    const original = parseMessage(bytes(file));
    const { bundle } = convertHl7v2ToFhir(original);
    const { message, report } = convertFhirToHl7v2(bundle, { profile });
    expect(report).toEqual([]);
    expect(message.controlId).toBe(original.controlId);
    expect(message.get('MSH-7')).toBe(original.get('MSH-7'));
    for (const field of [3, 4, 5, 6, 7, 9, 10, 12]) expect([field, message.segmentAt(0).raw(field)]).toEqual([field, original.segmentAt(0).raw(field)]);
    expect(message.segment('RF1')!.toString()).toBe(original.segment('RF1')!.toString());
    expect(message.segments('PID').map(String)).toEqual(original.segments('PID').map(String));
    expect(message.segments('PRD').map(String)).toEqual(original.segments('PRD').map(String));
    expect(message.segments('OBR').map(String)).toEqual(original.segments('OBR').map(String));
    expect(message.segments('OBX').map(String)).toEqual(original.segments('OBX').map(String));
    expect(docs(message)).toEqual(docs(original));
  });

  it('ORU^R01 keeps results, units, ranges, notes, dates and the PDF', () => {
    const original = parseMessage(bytes('au/oru-r01-pathology-pdf.hl7'));
    const { bundle } = convertHl7v2ToFhir(original);
    const { message } = convertFhirToHl7v2(bundle, { profile: 'oru-r01' });
    expect(message.segments('PID').map(String)).toEqual(original.segments('PID').map(String));
    for (const field of [3, 4, 5, 6, 7, 9, 10, 12]) expect([field, message.segmentAt(0).raw(field)]).toEqual([field, original.segmentAt(0).raw(field)]);
    // The FT display's highlighting (\H\…\N\) cannot live in text/plain: reported, and all else kept.
    expect(convertHl7v2ToFhir(original).report).toContainEqual({ field: 'OBX[4]-5', reason: expect.stringContaining('highlighting') });
    expect(message.segments('OBX').map(String)).toEqual(original.segments('OBX').map((s) => String(s).replace(/\\[HN]\\/g, '')));
    expect(message.segments('NTE').map(String)).toEqual(original.segments('NTE').map(String));
    expect(fieldsOf(message, 'OBR', [2, 3, 4, 7, 16, 22, 24, 25])).toEqual(fieldsOf(original, 'OBR', [2, 3, 4, 7, 16, 22, 24, 25]));
    expect(message.segment('ORC')!.toString()).toBe(original.segment('ORC')!.toString());
    expect(docs(message)).toEqual(docs(original));
  });

  it('MDM^T02 (written by sdk/hl7v2) keeps the document, its id, type, author and status', () => {
    const pdf = bytes('au/referral-letter.pdf');
    const original = buildDocumentNotification({
      sender: { application: 'BP PREMIER', facility: { namespace: 'HARBOURSIDE GP', universalId: '8003621566684455', universalIdType: 'AUSHIC' } },
      receiver: { application: 'SEALPOST', facility: 'NORTH SHORE CARDIOLOGY' },
      timestamp: new Date('2026-11-21T00:15:00Z'),
      controlId: 'MDM0001',
      patient: { identifiers: [{ id: '2950156481', assigner: 'AUSHIC', type: 'MC' }], family: 'CITIZEN', given: 'JANE', birthDate: '19800315', sex: 'F' },
      document: { mediaType: 'application/pdf', data: pdf, id: 'DOC-77', assigner: 'HARBOURSIDE GP', type: 'CN', author: { family: 'WELBY', given: 'MARCUS', prefix: 'DR', id: '0491234A' }, filename: 'letter.pdf' },
    });
    const { bundle } = convertHl7v2ToFhir(original);
    expect(issues(bundle)).toEqual([]);
    const [reference] = resources<DocumentReference>(bundle, 'DocumentReference');
    const [binary] = resources<Binary>(bundle, 'Binary');
    expect(reference!.content[0]!.attachment.url).toBe(bundle.entry!.find((e) => e.resource === binary)!.fullUrl);
    expect(binary!.data).toBe(base64(pdf));
    const { message } = convertFhirToHl7v2(bundle, { profile: 'mdm-t02' });
    for (const path of ['TXA-2', 'TXA-3', 'TXA-5', 'TXA-6', 'TXA-9', 'TXA-12', 'TXA-16', 'TXA-17', 'PID-3', 'PID-5', 'PID-7', 'PID-8', 'OBX-3', 'MSH-10', 'MSH-7']) {
      expect([path, message.getRaw(path)]).toEqual([path, original.getRaw(path)]);
    }
    expect(docs(message)).toEqual(docs(original));
  });
});

describe('FHIR → HL7 v2 from what Sealpost builds', () => {
  const pdf = bytes('au/referral-letter.pdf');
  const document = (letter = { contentType: 'application/pdf', data: pdf as Uint8Array | string }): Bundle =>
    buildDocumentBundle({ patient, author, authorRole, organization, recipient, title: 'Referral', letter, newId: sequentialIds(), now: fixedNow });

  it('a document bundle → REF^I12 L2 and L1, which convert back to valid FHIR', () => {
    for (const profile of ['au-ref-l2', 'au-ref-l1'] as const) {
      const { message, report } = convertFhirToHl7v2(document(), { profile });
      expect(message.messageType).toBe('REF^I12^REF_I12');
      expect(message.getRaw('PID-3')).toBe('8003608166690503^^^AUSHIC^NI~2123456701^^^AUSHIC^MC');
      expect(message.getRaw('PID-5')).toBe("O'Brien^Mary^Anne^^^^L");
      expect(message.get('PRD[1]-2.1')).toBe('Citizen');
      expect(message.get('PRD[2]-2.1')).toBe('Nguyen');
      expect(message.getRaw('MSH-4')).toBe('Harbourside GP^8003621566684455^AUSHIC');
      // HPI-I as HL7 AU writes it: type NPI, assigning authority AUSHIC.
      expect(message.getRaw('PRD[1]-7')).toBe('8003619900015717^NPI');
      expect(message.getRaw('OBR-16')).toBe('8003619900015717^Citizen^Jane^^^Dr^^^AUSHIC^L^^^NPI');
      expect(docs(message)).toEqual([['PDF', 'application/pdf', base64(pdf)]]);
      // The document's title and section narrative have no place in REF^I12: reported, not dropped.
      expect(report).toEqual([
        { field: 'Composition.title', reason: 'no place in REF^I12' },
        { field: 'Composition.section[0].text', reason: 'the section narrative is not carried (the letter is)' },
        { field: 'Composition.section[0].title', reason: 'no place in the message' },
      ]);
      const again = convertHl7v2ToFhir(message.toString()).bundle;
      expect(issues(again)).toEqual([]);
      const referrer = resources<Practitioner>(again, 'Practitioner').find((p) => p.name?.[0]?.family === 'Citizen')!;
      expect(referrer.identifier).toEqual([{ value: '8003619900015717', system: 'http://ns.electronichealth.net.au/id/hi/hpii/1.0', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'NPI' }] } }]);
    }
  });

  it('Level 1 without a PDF is refused; other renderings are reported at Level 1', () => {
    expect(() => convertFhirToHl7v2(document({ contentType: 'text/html', data: '<p>Hi</p>' }), { profile: 'au-ref-l1' })).toThrow(expect.objectContaining({ code: 'ERR_FHIR_CONVERT' }));
    const { message } = convertFhirToHl7v2(document({ contentType: 'text/html', data: '<p>Hi</p>' }), { profile: 'au-ref-l2' });
    expect(docs(message)).toEqual([['HTML', 'text/html', base64(new TextEncoder().encode('<p>Hi</p>'))]]);
  });

  it('a lone DocumentReference with contained patient and author → REF^I12 L2 and MDM^T02', () => {
    const reference: DocumentReference = {
      resourceType: 'DocumentReference',
      contained: [{ ...patient, id: 'p' }, { ...author, id: 'a' }],
      status: 'current',
      type: { coding: [{ system: 'http://loinc.org', code: '57133-1', display: 'Referral note' }] },
      subject: { reference: '#p' },
      author: [{ reference: '#a' }],
      date: '2026-03-04T16:06:07+11:00',
      masterIdentifier: { value: 'DOC-1' },
      content: [{ attachment: { contentType: 'application/pdf', data: base64(pdf), title: 'letter.pdf' } }],
    };
    expect(issues(reference)).toEqual([]);
    const ref = convertFhirToHl7v2(reference, { profile: 'au-ref-l2' });
    expect(ref.message.get('PID-5.1')).toBe("O'Brien");
    expect(ref.message.get('PRD[1]-2.1')).toBe('Citizen');
    expect(ref.message.get('OBR-7')).toBe('20260304160607+1100');
    expect(docs(ref.message)).toEqual([['PDF', 'application/pdf', base64(pdf)]]);
    // No recipient anywhere: PRD (IR) carries the role only, and the report says so.
    expect(ref.report).toContainEqual({ field: 'recipient', reason: 'no Practitioner: PRD (IR) written with the role only' });
    const mdm = convertFhirToHl7v2(reference);
    expect(mdm.profile).toBe('mdm-t02');
    expect(mdm.message.getRaw('TXA-12')).toBe('DOC-1');
    expect(mdm.message.get('TXA-16')).toBe('letter.pdf');
    expect(docs(mdm.message)).toEqual([['11488-4', 'application/pdf', base64(pdf)]]);
  });

  it('a document bundle → MDM^T02', () => {
    const { message } = convertFhirToHl7v2(document(), { profile: 'mdm-t02' });
    expect(message.messageType).toBe('MDM^T02^MDM_T02');
    expect(message.getRaw('TXA-2')).toBe('57133-1^Referral note^LN');
    expect(docs(message)).toEqual([['11488-4', 'application/pdf', base64(pdf)]]);
  });

  it('a DiagnosticReport with Observations → ORU^R01, and what has no place is reported', () => {
    const observation: Observation = { resourceType: 'Observation', id: 'o1', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '2345-7', display: 'Glucose' }] }, valueQuantity: { value: 5.4, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' }, method: { text: 'hexokinase' } };
    const report = buildDiagnosticReport({ subject: { reference: 'Patient/pat-1' }, code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }] }, performer: [{ reference: 'Organization/org-1' }], result: [{ reference: 'Observation/o1' }], presentedForm: [{ contentType: 'application/pdf', data: pdf }], issued: '2026-03-04T05:06:07+11:00', newId: () => 'r1' });
    const bundle: Bundle = { resourceType: 'Bundle', type: 'collection', entry: [report, observation, patient, organization, { ...patient, id: 'spare' }].map((resource) => ({ resource })) };
    const { message, report: notes, profile } = convertFhirToHl7v2(bundle);
    expect(profile).toBe('oru-r01');
    expect(message.getRaw('OBX[1]-5')).toBe('5.4');
    expect(message.getRaw('OBX[1]-6')).toBe('mmol/L^mmol/L^UCUM');
    expect(message.getRaw('OBR-22')).toBe('20260304050607+1100');
    expect(docs(message)).toEqual([['PDF', 'application/pdf', base64(pdf)]]);
    expect(notes).toEqual([
      { field: 'Observation.method', reason: 'no place in OBX' },
      { field: 'Bundle.entry[4]', reason: 'Patient not carried by the message' },
    ]);
  });
});
