import { describe, expect, it } from 'vitest';
import { DEFAULT_DELIMITERS, escapeText, unescapeText } from '@sealpost/sdk/hl7v2';

const v27 = { ...DEFAULT_DELIMITERS, truncation: '#' };

describe('unescapeText (HL7 v2.5.1 §2.7)', () => {
  it.each([
    ['O\\F\\Brien', 'O|Brien'],
    ['a\\S\\b\\T\\c\\R\\d\\E\\e', 'a^b&c~d\\e'],
    ['line1\\.br\\line2', 'line1\nline2'],
    ['\\X0D0A\\', '\r\n'],
    ['caf\\XC3A9\\', 'café'],
    ['a\\.sp\\b', 'a\nb'],
    ['a\\.sp 2\\b', 'a\n\nb'],
    ['\\.ce\\Centred\\.fi\\\\.in+4\\x', 'Centredx'],
    ['plain text', 'plain text'],
    ['', ''],
  ])('%j → %j', (raw, text) => {
    expect(unescapeText(raw)).toBe(text);
  });

  it('drops highlighting by default and exposes it on request', () => {
    expect(unescapeText('\\H\\HIGH\\N\\ normal')).toBe('HIGH normal');
    expect(unescapeText('\\H\\HIGH\\N\\ normal', DEFAULT_DELIMITERS, { highlight: { start: '<b>', end: '</b>' } })).toBe('<b>HIGH</b> normal');
  });

  it('decodes \\P\\ as the v2.7 truncation character', () => {
    expect(unescapeText('a\\P\\b', v27)).toBe('a#b');
    expect(() => unescapeText('a\\P\\b')).toThrow(expect.objectContaining({ code: 'ERR_HL7_ESCAPE' }));
  });

  it('decodes hex as latin1 when asked', () => {
    expect(unescapeText('\\XE9\\', DEFAULT_DELIMITERS, { hexEncoding: 'latin1' })).toBe('é');
  });

  it.each(['C:\\temp', 'a\\Q\\b', '\\XZZ\\', '\\X123\\', '\\XFF\\'])('strict mode rejects %j with its offset', (raw) => {
    expect(() => unescapeText(raw)).toThrow(expect.objectContaining({ code: 'ERR_HL7_ESCAPE', byteOffset: raw.indexOf('\\') }));
  });

  it('lenient mode keeps unknown sequences as they stand', () => {
    expect(unescapeText('C:\\temp', DEFAULT_DELIMITERS, { escapes: 'lenient' })).toBe('C:\\temp');
    expect(unescapeText('a\\Q\\b\\F\\', DEFAULT_DELIMITERS, { escapes: 'lenient' })).toBe('a\\Q\\b|');
  });
});

describe('escapeText', () => {
  it('escapes every delimiter, line breaks and control characters', () => {
    expect(escapeText('O|Brien^x&y~z\\w')).toBe('O\\F\\Brien\\S\\x\\T\\y\\R\\z\\E\\w');
    expect(escapeText('a\r\nb\nc\rd')).toBe('a\\.br\\b\\.br\\c\\.br\\d');
    expect(escapeText('\x0b\x1c\x00')).toBe('\\X0B\\\\X1C\\\\X00\\');
    expect(escapeText('a#b', v27)).toBe('a\\P\\b');
    expect(escapeText('a#b')).toBe('a#b');
    expect(escapeText('nothing to do')).toBe('nothing to do');
  });

  it('round-trips with custom delimiters, including regex-special ones', () => {
    const d = { field: '*', component: ']', repetition: '-', escape: '^', subcomponent: '\\' };
    const text = 'a*b]c-d^e\\f|g~h&i';
    const escaped = escapeText(text, d);
    expect(escaped).not.toMatch(/[*\]\-\\]/);
    expect(unescapeText(escaped, d)).toBe(text);
  });

  it('writes line breaks as hex when "." is a delimiter, so \\.br\\ cannot be split (found by fuzzing)', () => {
    for (const d of [
      { field: '=', component: '@', repetition: '{', escape: ']', subcomponent: '.' },
      { field: '`', component: '%', repetition: '?', escape: '.', subcomponent: '^' },
    ]) {
      const escaped = escapeText('a\rb', d);
      expect(escaped).toBe(`a${d.escape}X0A${d.escape}b`);
      expect(unescapeText(escaped, d)).toBe('a\nb');
    }
  });
});

