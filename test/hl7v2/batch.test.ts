import { describe, expect, it } from 'vitest';
import { parseBatch, splitBatch } from '@sealpost/sdk/hl7v2';

const m = (id: string, charset = '') => `MSH|^~\\&|LAB||GP||20261122||ORU^R01|${id}|P|2.5.1||||||${charset}\rPID|1||${id}-PAT\rOBX|1|ST|x||v-${id}\r`;

describe('batches', () => {
  it('iterates messages of an FHS/BHS/BTS/FTS file with their positions', () => {
    const text = 'FHS|^~\\&|LAB|||||20261122\rBHS|^~\\&|LAB\r' + m('A') + m('B') + 'BTS|2\rFTS|1\r';
    const batch = parseBatch(text);
    expect(batch.envelope.map((e) => e.segment.name)).toEqual(['FHS', 'BHS', 'BTS', 'FTS']);
    expect(batch.envelope[0]!.segment.value(3)).toBe('LAB');
    expect(batch.envelope[2]!.segment.value(1)).toBe('2');
    expect([...batch].map((e) => [e.index, e.offset, e.message.controlId])).toEqual([
      [1, text.indexOf(m('A')), 'A'],
      [2, text.indexOf(m('B')), 'B'],
    ]);
    for (const entry of batch) expect(text.slice(entry.offset, entry.offset + entry.message.toString().length)).toBe(entry.message.toString());
  });

  it('splits back-to-back messages, blank lines and MLLP frames', () => {
    const text = m('A') + '\n\n' + m('B').replace(/\r/g, '\n') + '\x0b' + m('C') + '\x1c\r\x0b' + m('D') + '\x1c\r';
    const batch = parseBatch(text);
    expect(batch.messages.map((e) => e.message.controlId)).toEqual(['A', 'B', 'C', 'D']);
    expect(batch.messages[2]!.message.toString()).toBe(m('C'));
  });

  it('gives byte offsets for byte input and per-message charsets', () => {
    const a = new TextEncoder().encode(m('A', 'UNICODE UTF-8').replace('A-PAT', 'Ä-PAT'));
    const b = Uint8Array.from(m('B', '8859/1').replace('v-B', 'v-Bé'), (c) => c.charCodeAt(0)); // Latin-1 bytes
    const bytes = new Uint8Array([...a, ...b]);
    const batch = parseBatch(bytes);
    expect(batch.messages[0]!.message.get('PID-3')).toBe('Ä-PAT');
    expect(batch.messages[1]!.byteOffset).toBe(a.length);
    expect(batch.messages[1]!.message.charset).toBe('latin1');
    expect(batch.messages[1]!.message.get('OBX-5')).toBe('v-Bé');
  });

  it('locates errors in later messages by message index and file byte offset', () => {
    const bad = 'MSH|^~\\&|X\rPID^bad\r';
    const text = m('A') + bad + m('C');
    const split = splitBatch(text);
    expect(split.messages).toHaveLength(3);
    expect(() => split.messages[1]!.parse()).toThrow(expect.objectContaining({ code: 'ERR_HL7_PARSE', messageIndex: 2, segmentIndex: 2, byteOffset: m('A').length + 14 }));
    expect(split.messages[2]!.parse().controlId).toBe('C');
    expect(() => parseBatch(text)).toThrow(expect.objectContaining({ messageIndex: 2 }));
  });

  it('reports content outside any message', () => {
    const split = splitBatch('PID|1\r' + m('A'));
    expect(split.problems).toHaveLength(1);
    expect(split.problems[0]).toMatchObject({ code: 'ERR_HL7_PARSE', byteOffset: 0 });
    expect(split.messages).toHaveLength(1);
    expect(() => parseBatch('PID|1\r' + m('A'))).toThrow(expect.objectContaining({ code: 'ERR_HL7_PARSE' }));
  });

  it('returns no messages for empty input and enforces the size limit', () => {
    expect(splitBatch('').messages).toEqual([]);
    expect(splitBatch('\r\n\r\n').problems).toEqual([]);
    expect(() => splitBatch('x'.repeat(20), { maxBytes: 10 })).toThrow(expect.objectContaining({ code: 'ERR_HL7_TOO_LARGE' }));
  });
});
