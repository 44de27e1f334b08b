/**
 * The listener's ACK encoder against sdk/hl7v2's buildAck: the same bytes for every fixture and
 * for generated headers (delimiters, escapes, versions, charsets, non-ASCII fields), and proof that
 * the template path (not buildAck) is what answers plain messages.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildAck, parseMessage } from '@sealpost/sdk/hl7v2';
import type { AckCode, Hl7Message } from '@sealpost/sdk/hl7v2';
import { encodeAck, encodePositiveAck } from '../../../adapters/mllp/encode-ack.js';

const fixtures = fileURLToPath(new URL('../../fixtures/hl7v2/', import.meta.url));
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : name.endsWith('.hl7') ? [path] : [];
  });
const at = new Date(Date.UTC(2026, 11, 7, 19, 30, 5));

/** buildAck's bytes, or its text and the error when toBytes cannot write it (charset unsupported, a character outside it). */
function reference(message: Hl7Message, code: AckCode, text?: string): { bytes?: Uint8Array; text: string; error?: Error } {
  const ack = buildAck(message, { code, controlId: 'ACK-1', timestamp: at, ...(text === undefined ? {} : { text }) });
  try {
    return { bytes: ack.toBytes(), text: ack.toString() };
  } catch (error) {
    return { text: ack.toString(), error: error as Error };
  }
}

function expectSameAck(message: Hl7Message, code: AckCode, text?: string): void {
  const expected = reference(message, code, text);
  const options = { code, controlId: 'ACK-1', timestamp: at, ...(text === undefined ? {} : { text }) };
  if (expected.bytes) {
    expect(Buffer.from(encodeAck(message, options)).toString('latin1')).toBe(Buffer.from(expected.bytes).toString('latin1'));
    return;
  }
  // buildAck cannot write this ACK. The template can when it is plain ASCII in a charset toBytes
  // does not write (8859/2, ISO IR87…): ASCII bytes read the same in every ASCII-compatible
  // charset.
  const template = encodePositiveAck(message, options);
  if (template) {
    expect(expected.error).toMatchObject({ code: 'ERR_NOT_SUPPORTED' });
    expect(Buffer.from(template).toString('latin1')).toBe(expected.text);
    return;
  }
  // Otherwise the ACK still has bytes: buildAck's text with the same segments and fields, in the
  // message's charset where it holds the characters (single-byte ones: 8859/2, 8859/15), other
  // characters transliterated into printable ASCII.
  const bytes = encodeAck(message, options);
  const repertoire = upperHalf(message.charset);
  if (!repertoire) expect(bytes.every((b) => b === 0x0d || (b >= 0x20 && b <= 0x7e))).toBe(true);
  const fields = (text: string): string[][] => text.split('\r').map((segment) => segment.split(message.delimiters.field));
  const got = fields(repertoire ? new TextDecoder(message.charset).decode(bytes) : Buffer.from(bytes).toString('latin1'));
  const want = fields(expected.text);
  expect(got.map((s) => s.length)).toEqual(want.map((s) => s.length));
  const writable = (field: string): boolean => [...field].every((c) => /^[\x20-\x7e]$/.test(c) || repertoire?.has(c));
  want.forEach((segment, i) => segment.forEach((field, j) => (writable(field) ? expect(got[i]![j]).toBe(field) : expect(got[i]![j]).not.toBe(field))));
}

/** The characters bytes 0xA0–0xFF stand for in an ISO 8859 charset (by its WHATWG name); undefined for other charsets. */
function upperHalf(encoding: string): Set<string> | undefined {
  if (!encoding.startsWith('iso-8859-')) return undefined;
  return new Set(new TextDecoder(encoding).decode(Uint8Array.from({ length: 0x60 }, (_, i) => 0xa0 + i)));
}

describe('encodeAck', () => {
  const parsed = files(fixtures).flatMap((path) => {
    try {
      return [[path.slice(fixtures.length), parseMessage(new Uint8Array(readFileSync(path)))] as const];
    } catch {
      return [];
    }
  });

  it('gives buildAck’s bytes for every fixture that parses, for every code, with and without text', () => {
    expect(parsed.length).toBeGreaterThan(20);
    for (const [, message] of parsed)
      for (const code of ['AA', 'AE', 'AR', 'CA', 'CE', 'CR'] as const) {
        expectSameAck(message, code);
        expectSameAck(message, code, 'Duplicate: already received | see ~ & note');
      }
  });

  it('answers plain messages by the template, and leaves REF^I12 and error codes to buildAck', () => {
    const referrals = parsed.filter(([, m]) => m.messageType.startsWith('REF^I12'));
    const plain = parsed.filter(([, m]) => !m.messageType.startsWith('REF^I12') && !/[^\x20-\x7e]/.test(m.segment('MSH')!.toString()));
    expect(referrals.length).toBeGreaterThan(0);
    expect(plain.length).toBeGreaterThan(10);
    for (const [, m] of plain) expect(encodePositiveAck(m, { code: 'AA', controlId: 'X', timestamp: at })).toBeDefined();
    for (const [, m] of referrals) expect(encodePositiveAck(m, { code: 'AA', controlId: 'X', timestamp: at })).toBeUndefined();
    expect(encodePositiveAck(plain[0]![1], { code: 'AE', controlId: 'X', timestamp: at })).toBeUndefined();
  });

  it('keeps MSA-2 = MSH-10 as received and the received delimiters (a plain ORU)', () => {
    const message = parseMessage('MSH#*%!@#LAB#ACME#GP#SURG#20260101120000##ORU*R01*ORU_R01#CTRL!E!1#P#2.5.1\rPID#1\r');
    const ack = Buffer.from(encodeAck(message, { code: 'CA', controlId: 'A|1', timestamp: at })).toString('latin1');
    expect(ack.split('\r')[0]).toMatch(/^MSH#\*%!@#GP#SURG#LAB#ACME#\d{14}[+-]\d{4}##ACK\*R01\*ACK#A\|1#P#2\.5\.1$/);
    expect(ack.split('\r')[1]).toBe('MSA#CA#CTRL!E!1');
  });

  it('gives buildAck’s bytes for generated headers (delimiters, escapes, versions, charsets, non-ASCII)', () => {
    const printable = fc.constantFrom(...'|^~\\&#*%!@$+'.split(''));
    const delimiters = fc.uniqueArray(printable, { minLength: 5, maxLength: 5 });
    const leaf = fc.oneof(
      fc.stringMatching(/^[A-Z0-9 ._-]{0,12}$/),
      fc.constantFrom('', 'ORU', 'R01', 'ACK', 'REF', 'I12', 'Zoë', 'Ñandú', '日本', 'a\u001bb', 'x\u007fy'),
    );
    const field = fc.array(leaf, { minLength: 0, maxLength: 3 });
    fc.assert(
      fc.property(
        delimiters,
        fc.boolean(),
        fc.record({ m3: field, m4: field, m5: field, m6: field, m9: field, m10: leaf, m11: leaf }),
        fc.constantFrom('2.3', '2.5.1', '2.7', '2.8.2', 'x'),
        fc.constantFrom('', 'UNICODE UTF-8', '8859/1', 'ASCII', '8859/2', '8859/15', 'ISO IR87'),
        fc.constantFrom('AA', 'CA', 'AE', 'CR') as fc.Arbitrary<AckCode>,
        fc.option(fc.constantFrom('Duplicate: already received', 'a|b^c~d\\e&f', 'Zoë'), { nil: undefined }),
        fc.boolean(),
        (chars, truncation, f, version, charset, code, text, escapedTrigger) => {
          const [fs, cs, rs, es, ss] = chars as [string, string, string, string, string];
          const tr = truncation ? '$' : '';
          if (truncation && chars.includes('$')) return;
          const enc = (parts: string[]): string => parts.map((p) => p.split('').filter((c) => !chars.includes(c) && c !== tr).join('')).join(cs);
          // An escape sequence in MSH-9.2 and MSH-10: echoed as received (MSA-2), decoded and re-escaped (MSH-9).
          const m9 = escapedTrigger ? `ORU${cs}R${es}F${es}1` : enc(f.m9);
          const m10 = escapedTrigger ? `ID${es}S${es}9` : enc([f.m10]);
          const fields = ['MSH', `${cs}${rs}${es}${ss}${tr}`, enc(f.m3), enc(f.m4), enc(f.m5), enc(f.m6), '20260101', '', m9, m10, enc([f.m11]), version, '', '', '', '', '', charset];
          const source = `${fields.join(fs)}\rPID${fs}1\r`;
          let message: Hl7Message;
          try {
            message = parseMessage(source);
          } catch {
            return;
          }
          // A header field the charset cannot hold was never received as such: skip it.
          if (charset === 'ASCII' && /[^\x00-\x7f]/.test(source)) return;
          if (['8859/1', '8859/2', '8859/15'].includes(charset) && /[^\x00-\xff]/.test(source)) return;
          expectSameAck(message, code, text);
        },
      ),
      { numRuns: 400 },
    );
  });
});
