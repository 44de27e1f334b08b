import fc from 'fast-check';
import { unescapeText } from '@sealpost/sdk/hl7v2';
import { describe, expect, it } from 'vitest';
import { escapeLeaf, unescapeLeaf } from '../../../bench/hl7/escape.js';

describe('bench escape helpers (what the peers get)', () => {
  it('decode the standard sequences', () => {
    expect(unescapeLeaf('a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\.br\\g')).toBe('a|b^c&d~e\\f\ng');
    expect(unescapeLeaf('\\H\\bold\\N\\ \\X4F4B\\')).toBe('bold OK');
    expect(unescapeLeaf('no escapes')).toBe('no escapes');
    expect(unescapeLeaf('unterminated \\F')).toBe('unterminated \\F');
  });

  it('round-trip any text, and agree with Sealpost unescapeText on what escapeLeaf writes', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'Z', ' ', '|', '^', '&', '~', '\\', '\n', 'é') }), (text) => {
        const raw = escapeLeaf(text);
        expect(raw).not.toMatch(/[|^&~\n]/);
        expect(unescapeLeaf(raw)).toBe(text);
        expect(unescapeText(raw)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });
});
