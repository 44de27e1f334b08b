import { describe, expect, it } from 'vitest';
import { Hl7ParseError, parseMessage } from '@sealpost/sdk/hl7v2';

const ORU = [
  'MSH|^~\\&|LAB|HOSP^8003621566684455^AUSHICPR|GP|CLINIC|20261122093000+1000||ORU^R01^ORU_R01|MSG001|P|2.5.1^AUS&&ISO3166_1|||AL|NE|AUS|UNICODE UTF-8',
  'PID|1||8003608166690503^^^AUSHIC^NI~123456^^^HOSP^MR||O\\F\\Brien^Mary^Anne^^Ms||19700101|F|||1 Harbour St^^Sydney^NSW^2000^AUS',
  'OBR|1||LAB123^HOSP|26958-1^Full blood count^LN|||20261121080000',
  'OBX|1|NM|718-7^Haemoglobin^LN||140|g/L^grams per litre^UCUM|115-165||||F',
  'OBX|2|NM|6690-2^WBC^LN||7.2|10*9/L|4.0-11.0||||F',
  'OBX|3|FT|11502-2^Report^LN||Normal\\.br\\indices\\X2E\\||||||F',
].join('\r') + '\r';

describe('parseMessage', () => {
  it('reads header properties and decoded values by path', () => {
    const msg = parseMessage(ORU);
    expect(msg.messageType).toBe('ORU^R01^ORU_R01');
    expect(msg.controlId).toBe('MSG001');
    expect(msg.version).toBe('2.5.1');
    expect(msg.segmentCount).toBe(6);
    expect(msg.get('MSH-1')).toBe('|');
    expect(msg.get('MSH-2')).toBe('^~\\&');
    expect(msg.get('MSH-9.2')).toBe('R01');
    expect(msg.get('MSH-12.2.2')).toBe('');
    expect(msg.get('MSH-12.2.3')).toBe('ISO3166_1');
    expect(msg.get('PID-5')).toBe('O|Brien');
    expect(msg.get('PID-5.2')).toBe('Mary');
    expect(msg.get('PID-3[2].1')).toBe('123456');
    expect(msg.get('PID-3[2].4')).toBe('HOSP');
    expect(msg.get('PID-11.3')).toBe('Sydney');
    expect(msg.get('OBX[2]-5')).toBe('7.2');
    expect(msg.get('OBX[3]-5')).toBe('Normal\nindices.');
    expect(msg.get('OBX-6.2')).toBe('grams per litre');
    expect(msg.get('OBX[4]-5')).toBeUndefined();
    expect(msg.get('PID-99')).toBeUndefined();
    expect(msg.get('ZZZ-1')).toBeUndefined();
    expect(msg.get('PID-4')).toBe('');
  });

  it('getAll spans occurrences and repetitions', () => {
    const msg = parseMessage(ORU);
    expect(msg.getAll('OBX-3.2')).toEqual(['Haemoglobin', 'WBC', 'Report']);
    expect(msg.getAll('PID-3')).toEqual(['8003608166690503', '123456']);
    expect(msg.getAll('PID-3[2].4')).toEqual(['HOSP']);
    expect(msg.getAll('OBX[2]-3')).toEqual(['6690-2']);
    expect(msg.getAll('NTE-3')).toEqual([]);
  });

  it('getRaw returns encoded elements', () => {
    const msg = parseMessage(ORU);
    expect(msg.getRaw('PID-5')).toBe('O\\F\\Brien^Mary^Anne^^Ms');
    expect(msg.getRaw('PID-3[2]')).toBe('123456^^^HOSP^MR');
    expect(msg.getRaw('PID-5.1')).toBe('O\\F\\Brien');
  });

  it('counts repetitions, components and subcomponents', () => {
    const msg = parseMessage(ORU);
    const pid = msg.segment('PID')!;
    expect(pid.fieldCount).toBe(11);
    expect(pid.repetitionCount(3)).toBe(2);
    expect(pid.repetitionCount(4)).toBe(0);
    expect(pid.componentCount(3, 2)).toBe(5);
    expect(msg.segment('MSH')!.subcomponentCount(12, 1, 2)).toBe(3);
    expect(msg.segment('MSH')!.fieldCount).toBe(18);
  });

  it('round-trips byte for byte, with mixed terminators and no final terminator', () => {
    for (const text of [ORU, ORU.replace(/\r/g, '\n'), ORU.replace(/\r/g, '\r\n'), 'MSH|^~\\&|A\rPID|1\nPV1|1\r\nOBX|1\n\nNTE|1', 'MSH|^~\\&|A\r\r\rPID|1']) {
      const msg = parseMessage(text);
      expect(msg.toString()).toBe(text);
    }
    const mixed = parseMessage('MSH|^~\\&|A\rPID|1\nPV1|1\r\nOBX|1\n\nNTE|1');
    expect(mixed.segments().map((s) => s.name)).toEqual(['MSH', 'PID', 'PV1', 'OBX', 'NTE']);
  });

  it('round-trips bytes exactly, including BOM and MLLP framing outside the message', () => {
    const bytes = new TextEncoder().encode(ORU);
    expect(parseMessage(bytes).toBytes()).toEqual(bytes);
    const framed = new Uint8Array([0xef, 0xbb, 0xbf, 0x0b, ...bytes, 0x1c, 0x0d]);
    const msg = parseMessage(framed);
    expect(msg.toBytes()).toEqual(bytes);
    expect(msg.get('PID-5.2')).toBe('Mary');
    expect(parseMessage('\ufeff\x0b' + ORU + '\x1c\r').toString()).toBe(ORU);
  });

  it('uses the delimiters MSH declares', () => {
    const text = 'MSH*@#$%*SEND*FAC*****ADT@A08*C1*P*2.4\rPID*1**A1@@@MRN#B2@@@OTHER**Doe@John$T$x*';
    const msg = parseMessage(text);
    expect(msg.delimiters).toMatchObject({ field: '*', component: '@', repetition: '#', escape: '$', subcomponent: '%' });
    expect(msg.messageType).toBe('ADT@A08');
    expect(msg.get('MSH-9.2')).toBe('A08');
    expect(msg.getAll('PID-3.4')).toEqual(['MRN', 'OTHER']);
    expect(msg.get('PID-5.2')).toBe('John%x');
    expect(msg.toString()).toBe(text);
  });

  it('reads the v2.7 truncation character', () => {
    const msg = parseMessage('MSH|^~\\&#|A||||||ADT^A01|1|P|2.7\rNTE|1||a\\P\\b#');
    expect(msg.delimiters.truncation).toBe('#');
    expect(msg.get('NTE-3')).toBe('a#b#');
    msg.set('NTE-3', 'x#y');
    expect(msg.getRaw('NTE-3')).toBe('x\\P\\y');
  });

  it('reads FHS-like header fields of MSH without splitting MSH-2', () => {
    const msg = parseMessage('MSH|^~\\&|A\r');
    expect(msg.segment('MSH')!.raw(2, 1, 2)).toBe('');
    expect(msg.segment('MSH')!.value(2)).toBe('^~\\&');
  });
});

describe('parseMessage character sets', () => {
  const latin = (charsetField: string, body: number[]) =>
    new Uint8Array([...new TextEncoder().encode(`MSH|^~\\&|A|||||||||||||||${charsetField}\rPID|1||`), ...body, 0x0d]);

  it('decodes ISO-8859-1 as MSH-18 declares and writes it back', () => {
    const bytes = latin('8859/1', [0x4d, 0xfc, 0x6c, 0x6c, 0x65, 0x72, 0x80]);
    const msg = parseMessage(bytes);
    expect(msg.charset).toBe('latin1');
    expect(msg.get('PID-3')).toBe('Müller\u0080');
    expect(msg.toBytes()).toEqual(bytes);
    msg.set('PID-3', 'Zoë');
    expect(Array.from(msg.toBytes().slice(-4))).toEqual([0x5a, 0x6f, 0xeb, 0x0d]);
  });

  it('maps other HL7 names to real encodings', () => {
    expect(parseMessage(latin('8859/15', [0xa4])).get('PID-3')).toBe('€');
    expect(parseMessage(latin('UNICODE UTF-8', [0xc3, 0xa9])).get('PID-3')).toBe('é');
    expect(parseMessage(latin('8859/1~UNICODE UTF-8', [0xe9])).get('PID-3')).toBe('é');
    expect(parseMessage(latin('', [0xc3, 0xa9]), { charset: 'latin1' }).get('PID-3')).toBe('Ã©');
  });

  it('rejects invalid UTF-8 with its location instead of replacing it', () => {
    const bytes = latin('', [0x41, 0xff, 0x42]);
    const error = catchError(() => parseMessage(bytes));
    expect(error).toMatchObject({ code: 'ERR_HL7_CHARSET', messageIndex: 1, segmentIndex: 2, segmentName: 'PID', field: 3, byteOffset: bytes.length - 3 });
  });

  it('rejects an unknown or unsupported MSH-18', () => {
    expect(catchError(() => parseMessage(latin('KLINGON', [0x41])))).toMatchObject({ code: 'ERR_HL7_CHARSET', field: 18, segmentName: 'MSH' });
    expect(catchError(() => parseMessage(latin('UNICODE UTF-16', [0x41])))).toMatchObject({ code: 'ERR_HL7_CHARSET', field: 18 });
  });

  it('rejects non-ASCII bytes when MSH-18 says ASCII', () => {
    expect(catchError(() => parseMessage(latin('ASCII', [0xe9])))).toMatchObject({ code: 'ERR_HL7_CHARSET', segmentName: 'PID' });
  });
});

describe('parseMessage errors', () => {
  it.each([
    ['', 'ERR_HL7_PARSE', { segmentIndex: 1, byteOffset: 0 }],
    ['PID|1\r', 'ERR_HL7_PARSE', { segmentIndex: 1, byteOffset: 0 }],
    ['MSH', 'ERR_HL7_PARSE', { segmentIndex: 1, segmentName: 'MSH', field: 1 }],
    ['MSH|^~\\|A', 'ERR_HL7_PARSE', { field: 2 }],
    ['MSH|^~\\&&|A', 'ERR_HL7_PARSE', { field: 2 }],
    ['MSH|^~a&|A', 'ERR_HL7_PARSE', { field: 2 }],
    ['MSH|^~\\&|A\rPID|1\rpid|2\r', 'ERR_HL7_PARSE', { segmentIndex: 3, byteOffset: 17 }],
    ['MSH|^~\\&|A\rPID^1\r', 'ERR_HL7_PARSE', { segmentIndex: 2, segmentName: 'PID', byteOffset: 14 }],
    ['MSH|^~\\&|A\rPI\r', 'ERR_HL7_PARSE', { segmentIndex: 2 }],
    ['MSH|^~\\&|A\rPID|1\rMSH|^~\\&|B\r', 'ERR_HL7_PARSE', { segmentIndex: 3, segmentName: 'MSH', byteOffset: 17 }],
    ['MSH|^~\\&|A\rPID|1\x1c\r\x0bMSH|^~\\&|B', 'ERR_HL7_PARSE', { byteOffset: 16 }],
  ])('%j → %s', (text, code, location) => {
    const error = catchError(() => parseMessage(text));
    expect(error).toBeInstanceOf(Hl7ParseError);
    expect(error).toMatchObject({ code, messageIndex: 1, ...location });
  });

  it('reports malformed escapes lazily with segment, field and byte offset', () => {
    const text = 'MSH|^~\\&|A\rPID|1||\\X4G\\';
    const msg = parseMessage(text);
    const error = catchError(() => msg.get('PID-3'));
    expect(error).toMatchObject({ code: 'ERR_HL7_ESCAPE', segmentIndex: 2, segmentName: 'PID', field: 3, byteOffset: text.indexOf('\\X4G') });
    expect(msg.check().filter((p) => p.code === 'ERR_HL7_ESCAPE')).toHaveLength(1);
    expect(parseMessage(text, { escapes: 'lenient' }).get('PID-3')).toBe('\\X4G\\');
  });

  it('reports unterminated escapes and missing required MSH fields in check()', () => {
    const msg = parseMessage('MSH|^~\\&|A\rNTE|1||C:\\temp\r');
    const problems = msg.check();
    expect(problems.map((p) => p.code)).toEqual(['ERR_HL7_MISSING_FIELD', 'ERR_HL7_MISSING_FIELD', 'ERR_HL7_MISSING_FIELD', 'ERR_HL7_ESCAPE']);
    expect(problems[0]).toMatchObject({ segmentName: 'MSH', field: 9 });
    expect(problems[3]).toMatchObject({ segmentIndex: 2, field: 3 });
  });

  it('check() reports MLLP framing characters inside a value, with their byte offset', () => {
    const text = 'MSH|^~\\&|A||||||ADT^A01|1|P|2.5\rPID|1||12\x0b34\r';
    const problems = parseMessage(text).check();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'ERR_HL7_PARSE', segmentIndex: 2, segmentName: 'PID', field: 3, byteOffset: text.indexOf('\x0b') });
  });

  it('enforces the size limit', () => {
    expect(catchError(() => parseMessage('MSH|^~\\&|' + 'x'.repeat(100), { maxBytes: 50 }))).toMatchObject({ code: 'ERR_HL7_TOO_LARGE' });
    expect(catchError(() => parseMessage(new Uint8Array(51), { maxBytes: 50 }))).toMatchObject({ code: 'ERR_HL7_TOO_LARGE' });
  });

  it('byte offsets count UTF-8 bytes, not characters', () => {
    const text = 'MSH|^~\\&|Ünïcödé\rPID|1||\\Q\\';
    const error = catchError(() => parseMessage(new TextEncoder().encode(text)).get('PID-3'));
    expect(error).toMatchObject({ byteOffset: new TextEncoder().encode(text.slice(0, text.indexOf('\\Q'))).length });
  });

  it('refuses a non-string, non-bytes input with a TypeError', () => {
    expect(() => parseMessage(42 as unknown as string)).toThrow(TypeError);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
