/** Payload negotiation: the best form the recipient's Endpoint accepts, produced with sdk/fhir and sdk/hl7v2. */
import { describe, expect, it } from 'vitest';
import { choosePayloadForm, producePayload } from '@sealpost/sdk/directory';
import type { PayloadType } from '@sealpost/sdk/directory';
import { parseMessage } from '@sealpost/sdk/hl7v2';
import { author, authorRole, fixedNow, organization, patient, recipient, sequentialIds } from '../../fhir/support/people.js';

const pdf = new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x34, 0x0a, 0x25, 0xe2, 0xe3]);
const letter = (contentType: string, data: Uint8Array | string) => ({ patient, author, authorRole, organization, recipient, title: 'Referral to cardiology', letter: { contentType, data }, newId: sequentialIds(), now: fixedNow });

describe('choosePayloadForm', () => {
  const cases: [PayloadType[], PayloadType[] | undefined, PayloadType][] = [
    [['hl7v2-ref-i12-l1', 'fhir-document', 'hl7v2-ref-i12-l2'], undefined, 'fhir-document'],
    [['hl7v2-ref-i12-l1', 'hl7v2-ref-i12-l2'], undefined, 'hl7v2-ref-i12-l2'],
    [['hl7v2-ref-i12-l1', 'pdf'], undefined, 'hl7v2-ref-i12-l1'],
    [[], undefined, 'fhir-document'],
    [['hl7v2-ref-i12-l2', 'hl7v2-ref-i12-l1'], ['hl7v2-ref-i12-l1'], 'hl7v2-ref-i12-l1'],
  ];
  it.each(cases)('accepted %j, can produce %j → %s', (accepted, canProduce, expected) => {
    expect(choosePayloadForm(accepted, canProduce ? { canProduce } : {})).toBe(expected);
  });
  it('throws ERR_DIRECTORY_NO_PAYLOAD_FORM when nothing fits', () => {
    expect(() => choosePayloadForm(['hl7v2-oru-r01', 'pdf'])).toThrow(expect.objectContaining({ code: 'ERR_DIRECTORY_NO_PAYLOAD_FORM' }));
  });
});

describe('producePayload', () => {
  it('sends a FHIR document bundle when the recipient takes one', () => {
    const payload = producePayload(['fhir-document', 'hl7v2-ref-i12-l1'], letter('application/pdf', pdf));
    expect(payload.form).toBe('fhir-document');
    expect(payload.contentType).toBe('application/fhir+json');
    const bundle = JSON.parse(new TextDecoder().decode(payload.bytes)) as { resourceType: string; type: string };
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'document' });
  });

  it('falls back to REF^I12 Level 2 with the letter as written', () => {
    const payload = producePayload(['hl7v2-ref-i12-l2', 'hl7v2-ref-i12-l1'], letter('text/plain', 'Dear Dr Nguyen,\nplease see Mary.'));
    expect(payload.form).toBe('hl7v2-ref-i12-l2');
    const message = parseMessage(payload.bytes);
    expect([message.get('MSH-9.1'), message.get('MSH-9.2')]).toEqual(['REF', 'I12']);
    expect(message.segments('RF1')).toHaveLength(1);
    expect(message.segments('PRD')).toHaveLength(2);
    expect(new TextDecoder().decode(payload.bytes)).toContain('please see Mary.');
  });

  it('falls back to REF^I12 Level 1 carrying the PDF rendering', () => {
    const payload = producePayload(['hl7v2-ref-i12-l1'], { ...letter('text/plain', 'Dear Dr Nguyen'), pdf });
    expect(payload.form).toBe('hl7v2-ref-i12-l1');
    const text = new TextDecoder().decode(payload.bytes);
    expect(text).toContain('REF^I12');
    expect(text).toContain(btoa(String.fromCharCode(...pdf)));
  });

  it('cannot offer Level 1 without a PDF', () => {
    expect(() => producePayload(['hl7v2-ref-i12-l1'], letter('text/plain', 'Dear Dr Nguyen'))).toThrow(expect.objectContaining({ code: 'ERR_DIRECTORY_NO_PAYLOAD_FORM' }));
  });
});
