import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildDocumentNotification, buildPdfResult, extractDocuments, obx, parseMessage, txa } from '@sealpost/sdk/hl7v2';
import { firstDifference, fixture, referralOptions } from './helpers.js';

const { sender, receiver, patient } = referralOptions();

describe('buildPdfResult (ORU^R01 with an embedded PDF report)', () => {
  it('writes atomic results then the AU PDF display segment last; build → parse gives the same values', () => {
    const pdf = fixture('au/pathology-report.pdf');
    const message = parseMessage(
      buildPdfResult({
        sender,
        receiver,
        controlId: 'SPP0001',
        timestamp: new Date(2026, 10, 21, 9, 30),
        patient,
        order: {
          fillerId: '26-1234567',
          assigner: { namespace: 'SPP', universalId: '2184', universalIdType: 'AUSNATA' },
          placerId: 'HGP-778',
          placerAssigner: 'HARBOURSIDE GP',
          code: { code: '26604-1', text: 'Full blood count', system: 'LN' },
          observedAt: new Date(2026, 10, 20, 8, 30),
          requester: { family: 'WELBY', given: 'MARCUS', prefix: 'DR', id: '0491234A' },
          section: 'HM',
        },
        observations: [
          { valueType: 'NM', code: { code: '718-7', text: 'Haemoglobin', system: 'LN' }, value: '135', units: 'g/L', referenceRange: '115-165' },
          { valueType: 'ST', code: { code: 'X-1', text: 'Comment', system: 'L' }, value: 'Lipaemic | haemolysed ^ 2+', abnormalFlag: 'A' },
        ],
        pdf,
      }).toBytes(),
    );
    expect(message.messageType).toBe('ORU^R01^ORU_R01');
    expect(message.segments().map((s) => s.name)).toEqual(['MSH', 'PID', 'ORC', 'OBR', 'OBX', 'OBX', 'OBX']);
    expect(message.get('ORC-1')).toBe('RE');
    expect(message.getRaw('OBR-3')).toBe('26-1234567^SPP^2184^AUSNATA');
    expect(message.getRaw('OBR-2')).toBe('HGP-778^HARBOURSIDE GP');
    expect(message.get('OBR-7')).toMatch(/^20261120083000[+-]\d{4}$/);
    expect(message.get('OBR-24')).toBe('HM');
    expect(message.get('OBR-25')).toBe('F');
    const [hb, comment, display] = message.segments('OBX').map((s) => obx(s));
    expect([hb!.setId, hb!.valueType, hb!.observationIdentifier, hb!.observationValue, hb!.units, hb!.referencesRange]).toEqual(['1', 'NM', '718-7', '135', 'g/L', '115-165']);
    expect(comment!.observationValue).toBe('Lipaemic | haemolysed ^ 2+');
    expect(comment!.abnormalFlags).toBe('A');
    expect(display!.setId).toBe('3');
    expect(display!.components('observationIdentifier')).toEqual(['PDF', 'Display format in PDF', 'AUSPDI']);
    expect(display!.value('observationValue', 1, 2)).toBe('application');
    expect(display!.value('observationValue', 1, 4)).toBe('Base64');
    const documents = extractDocuments(message);
    expect(documents).toHaveLength(1);
    expect(documents[0]!.bytes).toEqual(pdf);
    expect(documents[0]!.segments).toEqual([7]);
    expect(message.check()).toEqual([]);
  });

  it('carries a 12 MB PDF and gets exactly the same bytes back', () => {
    const pdf = new Uint8Array(12 * 1024 * 1024 + 7);
    for (let i = 0; i < pdf.length; i++) pdf[i] = (i * 2654435761) >>> 24;
    pdf.set(new TextEncoder().encode('%PDF-1.4\n'));
    const built = buildPdfResult({ sender, receiver, patient, order: { fillerId: 'BIG-1', assigner: 'LAB', code: { code: 'RPT', text: 'Report', system: 'L' } }, pdf });
    const bytes = built.toBytes();
    expect(bytes.length).toBeGreaterThan(16 * 1024 * 1024);
    const [document] = extractDocuments(parseMessage(bytes));
    expect(document!.mediaType).toBe('application/pdf');
    expect(document!.bytes.length).toBe(pdf.length);
    expect(firstDifference(document!.bytes, pdf)).toBe(-1);
  });
});

describe('buildPdfResult property', () => {
  it('any observation text (delimiters, escapes, line breaks, non-ASCII) and any PDF bytes come back the same', () => {
    const text = fc.string({ unit: fc.constantFrom(...'ab Z09|^~\\&#\n\r\t.é°東'.split('')), maxLength: 20 });
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 4 }), fc.uint8Array({ maxLength: 64 }), (values, pdf) => {
        const message = parseMessage(
          buildPdfResult({
            sender,
            receiver,
            patient,
            order: { fillerId: 'F', assigner: 'LAB', code: { code: 'X' } },
            observations: values.map((value) => ({ valueType: 'FT', code: { code: 'C' }, value })),
            pdf,
          }).toBytes(),
        );
        // Line breaks travel as \.br\ (HL7 v2.5.1 §2.7.6), so CR, LF and CRLF all read back as LF.
        expect(values.map((_, i) => message.get(`OBX[${i + 1}]-5`) ?? '')).toEqual(values.map((v) => v.replace(/\r\n|\r/g, '\n')));
        expect(extractDocuments(message)[0]?.bytes ?? new Uint8Array(0)).toEqual(pdf);
      }),
      { numRuns: 200 },
    );
  });
});

describe('buildDocumentNotification (MDM^T02)', () => {
  it('writes MSH, EVN, PID, PV1, TXA and an ED OBX; build → parse gives the same values', () => {
    const rtf = fixture('au/referral-letter.rtf');
    const message = parseMessage(
      buildDocumentNotification({
        sender,
        receiver,
        controlId: 'MDM0001',
        timestamp: new Date(2026, 10, 21, 12, 0),
        version: '2.5.1',
        patient,
        document: {
          id: 'DOC-77',
          assigner: { namespace: 'HGP', universalId: '8003621566684455', universalIdType: 'AUSHIC' },
          type: 'CN',
          mediaType: 'text/rtf',
          data: rtf,
          author: { family: 'WELBY', given: 'MARCUS', prefix: 'DR', id: '0491234A' },
          filename: 'letter.rtf',
        },
      }).toBytes(),
    );
    expect(message.messageType).toBe('MDM^T02^MDM_T02');
    expect(message.version).toBe('2.5.1');
    expect(message.segments().map((s) => s.name)).toEqual(['MSH', 'EVN', 'PID', 'PV1', 'TXA', 'OBX']);
    expect(message.get('EVN-1')).toBe('T02');
    expect(message.get('PV1-2')).toBe('U');
    const header = txa(message.segment('TXA')!);
    expect(header.documentType).toBe('CN');
    expect(header.documentContentPresentation).toBe('TX');
    expect(header.components('uniqueDocumentNumber')).toEqual(['DOC-77', 'HGP', '8003621566684455', 'AUSHIC']);
    expect(header.value('primaryActivityProviderCodeName', 1, 2)).toBe('WELBY');
    expect(header.uniqueDocumentFileName).toBe('letter.rtf');
    expect(header.documentCompletionStatus).toBe('AU');
    const [document] = extractDocuments(message);
    expect(document!.mediaType).toBe('text/rtf');
    expect(document!.bytes).toEqual(rtf);
    expect(document!.observationId).toBe('11488-4');
  });

  it('rejects a malformed media type with TypeError', () => {
    expect(() =>
      buildDocumentNotification({ sender, receiver, patient, document: { id: 'D', assigner: 'X', type: 'CN', mediaType: 'pdf', data: new Uint8Array(1) } }),
    ).toThrow(TypeError);
  });
});
