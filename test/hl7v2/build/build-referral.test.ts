import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildReferral, extractDocuments, parseMessage, pid, prd, rf1 } from '@sealpost/sdk/hl7v2';
import { fixture, referralOptions } from './helpers.js';

describe('buildReferral (REF^I12, HL7 AU simplified referral)', () => {
  it('Level 1: RF1, PRD RP + IR, PID, one OBR with a PDF display segment; build → parse gives the same values', () => {
    const pdf = fixture('au/referral-letter.pdf');
    const built = buildReferral(referralOptions());
    const message = parseMessage(built.toBytes());
    expect(message.messageType).toBe('REF^I12^REF_I12');
    expect(message.controlId).toBe('HGP0001');
    expect(message.getRaw('MSH-12')).toBe('2.4^AUS&&ISO3166_1');
    expect(message.get('MSH-18')).toBe('UNICODE UTF-8');
    expect(message.get('MSH-7')).toMatch(/^20261121101500[+-]\d{4}$/);
    expect(Array.from({ length: message.segmentCount }, (_, i) => message.segmentAt(i).name)).toEqual(['MSH', 'RF1', 'PRD', 'PRD', 'PID', 'OBR', 'OBX']);
    const referral = rf1(message.segment('RF1')!);
    expect(referral.value('originatingReferralIdentifier')).toBe('HGP-REF-000123');
    expect(referral.value('originatingReferralIdentifier', 1, 4)).toBe('AUSHIC');
    expect(referral.referralStatus).toBe('P');
    expect(referral.referralDisposition).toBe('RP');
    expect(message.get('RF1-7')).toBe('20261121');
    const [referrer, recipient] = message.segments('PRD').map((s) => prd(s));
    expect(referrer!.components('providerRole')).toEqual(['RP', 'Referring Provider', 'HL70286']);
    expect(referrer!.components('providerIdentifiers')).toEqual(['0491234A', 'UPIN']);
    expect(recipient!.providerRole).toBe('IR');
    expect(recipient!.components('providerName')).toEqual(['CHEN', 'AMELIA', '', '', 'DR']);
    expect(recipient!.value('providerAddress', 1, 3)).toBe('ST LEONARDS');
    const patient = pid(message.segment('PID')!);
    expect(patient.repetitions('patientIdentifierList')).toEqual(['HGP-4411', '2950156481']);
    expect(patient.value('patientIdentifierList', 2, 5)).toBe('MC');
    expect(patient.components('patientName')).toEqual(['CITIZEN', 'JANE', 'MARIE', '', '', '', 'L']);
    expect(message.get('OBR-4')).toBe('REFER');
    // HL7au:000002: the document identifier in OBR-3 is a fully specified EI.
    expect(message.getRaw('OBR-3')).toBe('HGP-REF-000123-1^HARBOURSIDE GP^8003621566684455^AUSHIC');
    expect(message.get('OBR-2')).toBe('');
    expect(message.get('OBR-16.2')).toBe('WELBY');
    expect(message.getRaw('OBX-3')).toBe('PDF^Display format in PDF^AUSPDI');
    expect(message.get('OBX-2')).toBe('ED');
    expect(message.get('OBX-11')).toBe('F');
    const [document, ...rest] = extractDocuments(message);
    expect(rest).toEqual([]);
    expect(document!.mediaType).toBe('application/pdf');
    expect(document!.bytes).toEqual(pdf);
    expect(message.check()).toEqual([]);
  });

  it('Level 2: HTML, PDF, RTF and FT display segments, and one OBR group per attachment', () => {
    const html = new TextDecoder().decode(fixture('au/referral-letter.html'));
    const rtf = fixture('au/referral-letter.rtf');
    const pdf = fixture('au/referral-letter.pdf');
    const ecg = fixture('au/ecg-attachment.pdf');
    const text = 'Dear Dr Chen,\nPalpitations | dizziness ^ 2 weeks & worse ~ at night \\ on exertion.';
    const message = parseMessage(
      buildReferral(
        referralOptions({
          level: 2,
          display: [
            { format: 'html', data: html },
            { format: 'pdf', data: pdf },
            { format: 'rtf', data: rtf },
            { format: 'text', data: text },
          ],
          attachments: [
            { mediaType: 'application/pdf', data: ecg, code: { code: '11524-6', text: 'EKG study', system: 'LN' } },
            { mediaType: 'image/png', data: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]) },
          ],
        }),
      ).toBytes(),
    );
    expect(message.segments().map((s) => s.name)).toEqual(['MSH', 'RF1', 'PRD', 'PRD', 'PID', 'OBR', 'OBX', 'OBX', 'OBX', 'OBX', 'OBR', 'OBX', 'OBR', 'OBX']);
    expect(message.getAll('OBX-3')).toEqual(['HTML', 'PDF', 'RTF', 'PIT', '11524-6', 'ATT']);
    expect(message.getAll('OBR-1')).toEqual(['1', '2', '3']);
    expect(message.getAll('OBR-4')).toEqual(['REFER', '11524-6', 'ATT']);
    expect(message.get('OBX[4]-2')).toBe('FT');
    expect(message.get('OBX[4]-5')).toBe(text);
    const documents = extractDocuments(message);
    expect(documents.map((d) => d.mediaType)).toEqual(['text/html', 'application/pdf', 'text/rtf', 'application/pdf', 'image/png']);
    expect(new TextDecoder().decode(documents[0]!.bytes)).toBe(html);
    expect(documents[1]!.bytes).toEqual(pdf);
    expect(documents[2]!.bytes).toEqual(rtf);
    expect(documents[3]!.bytes).toEqual(ecg);
    expect(documents[3]!.observationId).toBe('11524-6');
    expect(message.check()).toEqual([]);
  });

  it('refuses what the profile forbids with RangeError', () => {
    expect(() => buildReferral(referralOptions({ display: [{ format: 'html', data: '<p>x</p>' }] }))).toThrow(/Level 1 referral must carry a PDF/);
    expect(() => buildReferral(referralOptions({ attachments: [{ mediaType: 'application/pdf', data: new Uint8Array(1) }] }))).toThrow(RangeError);
    expect(() => buildReferral(referralOptions({ level: 2, display: [] }))).toThrow(RangeError);
    expect(() => buildReferral(referralOptions({ level: 3 as 1 }))).toThrow(RangeError);
  });

  it('matches the committed AU Level 1 fixture in structure', () => {
    const fixtureMessage = parseMessage(fixture('au/ref-i12-l1.hl7'));
    const built = parseMessage(buildReferral(referralOptions()).toBytes());
    expect(built.segments().map((s) => s.name)).toEqual(fixtureMessage.segments().map((s) => s.name));
    for (const path of ['MSH-9', 'MSH-12', 'RF1-1', 'RF1-6', 'OBR-2', 'OBR-3', 'RF1-2', 'RF1-4', 'PRD[1]-1', 'PRD[2]-1', 'OBR-4', 'OBX-2', 'OBX-3', 'OBX-5.2', 'OBX-5.3', 'OBX-5.4']) {
      expect(built.getRaw(path), path).toBe(fixtureMessage.getRaw(path));
    }
  });

  it('property: any text values, with any delimiters, come back the same after build → bytes → parse', () => {
    const delimiterSets = fc
      .shuffledSubarray(['|', '^', '~', '\\', '&', '#', '$', '*', '@', '!', '%'], { minLength: 5, maxLength: 5 })
      .map(([field, component, repetition, escape, subcomponent]) => ({ field: field!, component: component!, repetition: repetition!, escape: escape!, subcomponent: subcomponent! }));
    // Any printable text, delimiters included; no CR/LF (segment terminators) in single-line fields.
    const value = fc.string({ unit: fc.constantFrom(...'abcXYZ 019|^~\\&#$*@!%-é東'.split('')), minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(delimiterSets, value, value, value, value, (delimiters, family, given, referralId, letter) => {
        const options = referralOptions({
          delimiters,
          level: 2,
          referral: { id: referralId, assigner: 'HGP' },
          display: [{ format: 'text', data: letter }],
        });
        options.patient = { ...options.patient, family, given };
        const message = parseMessage(buildReferral(options).toBytes());
        expect(message.delimiters).toMatchObject(delimiters);
        expect(message.get('PID-5.1')).toBe(family);
        expect(message.get('PID-5.2')).toBe(given);
        expect(message.get('RF1-6.1')).toBe(referralId);
        expect(message.get('OBX-5')).toBe(letter);
        expect(message.get('PID-3[2].1')).toBe('2950156481');
      }),
      { numRuns: 300 },
    );
  });
});
