import { describe, expect, it } from 'vitest';
import { createMessage, parseMessage } from '@sealpost/sdk/hl7v2';

const TEXT = 'MSH|^~\\&|A|B|C|D|20261122||ADT^A08|C1|P|2.5.1\rPID|1||111^^^HOSP^MR||Doe^John\nPV1|1|O\r\nNTE|1||keep me';

describe('editing', () => {
  it('re-serialises only what changed and keeps other segments and terminators byte for byte', () => {
    const msg = parseMessage(TEXT);
    msg.set('PID-5.1', "O'Brien|Smith");
    expect(msg.toString()).toBe(TEXT.replace('Doe^John', "O'Brien\\F\\Smith^John"));
    expect(msg.get('PID-5.1')).toBe("O'Brien|Smith");
    expect(msg.get('PID-5.2')).toBe('John');
    expect(msg.modified).toBe(true);
  });

  it('setting a value full of delimiters never moves other fields', () => {
    const msg = parseMessage(TEXT);
    const nasty = '|^~\\&\r\n#\x0b\x1c';
    msg.set('PID-5', nasty);
    const reparsed = parseMessage(msg.toString());
    expect(reparsed.get('PID-5')).toBe('|^~\\&\n#\x0b\x1c');
    expect(reparsed.get('PID-3.4')).toBe('HOSP');
    expect(reparsed.segmentCount).toBe(4);
    expect(reparsed.get('NTE-3')).toBe('keep me');
  });

  it('creates missing fields, repetitions, components and subcomponents', () => {
    const msg = parseMessage(TEXT);
    msg.set('PID-3[3].4.2', 'AUTH');
    msg.set('PID-13', 'x');
    msg.set('NTE-3.3', 'c3');
    expect(msg.getRaw('PID-3')).toBe('111^^^HOSP^MR~~^^^&AUTH');
    expect(msg.get('PID-13')).toBe('x');
    expect(msg.segment('PID')!.fieldCount).toBe(13);
    expect(msg.getRaw('NTE-3')).toBe('keep me^^c3');
  });

  it('replaces a whole field, repetition or component depending on the path', () => {
    const msg = parseMessage(TEXT);
    msg.set('PID-3', 'only');
    expect(msg.getRaw('PID-3')).toBe('only');
    msg.set('PID-3[2]', 'second');
    expect(msg.getAll('PID-3')).toEqual(['only', 'second']);
    msg.setField('PID-5', { repeat: [['Citizen', 'Jane'], ['Smith', ['A', 'B&C']]] });
    expect(msg.getRaw('PID-5')).toBe('Citizen^Jane~Smith^A&B\\T\\C');
    expect(msg.get('PID-5[2].2.2')).toBe('B&C');
  });

  it('adds and removes segments, keeping original terminators', () => {
    const msg = parseMessage(TEXT);
    msg.addSegment('OBX', ['1', 'ST', ['1234', 'Note'], '', 'a|b']);
    msg.addSegment('EVN', ['A08', '20261122'], { at: 1 });
    msg.removeSegment(msg.segment('NTE')!);
    expect(msg.toString()).toBe('MSH|^~\\&|A|B|C|D|20261122||ADT^A08|C1|P|2.5.1\rEVN|A08|20261122\rPID|1||111^^^HOSP^MR||Doe^John\nPV1|1|O\r\nOBX|1|ST|1234^Note||a\\F\\b\r');
    expect(parseMessage(msg.toString()).get('OBX-5')).toBe('a|b');
  });

  it('refuses impossible edits with RangeError or TypeError', () => {
    const msg = parseMessage(TEXT);
    expect(() => msg.set('MSH-1', 'x')).toThrow(RangeError);
    expect(() => msg.set('MSH-2', 'x')).toThrow(RangeError);
    expect(() => msg.set('OBX-5', 'x')).toThrow(RangeError);
    expect(() => msg.addSegment('MSH')).toThrow(RangeError);
    expect(() => msg.addSegment('pid')).toThrow(TypeError);
    expect(() => msg.removeSegment(msg.segment('MSH')!)).toThrow(RangeError);
    expect(() => msg.setField('PID-5.1', 'x')).toThrow(TypeError);
  });

  it('toBytes re-encodes edited messages in their charset', () => {
    const msg = parseMessage(new TextEncoder().encode(TEXT));
    msg.set('PID-5.2', 'Zoë');
    expect(new TextDecoder().decode(msg.toBytes())).toBe(TEXT.replace('Doe^John', 'Doe^Zoë'));
  });
});

describe('createMessage', () => {
  it('builds a message whose values read back unchanged', () => {
    const msg = createMessage({ msh: ['SEALPOST', ['GP', '8003621566684455', 'AUSHICPR'], 'LAB', 'PATH', '20261122093000', '', ['ORU', 'R01', 'ORU_R01'], 'ID1', 'P', '2.5.1'] });
    msg.addSegment('PID', ['1', '', { repeat: [['8003608166690503', '', '', 'AUSHIC', 'NI'], ['M1', '', '', 'HOSP', 'MR']] }, '', ['O|Brien', 'Mary']]);
    const text = msg.toString();
    expect(text).toBe('MSH|^~\\&|SEALPOST|GP^8003621566684455^AUSHICPR|LAB|PATH|20261122093000||ORU^R01^ORU_R01|ID1|P|2.5.1\rPID|1||8003608166690503^^^AUSHIC^NI~M1^^^HOSP^MR||O\\F\\Brien^Mary\r');
    const back = parseMessage(text);
    expect(back.get('PID-5')).toBe('O|Brien');
    expect(back.getAll('PID-3.5')).toEqual(['NI', 'MR']);
  });

  it('honours custom delimiters and terminators', () => {
    const msg = createMessage({ delimiters: { field: '#', truncation: '*' }, terminator: '\n', msh: ['A', 'B'] });
    msg.addSegment('NTE', ['1', '', 'a#b*c']);
    expect(msg.toString()).toBe('MSH#^~\\&*#A#B\nNTE#1##a\\F\\b\\P\\c\n');
    expect(parseMessage(msg.toString()).get('NTE-3')).toBe('a#b*c');
  });

  it('rejects impossible delimiters', () => {
    expect(() => createMessage({ delimiters: { field: '^' }, msh: [] })).toThrow(expect.objectContaining({ code: 'ERR_HL7_PARSE' }));
  });
});
