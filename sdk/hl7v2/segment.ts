import type { Delimiters } from './delimiters.js';
import type { Hl7Location } from './errors.js';
import { Hl7ParseError } from './errors.js';
import type { UnescapeOptions } from './escape.js';
import { escapeText, unescapeText } from './escape.js';
import type { CharIndex } from './internal/char-index.js';
import { SLOT_COMPONENT, SLOT_ESCAPE, SLOT_FIELD, SLOT_REPETITION, SLOT_SUBCOMPONENT } from './internal/char-index.js';
import { splitField, splitOn } from './internal/split.js';
import { parseFieldPath } from './path.js';

/** A component given as plain text, or as its subcomponents. Plain text is escaped on write. */
export type ComponentInput = string | readonly string[];
/** One repetition of a field: plain text, or its components. */
export type RepetitionInput = string | readonly ComponentInput[];
/** A whole field: one repetition, or several as `{ repeat: [...] }`. */
export type FieldInput = RepetitionInput | { readonly repeat: readonly RepetitionInput[] };

/**
 * What a segment needs from the message that holds it: delimiters, decode options, and a way to
 * turn a character offset inside the segment into an error location. Not part of the public API.
 */
export interface SegmentHost {
  readonly delimiters: Delimiters;
  readonly decodeOptions: UnescapeOptions;
  locate(segment: Hl7Segment, charOffset: number): Hl7Location;
}

/**
 * Component `wantC` (0: the whole repetition) and subcomponent `wantS` (0: the whole component) of
 * the first repetition of a field, found in one pass over char codes; `''` when absent.
 */
function firstRepetitionElement(text: string, d: Delimiters, wantC: number, wantS: number): string {
  const rc = d.repetition.charCodeAt(0);
  const cc = d.component.charCodeAt(0);
  const sc = d.subcomponent.charCodeAt(0);
  let c = 1;
  let sub = 1;
  let start = 0;
  let i = 0;
  for (; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === rc) break;
    if (ch === cc && wantC !== 0) {
      if (c === wantC) break;
      c++;
      sub = 1;
      if (c === wantC) start = i + 1;
    } else if (ch === sc && wantS !== 0 && c === wantC) {
      if (sub === wantS) break;
      sub++;
      if (sub === wantS) start = i + 1;
    }
  }
  if (wantC !== 0 && c !== wantC) return '';
  if (wantS !== 0 && sub !== wantS) return '';
  if (wantC === 0 && i === text.length) return text;
  return text.slice(wantC === 0 ? 0 : start, i);
}

/**
 * Where a long segment sits in its message's text, and that text's character index: searches of
 * the segment then skip the chunks of an embedded document that hold no delimiter. @internal
 */
export interface IndexedText {
  readonly index: CharIndex;
  /** Offset of the segment's first character in `index.text`. */
  readonly offset: number;
}

/** Fields longer than this are split through the index; shorter ones by a char loop. */
const FIELD_INDEX_MIN = 512;
/** Leaves longer than this are checked for escapes through the index. */
const LEAF_INDEX_MIN = 4096;

/** Splits `[from, to)` of an indexed text into repetitions → components → subcomponents, like {@link splitField}. */
function splitIndexed(index: CharIndex, from: number, to: number): string[][][] {
  const text = index.text;
  const parts = (slot: number, a: number, b: number, each: (start: number, end: number) => void) => {
    const starts = index.splitStarts(slot, a, b);
    for (let i = 0; i < starts.length; i++) each(starts[i]!, i + 1 < starts.length ? starts[i + 1]! - 1 : b);
  };
  const out: string[][][] = [];
  parts(SLOT_REPETITION, from, to, (rs, re) => {
    const rep: string[][] = [];
    parts(SLOT_COMPONENT, rs, re, (cs, ce) => {
      const comp: string[] = [];
      parts(SLOT_SUBCOMPONENT, cs, ce, (ss, se) => comp.push(text.slice(ss, se)));
      rep.push(comp);
    });
    out.push(rep);
  });
  return out;
}

/** Segments whose field 1 is the field separator and field 2 the encoding characters. */
const HEADER_SEGMENTS = new Set(['MSH', 'FHS', 'BHS']);

/** Encodes a {@link FieldInput} with escapes, for the given delimiters. */
export function encodeField(value: FieldInput, d: Delimiters): string {
  if (typeof value === 'string') return escapeText(value, d);
  if (isRepeated(value)) return value.repeat.map((rep) => encodeField(rep, d)).join(d.repetition);
  return (value as readonly ComponentInput[])
    .map((component) => (typeof component === 'string' ? escapeText(component, d) : component.map((sub) => escapeText(sub, d)).join(d.subcomponent)))
    .join(d.component);
}

function isRepeated(value: FieldInput): value is { readonly repeat: readonly RepetitionInput[] } {
  return typeof value === 'object' && !Array.isArray(value) && 'repeat' in value;
}

/**
 * One segment of a message. Fields are split from the original text only when first read, and a
 * field's repetitions and components only when that field is read, so reading MSH-10 of a message
 * with a 10 MB OBX never touches the OBX. An unmodified segment serialises to its original text.
 *
 * Every index is 1-based as in HL7: `value(5, 1, 2)` is PID-5[1].2. For MSH, FHS and BHS, field 1
 * is the field separator and field 2 the encoding characters, as the standard counts them.
 */
export class Hl7Segment {
  /** Segment name, e.g. `PID`. */
  readonly name: string;
  #text: string;
  #host: SegmentHost;
  #header: boolean;
  #fields: string[] | undefined;
  #parsed: (string[][][] | undefined)[] | undefined;
  #modified = false;
  #textStale = false;
  /** Set while the segment is the unmodified text at `offset` of an indexed message. */
  #at: IndexedText | undefined;
  /** With `#at`: offset in the indexed text of each entry of `#fields`. */
  #fieldStarts: number[] | undefined;

  /** @internal Segments are created by parsing or by {@link Hl7Message.addSegment}. */
  constructor(text: string, host: SegmentHost, at?: IndexedText) {
    this.#text = text;
    this.#at = at;
    this.#host = host;
    this.name = text.slice(0, 3);
    this.#header = HEADER_SEGMENTS.has(this.name);
  }

  /** True once a value of this segment has been set; the message then re-serialises it. */
  get modified(): boolean {
    return this.#modified;
  }

  #split(): string[] {
    let fields = this.#fields;
    if (fields === undefined) {
      const at = this.#at;
      if (at !== undefined) {
        const end = at.offset + this.#text.length;
        const starts = at.index.splitStarts(SLOT_FIELD, at.offset, end);
        fields = starts.map((start, i) => at.index.text.slice(start, i + 1 < starts.length ? starts[i + 1]! - 1 : end));
        if (this.#header) starts.splice(1, 0, at.offset + 3);
        this.#fieldStarts = starts;
      } else {
        fields = splitOn(this.#text, this.#host.delimiters.field);
      }
      if (this.#header) fields.splice(1, 0, this.#host.delimiters.field);
      this.#fields = fields;
    }
    return fields;
  }

  /** Highest field number present (for MSH this counts MSH-1). */
  get fieldCount(): number {
    return this.#split().length - 1;
  }

  /** Encoded text of a field, `''` when absent. */
  #fieldText(field: number): string {
    if (!Number.isInteger(field) || field < 1) throw new RangeError(`field number must be 1 or more, got ${field}`);
    return this.#split()[field] ?? '';
  }

  #structure(field: number): string[][][] {
    let parsed = this.#parsed?.[field];
    if (parsed !== undefined) return parsed;
    const text = this.#fieldText(field);
    const d = this.#host.delimiters;
    const start = this.#fieldStarts?.[field];
    if (this.#header && field <= 2) parsed = [[[text]]];
    else if (this.#at !== undefined && start !== undefined && text.length > FIELD_INDEX_MIN) parsed = splitIndexed(this.#at.index, start, start + text.length);
    else parsed = splitField(text, d.repetition, d.component, d.subcomponent);
    // Sized to the field count up front: assigning far past the end of an empty array would
    // switch V8 to slow dictionary elements.
    (this.#parsed ??= new Array<string[][][] | undefined>(this.#split().length + 1).fill(undefined))[field] = parsed;
    return parsed;
  }

  /**
   * Encoded (still escaped) text of a field, repetition, component or subcomponent: give as many
   * indexes as the level you want. `''` when absent.
   */
  raw(field: number, repetition?: number, component?: number, subcomponent?: number): string {
    const text = this.#fieldText(field);
    if (repetition === undefined || text === '') return text;
    if (this.#header && field <= 2) return repetition === 1 && (component ?? 1) === 1 && (subcomponent ?? 1) === 1 ? text : '';
    const d = this.#host.delimiters;
    if (repetition === 1 && this.#parsed?.[field] === undefined && (text.length <= 512 || this.#at === undefined)) {
      // Reads of the first repetition avoid building the field's structure: short fields are
      // walked once by char code to the wanted component/subcomponent (suggested and checked
      // against the structured path on 20,000 random fields by the bench work); long ones (an
      // embedded document) use native indexOf for the first component.
      if (text.length <= 512) return firstRepetitionElement(text, d, component ?? 0, subcomponent ?? 0);
      if ((component ?? 1) === 1 && (subcomponent ?? 1) === 1) {
        let end = text.indexOf(d.repetition);
        if (end === -1) end = text.length;
        if (component !== undefined) {
          const c = text.indexOf(d.component);
          if (c !== -1 && c < end) end = c;
          if (subcomponent !== undefined) {
            const s = text.indexOf(d.subcomponent);
            if (s !== -1 && s < end) end = s;
          }
        }
        return end === text.length ? text : text.slice(0, end);
      }
    }
    const rep = this.#structure(field)[repetition - 1];
    if (rep === undefined) return '';
    if (component === undefined) return rep.map((c) => c.join(d.subcomponent)).join(d.component);
    const comp = rep[component - 1];
    if (comp === undefined) return '';
    if (subcomponent === undefined) return comp.join(d.subcomponent);
    return comp[subcomponent - 1] ?? '';
  }

  /**
   * Decoded text of one leaf: `value(5)` is PID-5[1].1.1, `value(3, 2, 1)` is PID-3[2].1.
   * Omitted indexes default to 1. `''` when absent.
   *
   * @throws {Hl7ParseError} ERR_HL7_ESCAPE when the leaf holds a malformed escape sequence.
   */
  value(field: number, repetition = 1, component = 1, subcomponent = 1): string {
    const raw = this.raw(field, repetition, component, subcomponent);
    if (this.#header && field <= 2) return raw;
    if (this.#at !== undefined && raw.length > LEAF_INDEX_MIN) {
      const start = this.#at.offset + this.#leafOffset(field, repetition, component, subcomponent);
      if (this.#at.index.indexOf(SLOT_ESCAPE, start, start + raw.length) === -1) return raw;
    } else if (raw.indexOf(this.#host.delimiters.escape) === -1) return raw;
    try {
      return unescapeText(raw, this.#host.delimiters, this.#host.decodeOptions);
    } catch (error) {
      if (!(error instanceof Hl7ParseError)) throw error;
      const offset = this.#leafOffset(field, repetition, component, subcomponent) + (error.byteOffset ?? 0);
      throw new Hl7ParseError(error.code, error.reason, { ...this.#host.locate(this, offset), field }, { cause: error });
    }
  }

  /** Number of repetitions of a field; 0 when the field is empty or absent. */
  repetitionCount(field: number): number {
    return this.#fieldText(field) === '' ? 0 : this.#structure(field).length;
  }

  /** Number of components of one repetition; 0 when absent. */
  componentCount(field: number, repetition = 1): number {
    if (this.#fieldText(field) === '') return 0;
    return this.#structure(field)[repetition - 1]?.length ?? 0;
  }

  /** Number of subcomponents of one component; 0 when absent. */
  subcomponentCount(field: number, repetition = 1, component = 1): number {
    if (this.#fieldText(field) === '') return 0;
    return this.#structure(field)[repetition - 1]?.[component - 1]?.length ?? 0;
  }

  /** Decoded leaf at a path relative to this segment (`5.1`, `3[2].1`); `undefined` when the field is absent. */
  get(path: string): string | undefined {
    const p = parseFieldPath(path);
    if (p.field > this.fieldCount) return undefined;
    return this.value(p.field, p.repetition, p.component, p.subcomponent);
  }

  /**
   * Sets the element at a relative path to plain text, escaped as needed: `set('5', 'X')` replaces
   * the whole field, `set('5.2', 'X')` one component, `set('3[2].1', 'X')` one component of the
   * second repetition. Missing fields, repetitions and components are created empty.
   */
  set(path: string, value: string): void {
    const p = parseFieldPath(path);
    this.#setElement(p.field, p.repetition, p.component, p.subcomponent, escapeText(value, this.#host.delimiters));
  }

  /** Replaces a whole field with structured input (repetitions, components, subcomponents). */
  setField(field: number, value: FieldInput): void {
    this.#assertWritable(field);
    this.#setFieldText(field, encodeField(value, this.#host.delimiters));
  }

  #assertWritable(field: number): void {
    if (!Number.isInteger(field) || field < 1) throw new RangeError(`field number must be 1 or more, got ${field}`);
    if (this.#header && field <= 2) throw new RangeError(`${this.name}-${field} holds the delimiters and cannot be set`);
  }

  #setFieldText(field: number, text: string): void {
    const fields = this.#split();
    while (fields.length <= field) fields.push('');
    fields[field] = text;
    if (this.#parsed) this.#parsed[field] = undefined;
    // Offsets into the original text no longer describe this segment.
    this.#at = undefined;
    this.#fieldStarts = undefined;
    this.#modified = true;
    this.#textStale = true;
  }

  #setElement(field: number, repetition: number | undefined, component: number | undefined, subcomponent: number | undefined, encoded: string): void {
    this.#assertWritable(field);
    if (repetition === undefined && component === undefined && subcomponent === undefined) {
      this.#setFieldText(field, encoded);
      return;
    }
    const d = this.#host.delimiters;
    const structure = this.#structure(field).map((rep) => rep.map((comp) => comp.slice()));
    const r = (repetition ?? 1) - 1;
    while (structure.length <= r) structure.push([['']]);
    const rep = structure[r]!;
    if (component === undefined) {
      structure[r] = [[encoded]];
    } else {
      while (rep.length < component) rep.push(['']);
      if (subcomponent === undefined) rep[component - 1] = [encoded];
      else {
        const comp = rep[component - 1]!;
        while (comp.length < subcomponent) comp.push('');
        comp[subcomponent - 1] = encoded;
      }
    }
    this.#setFieldText(field, structure.map((x) => x.map((c) => c.join(d.subcomponent)).join(d.component)).join(d.repetition));
  }

  /**
   * Where an element of this segment sits in the input: message and segment index, segment name,
   * field and byte offset. For callers that validate values and report problems the way the
   * parser does (`PID-7: invalid date at byte 212`). The byte offset is absent once the segment
   * has been edited or was added.
   */
  locate(field: number, repetition = 1, component = 1, subcomponent = 1): Hl7Location {
    return { ...this.#host.locate(this, this.#leafOffset(field, repetition, component, subcomponent)), field };
  }

  /** Character offset of a leaf within the segment text, for error locations. */
  #leafOffset(field: number, repetition: number, component: number, subcomponent: number): number {
    const fields = this.#split();
    const d = this.#host.delimiters;
    let offset = this.name.length;
    if (this.#header) {
      if (field === 1) return offset;
      offset += 1;
      for (let k = 2; k < field; k++) offset += (fields[k]?.length ?? 0) + 1;
    } else {
      offset += 1;
      for (let k = 1; k < field; k++) offset += (fields[k]?.length ?? 0) + 1;
    }
    const structure = this.#structure(field);
    for (let r = 0; r < repetition - 1; r++) offset += (structure[r]?.map((c) => c.join(d.subcomponent)).join(d.component).length ?? 0) + 1;
    const rep = structure[repetition - 1] ?? [];
    for (let c = 0; c < component - 1; c++) offset += (rep[c]?.join(d.subcomponent).length ?? 0) + 1;
    const comp = rep[component - 1] ?? [];
    for (let s = 0; s < subcomponent - 1; s++) offset += (comp[s]?.length ?? 0) + 1;
    return offset;
  }

  /**
   * Decodes every leaf and returns the problems found (malformed escapes), each with its location.
   * Parsing is lazy, so this is how a whole message is checked.
   */
  check(): Hl7ParseError[] {
    const problems: Hl7ParseError[] = [];
    const count = this.fieldCount;
    for (let f = this.#header ? 3 : 1; f <= count; f++) {
      const text = this.#fieldText(f);
      // VT and FS would break MLLP framing downstream; parse only looks for them at segment
      // boundaries, so a full check looks inside values too.
      const vt = text.indexOf('\x0b');
      const fs = text.indexOf('\x1c');
      if (vt !== -1 || fs !== -1) {
        const at = vt === -1 ? fs : fs === -1 ? vt : Math.min(vt, fs);
        const reason = `MLLP framing character 0x${text.charCodeAt(at).toString(16)} inside ${this.name}-${f}`;
        problems.push(new Hl7ParseError('ERR_HL7_PARSE', reason, { ...this.#host.locate(this, this.#leafOffset(f, 1, 1, 1) + at), field: f }));
      }
      if (text.indexOf(this.#host.delimiters.escape) === -1) continue;
      const structure = this.#structure(f);
      for (let r = 0; r < structure.length; r++) {
        const rep = structure[r]!;
        for (let c = 0; c < rep.length; c++) {
          const comp = rep[c]!;
          for (let s = 0; s < comp.length; s++) {
            try {
              this.value(f, r + 1, c + 1, s + 1);
            } catch (error) {
              if (error instanceof Hl7ParseError) problems.push(error);
              else throw error;
            }
          }
        }
      }
    }
    return problems;
  }

  /** The segment's text without its terminator: the original text when unmodified. */
  toString(): string {
    if (this.#textStale) {
      const fields = this.#split();
      this.#text = this.#header ? [fields[0], ...fields.slice(2)].join(this.#host.delimiters.field) : fields.join(this.#host.delimiters.field);
      this.#textStale = false;
    }
    return this.#text;
  }
}
