import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SealpostError } from '@sealpost/sdk';
import { createMessage, extractDocuments, parseMessage } from '@sealpost/sdk/hl7v2';
import { decodeBase64, decodeHex, decodeQuotedPrintable } from '../../../sdk/hl7v2/embedded/decode.js';
import { encodeBase64 } from '../../../sdk/hl7v2/build/internal.js';
import { fixture } from '../build/helpers.js';

const enc = new TextEncoder();
const b64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes));

/** A message whose OBX segments are given as raw text after a fixed header. */
function withObx(...obx: string[]) {
  return parseMessage(['MSH|^~\\&|A|B|C|D|20261122||ORU^R01^ORU_R01|X1|P|2.5.1', 'PID|1||P1', 'OBR|1||F1|R^Report^L', ...obx].join('\r') + '\r');
}

function thrown(fn: () => unknown): SealpostError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SealpostError) return error;
    throw error;
  }
  throw new Error('expected a SealpostError');
}

describe('extractDocuments on the fixtures', () => {
  it('AU pathology ORU^R01: the PDF display segment, byte for byte', () => {
    const documents = extractDocuments(parseMessage(fixture('au/oru-r01-pathology-pdf.hl7')));
    expect(documents).toHaveLength(1);
    const [pdf] = documents;
    expect(pdf!.mediaType).toBe('application/pdf');
    expect(pdf!.bytes).toEqual(fixture('au/pathology-report.pdf'));
    expect(pdf!.observationId).toBe('PDF');
    expect(pdf!.observationText).toBe('Display format in PDF');
    expect(pdf!.segments).toEqual([11]);
    expect(pdf!.encoding).toBe('Base64');
    expect(pdf!.filename).toBeUndefined();
  });

  it('REF^I12 Level 2: HTML, PDF, RTF display segments then both attachments, in order', () => {
    const documents = extractDocuments(parseMessage(fixture('au/ref-i12-l2.hl7')));
    expect(documents.map((d) => [d.observationId, d.mediaType, d.segments])).toEqual([
      ['HTML', 'text/html', [8]],
      ['PDF', 'application/pdf', [9]],
      ['RTF', 'text/rtf', [10]],
      ['11524-6', 'application/pdf', [12]],
      ['51851-4', 'text/plain', [13]],
    ]);
    expect(documents[0]!.bytes).toEqual(fixture('au/referral-letter.html'));
    expect(documents[1]!.bytes).toEqual(fixture('au/referral-letter.pdf'));
    expect(documents[2]!.bytes).toEqual(fixture('au/referral-letter.rtf'));
    expect(documents[3]!.bytes).toEqual(fixture('au/ecg-attachment.pdf'));
    expect(new TextDecoder().decode(documents[4]!.bytes)).toBe('Patient prefers morning appointments.\n');
  });

  it('joins a PDF split across 20 OBX segments (same OBX-3 and OBX-4) into one document', () => {
    const [document, ...rest] = extractDocuments(parseMessage(fixture('awkward/split-document-obx.hl7')));
    expect(rest).toHaveLength(0);
    expect(document!.segments).toEqual(Array.from({ length: 20 }, (_, i) => i + 4));
    expect(document!.bytes).toEqual(fixture('awkward/split-document.pdf'));
  });

  it('decodes Hex, and unwraps a MIME entity (headers, base64 body, file name)', () => {
    const [hex, mime] = extractDocuments(parseMessage(fixture('awkward/ed-hex-and-mime.hl7')));
    expect(hex!.encoding).toBe('Hex');
    expect(hex!.mediaType).toBe('text/plain');
    expect(hex!.bytes).toEqual(fixture('awkward/hex-note.txt'));
    expect(mime!.mediaType).toBe('application/pdf');
    expect(mime!.filename).toBe('wrapped-report.pdf');
    expect(mime!.bytes).toEqual(fixture('awkward/mime-wrapped.pdf'));
  });

  it('finds nothing in messages without ED', () => {
    expect(extractDocuments(parseMessage(fixture('awkward/escapes.hl7')))).toEqual([]);
  });
});

describe('extractDocuments on crafted payloads', () => {
  const pdf = enc.encode('%PDF-1.4\nhello\n%%EOF\n');

  it('splits a multipart MIME payload into one document per part', () => {
    const mime =
      'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\npreamble\r\n' +
      '--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCaf=C3=A9 =\r\nau lait\r\n' +
      `--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=report.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(pdf)}\r\n` +
      '--b1--\r\n';
    const documents = extractDocuments(withObx(`OBX|1|ED|DOC^Document^L||^multipart^mixed^A^${mime.replace(/\r\n/g, '\\X0D0A\\')}||||||F`));
    expect(documents.map((d) => [d.mediaType, d.filename])).toEqual([
      ['text/plain', undefined],
      ['application/pdf', 'report.pdf'],
    ]);
    expect(new TextDecoder().decode(documents[0]!.bytes)).toBe('Café au lait');
    expect(documents[1]!.bytes).toEqual(pdf);
  });

  it('treats data that only starts like MIME (no blank line after the headers) as plain data', () => {
    const text = 'Content-Type: looks like a header but is the whole note';
    const [document] = extractDocuments(withObx(`OBX|1|ED|TXT^Note^L||^text^plain^Base64^${b64(enc.encode(text))}||||||F`));
    expect(document!.mediaType).toBe('text/plain');
    expect(new TextDecoder().decode(document!.bytes)).toBe(text);
  });

  it('decodes base64 wrapped with escaped line breaks, and chunks padded one by one', () => {
    const data = b64(pdf);
    const wrapped = data.slice(0, 8) + '\\.br\\' + data.slice(8, 16) + '\\X0D0A\\' + data.slice(16);
    expect(extractDocuments(withObx(`OBX|1|ED|PDF^Report^L||^AP^PDF^Base64^${wrapped}||||||F`))[0]!.bytes).toEqual(pdf);
    const a = pdf.subarray(0, 5);
    const b = pdf.subarray(5);
    const [joined] = extractDocuments(withObx(`OBX|1|ED|PDF^Report^L|1|^application^pdf^Base64^${b64(a)}||||||F`, `OBX|2|ED|PDF^Report^L|1|^application^pdf^Base64^${b64(b)}||||||F`));
    expect(joined!.bytes).toEqual(pdf);
    expect(joined!.mediaType).toBe('application/pdf');
  });

  it('keeps separate documents apart: different OBX-3, or an empty OBX-4', () => {
    const documents = extractDocuments(
      withObx(
        `OBX|1|ED|PDF^Report^L||^application^pdf^Base64^${b64(pdf)}||||||F`,
        `OBX|2|ED|PDF^Report^L||^application^pdf^Base64^${b64(pdf)}||||||F`,
        'NTE|1||between',
        `OBX|3|ED|RTF^Letter^L||^text^rtf^Base64^${b64(enc.encode('{\\rtf1 x}'))}||||||F`,
      ),
    );
    expect(documents.map((d) => d.segments)).toEqual([[4], [5], [7]]);
  });

  it('joins continuation segments that leave ED-2 and ED-4 empty, whatever their OBX-4', () => {
    const [document, other] = extractDocuments(
      withObx(
        `OBX|1|ED|PDF^Report^L||^application^pdf^Base64^${b64(pdf.subarray(0, 4))}||||||F`,
        `OBX|2|ED|PDF^Report^L||^^^^${b64(pdf.subarray(4, 10))}||||||F`,
        `OBX|3|ED|PDF^Report^L|7|^^^^${b64(pdf.subarray(10))}||||||F`,
        `OBX|4|ED|PDF^Report^L||^application^pdf^Base64^${b64(pdf)}||||||F`,
      ),
    );
    expect(document!.segments).toEqual([4, 5, 6]);
    expect(document!.bytes).toEqual(pdf);
    expect(other!.segments).toEqual([7]);
  });

  it('joins repetitions of OBX-5 whose later repetitions leave ED-2 empty', () => {
    const [document] = extractDocuments(withObx(`OBX|1|ED|PDF^Report^L||^application^pdf^Base64^${b64(pdf.subarray(0, 6))}~^^^^${b64(pdf.subarray(6))}||||||F`));
    expect(document!.bytes).toEqual(pdf);
  });

  it('sniffs the media type when ED-2/ED-3 are missing or not a MIME type', () => {
    const cases: Array<[Uint8Array, string]> = [
      [pdf, 'application/pdf'],
      [enc.encode('{\\rtf1 hi}'), 'text/rtf'],
      [enc.encode('  <!DOCTYPE html><p>x</p>'), 'text/html'],
      [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]), 'image/png'],
      [new Uint8Array([0xff, 0xd8, 0xff, 0xe0]), 'image/jpeg'],
      [enc.encode('<?xml version="1.0"?><a/>'), 'application/xml'],
      [new Uint8Array([1, 2, 3]), 'application/octet-stream'],
    ];
    for (const [bytes, mediaType] of cases) {
      expect(extractDocuments(withObx(`OBX|1|ED|X^X^L||^^^Base64^${b64(bytes)}||||||F`))[0]!.mediaType, mediaType).toBe(mediaType);
    }
    expect(extractDocuments(withObx(`OBX|1|ED|X^X^L||^IM^JPG^Base64^${b64(new Uint8Array([0xff, 0xd8, 0xff]))}||||||F`))[0]!.mediaType).toBe('image/jpeg');
  });

  it('decodes encoding A as the unescaped text in UTF-8', () => {
    const [document] = extractDocuments(withObx('OBX|1|ED|TXT^Note^L||^text^plain^A^Line 1\\X0D0A\\Caf\\XC3A9\\ \\T\\ co||||||F'));
    expect(new TextDecoder().decode(document!.bytes)).toBe('Line 1\r\nCafé & co');
  });

  it('throws ERR_HL7_EMBEDDED naming the OBX for corrupt data or an unknown encoding', () => {
    const bad = thrown(() => extractDocuments(withObx('OBX|1|ED|PDF^Report^L||^application^pdf^Base64^AAA*AAAA||||||F')));
    expect(bad.code).toBe('ERR_HL7_EMBEDDED');
    expect(bad.message).toMatch(/^OBX 1 \(segment 4\): invalid base64 character "\*" at character 3/);
    expect(thrown(() => extractDocuments(withObx('OBX|2|ED|X^X^L||^text^plain^Hex^ABC||||||F'))).message).toMatch(/^OBX 2 \(segment 4\): odd number of hex digits/);
    expect(thrown(() => extractDocuments(withObx('OBX|3|ED|X^X^L||^text^plain^Base32^ABC||||||F'))).message).toMatch(/unknown ED encoding 'Base32'/);
    expect(thrown(() => extractDocuments(withObx('OBX|1|ED|X^X^L||^text^plain^Base64^QUJDR||||||F'))).message).toMatch(/single character/);
  });

  it('enforces maxEncodedLength with ERR_HL7_TOO_LARGE', () => {
    const message = withObx(`OBX|1|ED|PDF^Report^L||^application^pdf^Base64^${b64(pdf)}||||||F`);
    expect(thrown(() => extractDocuments(message, { maxEncodedLength: 10 })).code).toBe('ERR_HL7_TOO_LARGE');
    expect(extractDocuments(message, { maxEncodedLength: 1000 })).toHaveLength(1);
  });

  it('works with custom delimiters', () => {
    const message = createMessage({ delimiters: { field: '#', component: '$', repetition: '*', escape: '@', subcomponent: '!' }, msh: ['A', 'B', 'C', 'D', '2026', '', ['ORU', 'R01'], 'X', 'P', '2.5.1'] });
    message.addSegment('OBX', ['1', 'ED', ['PDF', 'Report', 'L'], '', ['', 'application', 'pdf', 'Base64', b64(pdf)]]);
    const [document] = extractDocuments(parseMessage(message.toBytes()));
    expect(document!.bytes).toEqual(pdf);
  });
});

describe('extractDocuments on hostile input', () => {
  it('property: any ED payload either decodes or throws a SealpostError, never anything else', () => {
    const chunk = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'ABCxyz019+/=-_ \\.brX0DA'.split('')), maxLength: 40 }),
      fc.uint8Array({ maxLength: 40 }).map((bytes) => b64(bytes)),
      fc.constantFrom('Content-Type: multipart/mixed; boundary=b\\X0D0A\\\\X0D0A\\--b\\X0D0A\\\\X0D0A\\x\\X0D0A\\--b--', 'MIME-Version: 1.0', b64(enc.encode('Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n@@@')), b64(enc.encode('Content-Type: weird type\r\n\r\nx'))),
    );
    const segment = fc.record({
      type: fc.constantFrom('', 'application', 'text', 'AP', 'IM', 'multipart', 'x'),
      subtype: fc.constantFrom('', 'pdf', 'html', 'JPG', 'weird type'),
      encoding: fc.constantFrom('', 'A', 'Base64', 'base64', 'Hex', 'HEX', 'Other'),
      sub: fc.constantFrom('', '1', '2'),
      data: chunk,
    });
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), (segments) => {
        let message;
        try {
          message = withObx(...segments.map((x, i) => `OBX|${i + 1}|ED|DOC^Doc^L|${x.sub}|^${x.type}^${x.subtype}^${x.encoding}^${x.data}||||||F`));
        } catch {
          return; // a payload that breaks the message itself is the parser's business
        }
        try {
          for (const document of extractDocuments(message)) {
            expect(document.bytes).toBeInstanceOf(Uint8Array);
            expect(document.mediaType).toMatch(/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/);
          }
        } catch (error) {
          expect(error).toBeInstanceOf(SealpostError);
          expect(['ERR_HL7_EMBEDDED', 'ERR_HL7_ESCAPE', 'ERR_HL7_TOO_LARGE']).toContain((error as SealpostError).code);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('decoders', () => {
  it('property: base64 of any bytes, split anywhere, decodes to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 5 }), (bytes, cuts) => {
        const text = b64(bytes);
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const parts: string[] = [];
        let from = 0;
        for (const point of points) {
          parts.push(text.slice(from, point));
          from = point;
        }
        parts.push(text.slice(from));
        expect(decodeBase64(parts, { where: 'test' })).toEqual(bytes);
        expect(decodeBase64([enc.encode(text)], { where: 'test' })).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('property: the builders\' base64 encoder agrees with btoa for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(encodeBase64(bytes)).toBe(b64(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('property: hex of any bytes decodes to the same bytes, upper or lower case', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, upper) => {
        let hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
        if (upper) hex = hex.toUpperCase();
        expect(decodeHex([hex.slice(0, 3), hex.slice(3)], { where: 'test' })).toEqual(bytes);
      }),
    );
  });

  it('quoted-printable: escapes, soft breaks, and a stray = kept', () => {
    expect(new TextDecoder().decode(decodeQuotedPrintable(enc.encode('a=3Db=\r\nc=\nd = e=ZZ')))).toBe('a=bcd = e=ZZ');
  });

  it('base64url alphabet and whitespace are accepted', () => {
    expect(decodeBase64(['-_-_ \r\n'], { where: 't' })).toEqual(new Uint8Array([0xfb, 0xff, 0xbf]));
  });
});
