import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildAck, buildErrorAck, Hl7ParseError, parseMessage, splitBatch } from '@sealpost/sdk/hl7v2';
import type { Hl7Message } from '@sealpost/sdk/hl7v2';
import { fixture, fixtures } from './helpers.js';

function validMessages(): Array<[string, Hl7Message]> {
  const out: Array<[string, Hl7Message]> = [];
  for (const dir of ['au', 'awkward', 'third-party']) {
    for (const name of readdirSync(fixtures + dir).filter((n) => n.endsWith('.hl7'))) {
      for (const entry of splitBatch(fixture(`${dir}/${name}`)).messages) out.push([`${dir}/${name}#${entry.index}`, entry.parse()]);
    }
  }
  return out;
}

describe('buildAck', () => {
  const messages = validMessages();

  it.each(messages)('acknowledges %s: MSA-2 = MSH-10, sender and receiver mirrored, version and delimiters kept', (_name, received) => {
    const ack = parseMessage(buildAck(received, { controlId: 'ACK1', timestamp: new Date(2026, 10, 22, 9, 0) }).toString());
    const r = received.segmentAt(0);
    const a = ack.segmentAt(0);
    expect(ack.delimiters).toEqual(received.delimiters);
    expect(a.raw(3)).toBe(r.raw(5));
    expect(a.raw(4)).toBe(r.raw(6));
    expect(a.raw(5)).toBe(r.raw(3));
    expect(a.raw(6)).toBe(r.raw(4));
    expect(a.raw(12)).toBe(r.raw(12));
    expect(a.raw(11)).toBe(r.raw(11));
    expect(a.raw(18)).toBe(r.raw(18));
    expect(ack.controlId).toBe('ACK1');
    expect(a.value(7)).toMatch(/^20261122090000[+-]\d{4}$/);
    expect(ack.get('MSA-1')).toBe('AA');
    expect(ack.get('MSA-2')).toBe(received.controlId);
    expect(ack.segment('ERR')).toBeUndefined();
    const code = r.value(9, 1, 1);
    const trigger = r.value(9, 1, 2);
    if (code === 'REF' && trigger === 'I12') {
      expect([a.value(9, 1, 1), a.value(9, 1, 2), a.value(9, 1, 3)]).toEqual(['RRI', 'I12', 'RRI_I12']);
      expect(ack.segments().map((s) => s.name)).toEqual(['MSH', 'MSA', 'RF1', 'PRD', 'PRD', 'PID']);
      expect(ack.segment('RF1')!.toString()).toBe(received.segment('RF1')!.toString());
    } else if (trigger) {
      expect([a.value(9, 1, 1), a.value(9, 1, 2), a.value(9, 1, 3)]).toEqual(['ACK', trigger, 'ACK']);
      expect(ack.segments().map((s) => s.name)).toEqual(['MSH', 'MSA']);
    } else {
      expect(a.raw(9)).toBe('ACK');
    }
  });

  it('covers the fixtures it claims to (REF, ORU, custom delimiters, v2.1 without trigger)', () => {
    const types = messages.map(([, m]) => m.messageType);
    expect(types).toContain('REF^I12^REF_I12');
    expect(types).toContain('ADT$A01$ADT_A01');
    expect(types).toContain('ADT');
  });

  it('AE on v2.5+: MSA-3 text and ERR-3/4/8, values escaped', () => {
    const received = parseMessage(fixture('awkward/escapes.hl7'));
    const ack = parseMessage(buildAck(received, { code: 'AE', text: 'PID-5 | bad ^ name', errorCode: '101', errorLocation: { segment: 'PID', sequence: 1, field: 5 } }).toString());
    expect(ack.get('MSA-1')).toBe('AE');
    expect(ack.get('MSA-2')).toBe('ESC000001');
    expect(ack.get('MSA-3')).toBe('PID-5 | bad ^ name');
    expect(ack.getRaw('ERR-2')).toBe('PID^1^5');
    expect(ack.getRaw('ERR-3')).toBe('101^Required field missing^HL70357');
    expect(ack.get('ERR-4')).toBe('E');
    expect(ack.get('ERR-8')).toBe('PID-5 | bad ^ name');
    expect(ack.get('ERR-1')).toBe('');
  });

  it('AR on v2.4 (HL7 AU): ERR-1 as ELD with the 0357 code in subcomponents', () => {
    const received = parseMessage(fixture('au/oru-r01-pathology-pdf.hl7'));
    const ack = parseMessage(buildAck(received, { code: 'AR', text: 'Unknown recipient' }).toString());
    expect(ack.get('MSA-1')).toBe('AR');
    expect(ack.get('MSA-3')).toBe('Unknown recipient');
    expect(ack.getRaw('ERR-1')).toBe('^^^207&Application internal error&HL70357');
    expect(ack.get('ERR-1.4.1')).toBe('207');
    expect(ack.getRaw('MSH-9')).toBe('ACK^R01^ACK');
    expect(ack.getRaw('MSH-12')).toBe('2.4^AUS&&ISO3166_1');
  });

  it('v2.7+: no MSA-3 (withdrawn), the text goes to ERR-8', () => {
    const received = parseMessage(fixture('awkward/truncation-v27.hl7'));
    const ack = parseMessage(buildAck(received, { code: 'AE', text: 'rejected' }).toString());
    expect(ack.delimiters.truncation).toBe('#');
    expect(ack.get('MSA-3')).toBeUndefined();
    expect(ack.get('ERR-8')).toBe('rejected');
  });

  it('keeps a custom-delimiter message’s own delimiters and escapes text for them', () => {
    const received = parseMessage(fixture('awkward/custom-delimiters.hl7'));
    const text = buildAck(received, { code: 'AE', text: 'a#b$c', controlId: 'X' }).toString();
    expect(text.startsWith('MSH#$*@!#RECV#RECVFAC#SEALPOST#TESTLAB#')).toBe(true);
    expect(text).toContain('MSA#AE#CUST0001#a@F@b@S@c');
    expect(parseMessage(text).get('MSA-3')).toBe('a#b$c');
  });

  it('generates a fresh 20-character control id by default and refuses unknown codes', () => {
    const received = parseMessage(fixture('third-party/medplum-ack.hl7'));
    const a = buildAck(received).controlId;
    const b = buildAck(received).controlId;
    expect(a).toMatch(/^[0-9A-F]{20}$/);
    expect(a).not.toBe(b);
    expect(() => buildAck(received, { code: 'XX' as 'AA' })).toThrow(RangeError);
  });
});

function parseFailure(input: Uint8Array): Hl7ParseError {
  try {
    parseMessage(input);
  } catch (error) {
    if (error instanceof Hl7ParseError) return error;
    throw error;
  }
  throw new Error('expected Hl7ParseError');
}

describe('buildErrorAck (answering input that does not parse)', () => {
  it('AR with the error location in ERR-2 and table 0357 code 102 for a charset error (v2.5+)', () => {
    const input = fixture('invalid/invalid-utf8.hl7');
    const ack = parseMessage(buildErrorAck(input, parseFailure(input), { controlId: 'E1' })!.toString());
    expect(ack.get('MSA-1')).toBe('AR');
    expect(ack.get('MSA-2')).toBe('UTF000001');
    expect(ack.get('MSA-3')).toMatch(/invalid UTF-8/);
    expect(ack.getRaw('ERR-2')).toBe('PID^1^5');
    expect(ack.getRaw('ERR-3')).toBe('102^Data type error^HL70357');
    expect(ack.get('MSH-3')).toBe('RECV');
    expect(ack.get('MSH-5')).toBe('SEALPOST');
  });

  it('counts the occurrence of the failing segment, keeps AE when asked, and uses ERR-1 before v2.5', () => {
    const text = 'MSH|^~\\&|LAB|L|GP|G|2026||ORU^R01|C9|P|2.4\rOBX|1|ST|A||ok\rOBX|2|ST|B||bad \\Q\\ escape\r';
    const input = new TextEncoder().encode(text);
    const message = parseMessage(input);
    let error: Hl7ParseError | undefined;
    try {
      message.check();
      message.get('OBX[2]-5');
    } catch (e) {
      error = e as Hl7ParseError;
    }
    expect(error?.code).toBe('ERR_HL7_ESCAPE');
    const ack = parseMessage(buildErrorAck(input, error!, { code: 'AE', text: 'OBX-5 escape' })!.toString());
    expect(ack.get('MSA-1')).toBe('AE');
    expect(ack.get('MSA-3')).toBe('OBX-5 escape');
    expect(ack.getRaw('ERR-1')).toBe('OBX^2^5^102&Data type error&HL70357');
  });

  it('answers AR for a batch member and gives up (undefined) when MSH itself is unreadable', () => {
    const input = fixture('invalid/batch-bad-second-message.hl7');
    const bad = splitBatch(input).messages[1]!;
    expect(() => bad.parse()).toThrow(Hl7ParseError);
    expect(buildErrorAck(bad.data, parseFailure(input.subarray(bad.byteOffset)))).toBeUndefined();
    const noMsh = fixture('invalid/not-hl7.txt');
    expect(buildErrorAck(noMsh, parseFailure(noMsh))).toBeUndefined();
  });
});
