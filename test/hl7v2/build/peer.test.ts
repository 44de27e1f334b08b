import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { buildPdfResult, buildReferral } from '@sealpost/sdk/hl7v2';
import { fixture, referralOptions } from './helpers.js';

// An independent parser reads what the builders write: simple-hl7 (npm, MIT), the CommonJS HL7
// library the issue names as a peer. It has no types, so the small surface used is declared here.
interface PeerSegment {
  getComponent(field: number, component: number): string;
  getField(field: number): string;
}
interface PeerMessage {
  getSegment(name: string): PeerSegment;
  getSegments(name: string): PeerSegment[];
}
const require = createRequire(import.meta.url);
const hl7 = require('simple-hl7') as { Parser: new (options: { segmentSeperator: string }) => { parse(text: string): PeerMessage } };

const peer = (text: string): PeerMessage => new hl7.Parser({ segmentSeperator: '\r' }).parse(text);
const fromBase64 = (text: string): Uint8Array => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

describe('builders, read back by simple-hl7', () => {
  it('REF^I12 Level 2: segments, patient, display segments and attachment as simple-hl7 sees them', () => {
    const pdf = fixture('au/referral-letter.pdf');
    const ecg = fixture('au/ecg-attachment.pdf');
    const text = buildReferral(
      referralOptions({
        level: 2,
        display: [
          { format: 'pdf', data: pdf },
          { format: 'html', data: '<p>Dear Dr Chen</p>' },
        ],
        attachments: [{ mediaType: 'application/pdf', data: ecg }],
      }),
    ).toString();
    const message = peer(text);
    expect(message.getSegment('PID').getComponent(5, 1)).toBe('CITIZEN');
    expect(message.getSegment('PID').getComponent(5, 2)).toBe('JANE');
    expect(message.getSegment('RF1').getComponent(6, 1)).toBe('HGP-REF-000123');
    expect(message.getSegments('PRD').map((s) => s.getComponent(1, 1))).toEqual(['RP', 'IR']);
    const obx = message.getSegments('OBX');
    expect(obx.map((s) => s.getComponent(3, 1))).toEqual(['PDF', 'HTML', 'ATT']);
    expect(obx.map((s) => s.getComponent(5, 2) + '/' + s.getComponent(5, 3))).toEqual(['application/pdf', 'text/html', 'application/pdf']);
    expect(fromBase64(obx[0]!.getComponent(5, 5))).toEqual(pdf);
    expect(new TextDecoder().decode(fromBase64(obx[1]!.getComponent(5, 5)))).toBe('<p>Dear Dr Chen</p>');
    expect(fromBase64(obx[2]!.getComponent(5, 5))).toEqual(ecg);
  });

  it('ORU^R01 with a PDF: results and the display segment as simple-hl7 sees them', () => {
    const pdf = fixture('au/pathology-report.pdf');
    const { sender, receiver, patient } = referralOptions();
    const text = buildPdfResult({
      sender,
      receiver,
      patient,
      order: { fillerId: '26-1', assigner: { namespace: 'SPP', universalId: '2184', universalIdType: 'AUSNATA' }, code: { code: '26604-1', text: 'FBC', system: 'LN' } },
      observations: [{ valueType: 'NM', code: { code: '718-7', text: 'Haemoglobin', system: 'LN' }, value: '135', units: 'g/L' }],
      pdf,
    }).toString();
    const message = peer(text);
    expect(message.getSegment('OBR').getComponent(3, 1)).toBe('26-1');
    expect(message.getSegment('OBR').getComponent(3, 4)).toBe('AUSNATA');
    const obx = message.getSegments('OBX');
    expect(obx.map((s) => s.getField(2))).toEqual(['NM', 'ED']);
    expect(obx[0]!.getField(5)).toBe('135');
    expect(fromBase64(obx[1]!.getComponent(5, 5))).toEqual(pdf);
  });
});
