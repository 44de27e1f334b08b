import { describe, expect, it } from 'vitest';
import { Hl7ParseError, parseMessage } from '@sealpost/sdk/hl7v2';

// Regressions for core bugs found while building on sdk/hl7v2 (both fixed: errors in MSH-2 and
// MSH-18 used to report the segment's start instead of the offending byte).

function parseError(input: string): Hl7ParseError {
  try {
    parseMessage(new TextEncoder().encode(input));
  } catch (error) {
    if (error instanceof Hl7ParseError) return error;
    throw error;
  }
  throw new Error('expected Hl7ParseError');
}

describe('core regressions', () => {
  const header = 'MSH|^~\\&|APP|FAC|RECV|RFAC|20261121||ADT^A01|X1|P|2.5.1|||AL|NE|AUS|';

  it('an unknown MSH-18 reports the byte where MSH-18 starts', () => {
    const error = parseError(header + 'KLINGON-1\rPID|1\r');
    expect(error.code).toBe('ERR_HL7_CHARSET');
    expect(error.field).toBe(18);
    expect(error.byteOffset).toBe(header.length);
  });

  it('bad MSH-2 encoding characters report the offending byte (the repeated ^ at 5)', () => {
    const error = parseError('MSH|^^\\&|APP|FAC\r');
    expect(error.field).toBe(2);
    expect(error.byteOffset).toBe(5);
  });

  it('check() reports an empty MSH-10 where MSH-10 starts', () => {
    const text = 'MSH|^~\\&|APP|FAC|RECV|RFAC|20261121||ADT^A01||P|2.5.1\rPID|1\r';
    const [problem] = parseMessage(new TextEncoder().encode(text)).check();
    expect(problem?.code).toBe('ERR_HL7_MISSING_FIELD');
    expect(problem?.field).toBe(10);
    expect(problem?.byteOffset).toBe(text.indexOf('||P|') + 1);
  });
});
