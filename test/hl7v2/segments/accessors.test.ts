import { describe, expect, it } from 'vitest';
import {
  err,
  ERR_FIELDS,
  evn,
  EVN_FIELDS,
  msa,
  MSA_FIELDS,
  msh,
  MSH_FIELDS,
  nte,
  NTE_FIELDS,
  obr,
  OBR_FIELDS,
  obx,
  OBX_FIELDS,
  orc,
  ORC_FIELDS,
  parseMessage,
  pid,
  PID_FIELDS,
  prd,
  PRD_FIELDS,
  pv1,
  PV1_FIELDS,
  rf1,
  RF1_FIELDS,
  txa,
  TXA_FIELDS,
  buildAck,
} from '@sealpost/sdk/hl7v2';
import { fixture } from '../build/helpers.js';

describe('field tables (HL7 v2.5.1 numbering)', () => {
  it('number the fields as the standard does, spot-checked against chapters 2, 3, 4, 7, 9, 11', () => {
    expect([MSH_FIELDS.fieldSeparator, MSH_FIELDS.messageType, MSH_FIELDS.messageControlId, MSH_FIELDS.versionId, MSH_FIELDS.characterSet, MSH_FIELDS.messageProfileIdentifier]).toEqual([1, 9, 10, 12, 18, 21]);
    expect([EVN_FIELDS.eventTypeCode, EVN_FIELDS.eventOccurred]).toEqual([1, 6]);
    expect([PID_FIELDS.patientIdentifierList, PID_FIELDS.patientName, PID_FIELDS.dateTimeOfBirth, PID_FIELDS.administrativeSex, PID_FIELDS.patientAddress, PID_FIELDS.patientDeathIndicator]).toEqual([3, 5, 7, 8, 11, 30]);
    expect([PV1_FIELDS.patientClass, PV1_FIELDS.attendingDoctor, PV1_FIELDS.referringDoctor, PV1_FIELDS.visitNumber, PV1_FIELDS.admitDateTime, PV1_FIELDS.otherHealthcareProvider]).toEqual([2, 7, 8, 19, 44, 52]);
    expect([ORC_FIELDS.orderControl, ORC_FIELDS.placerOrderNumber, ORC_FIELDS.orderingProvider, ORC_FIELDS.parentUniversalServiceIdentifier]).toEqual([1, 2, 12, 31]);
    expect([OBR_FIELDS.universalServiceIdentifier, OBR_FIELDS.orderingProvider, OBR_FIELDS.resultsRptStatusChngDateTime, OBR_FIELDS.diagnosticServSectId, OBR_FIELDS.resultStatus, OBR_FIELDS.principalResultInterpreter, OBR_FIELDS.parentUniversalServiceIdentifier]).toEqual([4, 16, 22, 24, 25, 32, 50]);
    expect([OBX_FIELDS.valueType, OBX_FIELDS.observationIdentifier, OBX_FIELDS.observationSubId, OBX_FIELDS.observationValue, OBX_FIELDS.observationResultStatus, OBX_FIELDS.dateTimeOfTheAnalysis]).toEqual([2, 3, 4, 5, 11, 19]);
    expect([NTE_FIELDS.comment, NTE_FIELDS.commentType]).toEqual([3, 4]);
    expect([PRD_FIELDS.providerRole, PRD_FIELDS.providerIdentifiers, PRD_FIELDS.effectiveEndDateOfProviderRole]).toEqual([1, 7, 9]);
    expect([RF1_FIELDS.referralDisposition, RF1_FIELDS.referralCategory, RF1_FIELDS.originatingReferralIdentifier, RF1_FIELDS.externalReferralIdentifier]).toEqual([4, 5, 6, 11]);
    expect([TXA_FIELDS.documentType, TXA_FIELDS.uniqueDocumentNumber, TXA_FIELDS.documentCompletionStatus, TXA_FIELDS.distributedCopies]).toEqual([2, 12, 17, 23]);
    expect([MSA_FIELDS.acknowledgmentCode, MSA_FIELDS.messageControlId, MSA_FIELDS.textMessage, MSA_FIELDS.errorCondition]).toEqual([1, 2, 3, 6]);
    expect([ERR_FIELDS.errorCodeAndLocation, ERR_FIELDS.hl7ErrorCode, ERR_FIELDS.severity, ERR_FIELDS.userMessage, ERR_FIELDS.helpDeskContactPoint]).toEqual([1, 3, 4, 8, 12]);
  });

  it('have consecutive numbers from 1 with no gaps', () => {
    for (const table of [MSH_FIELDS, EVN_FIELDS, PID_FIELDS, PV1_FIELDS, ORC_FIELDS, OBR_FIELDS, OBX_FIELDS, NTE_FIELDS, PRD_FIELDS, RF1_FIELDS, TXA_FIELDS, MSA_FIELDS, ERR_FIELDS]) {
      expect(Object.values(table)).toEqual(Array.from({ length: Object.keys(table).length }, (_, i) => i + 1));
    }
  });
});

describe('typed accessors', () => {
  const oru = parseMessage(fixture('au/oru-r01-pathology-pdf.hl7'));

  it('read decoded values by field name over the same segment', () => {
    const header = msh(oru.segment('MSH')!);
    expect(header.fieldSeparator).toBe('|');
    expect(header.encodingCharacters).toBe('^~\\&');
    expect(header.messageControlId).toBe('SPP2611210930000017');
    expect(header.components('messageType')).toEqual(['ORU', 'R01', 'ORU_R01']);
    expect(header.characterSet).toBe('UNICODE UTF-8');
    expect(header.raw('versionId')).toBe('2.4^AUS&&ISO3166_1');
    expect(header.number('versionId')).toBe(12);
    const patient = pid(oru.segment('PID')!);
    expect(patient.patientName).toBe('CITIZEN');
    expect(patient.components('patientName')).toEqual(['CITIZEN', 'JANE', 'MARIE', '', 'MS', '', 'L']);
    expect(patient.repetitions('patientIdentifierList')).toEqual(['26-77001', '2950156481']);
    expect(patient.value('patientIdentifierList', 1, 4, 2)).toBe('2184');
    expect(patient.dateTimeOfBirth).toBe('19800315');
    expect(patient.administrativeSex).toBe('F');
    expect(pv1(oru.segment('PV1')!).value('referringDoctor', 1, 2)).toBe('WELBY');
    expect(orc(oru.segment('ORC')!).orderControl).toBe('RE');
    const request = obr(oru.segment('OBR')!);
    expect(request.components('universalServiceIdentifier')).toEqual(['26604-1', 'Full blood count', 'LN']);
    expect(request.resultStatus).toBe('F');
    const results = oru.segments('OBX').map((s) => obx(s));
    expect(results.map((r) => r.valueType)).toEqual(['NM', 'NM', 'NM', 'FT', 'ED']);
    expect(results[1]!.value('units', 1, 2)).toBe('x10^9/L');
    expect(results[3]!.observationValue).toContain('Haemoglobin        135 g/L   (115-165)\nWhite cell count');
    expect(nte(oru.segment('NTE')!).comment).toBe('Sample collected 08:30 & received 09:00; comment from Dr O|Brien \\ team.');
  });

  it('cover RF1, PRD, TXA, EVN, MSA and ERR', () => {
    const ref = parseMessage(fixture('au/ref-i12-l1.hl7'));
    expect(rf1(ref.segment('RF1')!).components('referralStatus')).toEqual(['P', 'Pending', 'HL70283']);
    expect(ref.segments('PRD').map((s) => prd(s).providerRole)).toEqual(['RP', 'IR']);
    const mdm = parseMessage(fixture('awkward/ed-hex-and-mime.hl7'));
    expect(txa(mdm.segment('TXA')!).uniqueDocumentNumber).toBe('DOC-1200');
    expect(evn(mdm.segment('EVN')!).eventTypeCode).toBe('T02');
    const ack = buildAck(ref, { code: 'AE', text: 'no' });
    expect(msa(ack.segment('MSA')!).messageControlId).toBe('HGP20261121101500001');
    expect(err(ack.segment('ERR')!).value('errorCodeAndLocation', 1, 4, 1)).toBe('207');
  });

  it('are live views: an edit through the segment shows at once', () => {
    const message = parseMessage(fixture('au/ref-i12-l1.hl7'));
    const patient = pid(message.segment('PID')!);
    message.set('PID-5.1', "O'Neil|Smith");
    expect(patient.patientName).toBe("O'Neil|Smith");
    expect(patient.segment).toBe(message.segment('PID'));
  });

  it('refuse a segment of another type with TypeError, and expose name and table', () => {
    expect(() => pid(oru.segment('MSH')!)).toThrow(TypeError);
    expect(pid.segmentName).toBe('PID');
    expect(pid.fields).toBe(PID_FIELDS);
  });
});
