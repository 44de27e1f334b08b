/**
 * Messages of 256 KiB and more are read through the character index (sdk/hl7v2/internal/char-index.ts):
 * the same answers, errors and edits as the plain path, with delimiters, escapes and line ends at
 * the edges of a large value and of the index's 8 KiB chunks. The random version of this is the
 * largeMessagesReadAsSplit property (test/fuzz/hl7v2-properties.ts).
 */
import { describe, expect, it } from 'vitest';
import { Hl7ParseError, parseMessage } from '@sealpost/sdk/hl7v2';
import { CharIndex, INDEX_MIN_LENGTH, indexMessageText } from '../../sdk/hl7v2/internal/char-index.js';

const CHUNK = 8192;
const HEAD = 'MSH|^~\\&|LAB|SITE|GP|CLINIC|20261121093000||ORU^R01^ORU_R01|CTRL1|P|2.5|||||AUS|UNICODE UTF-8';

/** Base64-looking text of exactly `length` characters. */
function base64(length: number): string {
  const unit = 'JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K';
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
}

function message(obx5: string, terminator = '\r'): string {
  return [HEAD, 'PID|1||MRN1^^^LAB^MR||CITIZEN^JANE', `OBX|1|ED|PDF^Report||^application^pdf^Base64^${obx5}|||N|||F`, 'NTE|1||end'].join(terminator) + terminator;
}

describe('messages read through the character index', () => {
  it('indexes messages from 256 KiB on, and not below', () => {
    expect(indexMessageText('MSH|^~\\&|' + 'x'.repeat(INDEX_MIN_LENGTH))).toBeInstanceOf(CharIndex);
    expect(indexMessageText('MSH|^~\\&|' + 'x'.repeat(INDEX_MIN_LENGTH - 20))).toBeUndefined();
  });

  it('reads a 1 MiB embedded document, the fields after it and the segments around it, and serialises byte for byte', () => {
    const data = base64(1 << 20);
    for (const terminator of ['\r', '\n', '\r\n']) {
      const text = message(data, terminator);
      const parsed = parseMessage(text);
      expect(parsed.segments().map((s) => s.name)).toEqual(['MSH', 'PID', 'OBX', 'NTE']);
      const obx = parsed.segment('OBX')!;
      expect(obx.fieldCount).toBe(11);
      expect(obx.repetitionCount(5)).toBe(1);
      expect(obx.componentCount(5)).toBe(5);
      expect(obx.value(5, 1, 2)).toBe('application');
      expect(obx.value(5, 1, 5)).toBe(data);
      expect(obx.value(8)).toBe('N');
      expect(obx.value(11)).toBe('F');
      expect(parsed.get('NTE-3')).toBe('end');
      expect(parsed.get('PID-5.2')).toBe('JANE');
      expect(parsed.toString()).toBe(text);
    }
  });

  it('finds delimiters and escapes on both sides of every chunk boundary and at the very ends of a large value', () => {
    const data = base64(40 * CHUNK).split('');
    // The OBX-5.5 value starts at a known offset; put structure characters around chunk edges.
    const prefix = message('').indexOf('Base64^') + 'Base64^'.length;
    const marks = new Map<number, string>();
    for (let k = 1; k < 40; k += 3) {
      for (const delta of [-1, 0, 1]) marks.set(k * CHUNK + delta - prefix, '&');
    }
    for (const [at, char] of marks) data[at] = char;
    data[0] = '\\';
    data[1] = 'F';
    data[2] = '\\';
    data[data.length - 3] = '\\';
    data[data.length - 2] = 'T';
    data[data.length - 1] = '\\';
    const value = data.join('');
    const text = message(value);
    expect(text.length).toBeGreaterThan(INDEX_MIN_LENGTH);
    const obx = parseMessage(text).segment('OBX')!;
    const subs = value.split('&');
    expect(obx.subcomponentCount(5, 1, 5)).toBe(subs.length);
    expect(obx.value(5, 1, 5, 1)).toBe('|' + subs[0]!.slice(3));
    expect(obx.value(5, 1, 5, subs.length)).toBe(subs[subs.length - 1]!.slice(0, -3) + '&');
    for (let s = 2; s < subs.length; s++) expect(obx.raw(5, 1, 5, s)).toBe(subs[s - 1]);
  });

  it('a malformed escape at the last character of a large value is ERR_HL7_ESCAPE at its byte', () => {
    const value = base64(300_000) + '\\';
    const text = message(value);
    const obx = parseMessage(text).segment('OBX')!;
    let error: unknown;
    try {
      obx.value(5, 1, 5);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(Hl7ParseError);
    expect(error).toMatchObject({ code: 'ERR_HL7_ESCAPE', segmentIndex: 3, segmentName: 'OBX', field: 5, byteOffset: text.indexOf('\\', text.indexOf('Base64^')) });
  });

  it('a line end inside a large value starts a segment (and a bad name there is located)', () => {
    const data = base64(300_000);
    const split = message(data.slice(0, 150_000) + '\nZDS|' + data.slice(150_000));
    expect(parseMessage(split).segments().map((s) => s.name)).toEqual(['MSH', 'PID', 'OBX', 'ZDS', 'NTE']);
    const broken = message(data.slice(0, 150_000) + '\r' + data.slice(150_000));
    const lineStart = broken.indexOf('\r', broken.indexOf('Base64^')) + 1;
    expect(() => parseMessage(broken)).toThrow(
      expect.objectContaining({ code: 'ERR_HL7_PARSE', segmentIndex: 4, segmentName: broken.slice(lineStart, lineStart + 3), byteOffset: lineStart + 3 }),
    );
  });

  it('edits of an indexed segment read and serialise like edits of any segment', () => {
    const data = base64(300_000);
    const parsed = parseMessage(message(data));
    const obx = parsed.segment('OBX')!;
    expect(obx.value(5, 1, 5)).toBe(data);
    parsed.set('OBX-3.2', 'Report|PDF');
    parsed.set('OBX-5.3', 'x-pdf');
    expect(obx.value(3, 1, 2)).toBe('Report|PDF');
    expect(obx.value(5, 1, 3)).toBe('x-pdf');
    expect(obx.value(5, 1, 5)).toBe(data);
    expect(obx.value(11)).toBe('F');
    expect(parsed.toString()).toBe(message(data).replace('PDF^Report', 'PDF^Report\\F\\PDF').replace('^pdf^Base64', '^x-pdf^Base64'));
  });
});

describe('CharIndex', () => {
  it('finds a character exactly at chunk starts and ends, bounded by [from, to)', () => {
    const text = 'a'.repeat(64);
    const marked = text.slice(0, 15) + '|' + '|' + text.slice(17, 47) + '|' + text.slice(48);
    const index = new CharIndex(marked, ['|'], 4); // 16-character chunks
    expect(index.indexOf(0, 0, 64)).toBe(15);
    expect(index.indexOf(0, 16, 64)).toBe(16);
    expect(index.indexOf(0, 17, 64)).toBe(47);
    expect(index.indexOf(0, 17, 47)).toBe(-1);
    expect(index.indexOf(0, 48, 64)).toBe(-1);
    expect(index.splitStarts(0, 0, 64)).toEqual([0, 16, 17, 48]);
    expect(index.slot('|')).toBe(0);
    expect(index.slot('^')).toBe(-1);
  });
});
