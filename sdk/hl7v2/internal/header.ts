import type { Delimiters } from '../delimiters.js';
import type { Hl7Location } from '../errors.js';
import { Hl7ParseError } from '../errors.js';

function isAlnum(c: string): boolean {
  return /^[A-Za-z0-9]$/.test(c);
}

/**
 * Reads the delimiters declared by a header segment (MSH, FHS or BHS) starting at `start`:
 * field separator at +3, then 4 encoding characters (5 from v2.7: the truncation character),
 * up to the next field separator or the end of the segment (HL7 v2.5.1 §2.5.4, v2.7 §2.5.5.2).
 */
export function readDelimiters(text: string, start: number, end: number, locate: (offset: number) => Hl7Location): Delimiters {
  const name = text.slice(start, start + 3);
  const field = text[start + 3];
  if (field === undefined || start + 3 >= end) throw new Hl7ParseError('ERR_HL7_PARSE', `${name}-1: the field separator is missing`, { ...locate(start + 3), field: 1 });
  let encEnd = text.indexOf(field, start + 4);
  if (encEnd === -1 || encEnd > end) encEnd = end;
  const enc = text.slice(start + 4, encEnd);
  if (enc.length < 4 || enc.length > 5) {
    throw new Hl7ParseError('ERR_HL7_PARSE', `${name}-2: expected 4 or 5 encoding characters, found '${enc}'`, { ...locate(start + 4), field: 2 });
  }
  const chars = [field, ...enc];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\r' || c === '\n' || isAlnum(c) || c === ' ' || c.charCodeAt(0) < 0x20) {
      throw new Hl7ParseError('ERR_HL7_PARSE', `${name}-${i === 0 ? 1 : 2}: '${c === '\r' ? '\\r' : c === '\n' ? '\\n' : c}' cannot be a delimiter`, { ...locate(start + 3 + i), field: i === 0 ? 1 : 2 });
    }
    const first = chars.indexOf(c);
    if (first !== i) {
      throw new Hl7ParseError('ERR_HL7_PARSE', `${name}-2: delimiters must be distinct, found '${c}' twice in '${field}${enc}'`, { ...locate(start + 3 + i), field: 2 });
    }
  }
  const delimiters: { -readonly [K in keyof Delimiters]: Delimiters[K] } = {
    field,
    component: enc[0]!,
    repetition: enc[1]!,
    escape: enc[2]!,
    subcomponent: enc[3]!,
  };
  if (enc.length === 5) delimiters.truncation = enc[4]!;
  return Object.freeze(delimiters);
}

/** Header field `n` (≥ 3) as raw text and its offset, read without building a segment. */
export function headerField(text: string, start: number, end: number, field: string, n: number): { value: string; offset: number } {
  let pos = start + 4; // start of MSH-2
  for (let k = 2; k < n; k++) {
    const next = text.indexOf(field, pos);
    if (next === -1 || next >= end) return { value: '', offset: end };
    pos = next + 1;
  }
  let stop = text.indexOf(field, pos);
  if (stop === -1 || stop > end) stop = end;
  return { value: text.slice(pos, stop), offset: pos };
}
