import type { Delimiters } from './delimiters.js';
import type { Hl7Location } from './errors.js';
import type { CharIndex } from './internal/char-index.js';
import { Hl7ParseError } from './errors.js';
import type { UnescapeOptions } from './escape.js';
import { encodedLength, encodeText } from './internal/text-codec.js';
import { parsePath } from './path.js';
import type { FieldInput, SegmentHost } from './segment.js';
import { encodeField, Hl7Segment } from './segment.js';

/** Where a message came from, for byte-exact output and error locations. @internal */
export interface MessageSource {
  /** The message's own bytes when it was parsed from bytes (without BOM or MLLP framing). */
  readonly bytes?: Uint8Array;
  /** Bytes before the message text in the input (BOM, MLLP start block, blank lines). */
  readonly prefixBytes: number;
  /** Byte offset of the input inside a larger file (set by batch parsing). */
  readonly baseOffset: number;
  /** 1-based index of the message in its file. */
  readonly messageIndex: number;
}

const SEGMENT_NAME = /^[A-Z][A-Z0-9]{2}$/;

/** Segments at least this long (in an indexed message) use the character index. */
const SEGMENT_INDEX_MIN = 16 * 1024;

/**
 * A parsed HL7 v2 message. It keeps the original text and splits segments, fields and components
 * only when they are read; an unmodified message serialises back byte for byte (same segment
 * terminators), and an edited one re-serialises only the segments that changed.
 *
 * Create one with {@link parseMessage}, {@link parseBatch} or {@link createMessage}.
 *
 * @example
 * const msg = parseMessage(bytes);
 * msg.get('PID-5.1');          // 'CITIZEN' (decoded)
 * msg.getAll('OBX-5');         // every OBX-5, first component of each repetition
 * msg.set('PID-5.1', "O'Brien|Smith"); // escaped as needed
 */
export class Hl7Message {
  /** Delimiters declared in MSH-1 and MSH-2. */
  readonly delimiters: Delimiters;
  /** Encoding the message was decoded with (`utf-8`, `latin1`, `iso-8859-15`, …). */
  readonly charset: string;
  #text: string;
  #starts: number[];
  #ends: number[];
  #cache: (Hl7Segment | undefined)[];
  #structural = false;
  #terminator: string;
  #source: MessageSource;
  #host: SegmentHost;
  #index: CharIndex | undefined;

  /** @internal Use {@link parseMessage} or {@link createMessage}. */
  constructor(
    text: string,
    init: { delimiters: Delimiters; charset: string; starts: number[]; ends: number[]; source: MessageSource; decodeOptions: UnescapeOptions; terminator?: string; index?: CharIndex },
  ) {
    this.#text = text;
    this.#index = init.index;
    this.delimiters = init.delimiters;
    this.charset = init.charset;
    this.#starts = init.starts;
    this.#ends = init.ends;
    this.#cache = new Array<Hl7Segment | undefined>(init.starts.length);
    this.#source = init.source;
    this.#terminator = init.terminator ?? firstTerminator(text, init.ends) ?? '\r';
    this.#host = {
      delimiters: init.delimiters,
      decodeOptions: { ...init.decodeOptions, hexEncoding: init.decodeOptions.hexEncoding ?? init.charset },
      locate: (segment, charOffset) => this.#locate(segment, charOffset),
    };
  }

  /** Number of segments. */
  get segmentCount(): number {
    return this.#starts.length;
  }

  /** The segment at a 0-based position. */
  segmentAt(index: number): Hl7Segment {
    let segment = this.#cache[index];
    if (segment === undefined) {
      const start = this.#starts[index];
      if (start === undefined) throw new RangeError(`segment index ${index} is out of range (0..${this.#starts.length - 1})`);
      const end = this.#ends[index]!;
      // Only long segments search through the message's character index; short ones split faster on their own.
      const indexed = this.#index !== undefined && end - start >= SEGMENT_INDEX_MIN ? { index: this.#index, offset: start } : undefined;
      segment = new Hl7Segment(this.#text.slice(start, end), this.#host, indexed);
      this.#cache[index] = segment;
    }
    return segment;
  }

  #nameIs(index: number, name: string): boolean {
    const start = this.#starts[index]!;
    if (start < 0) return this.#cache[index]!.name === name;
    if (!this.#text.startsWith(name, start)) return false;
    const after = start + name.length;
    return after === this.#ends[index] || this.#text[after] === this.delimiters.field;
  }

  /** Name of the segment at a 0-based position, without materialising it. */
  segmentName(index: number): string {
    const start = this.#starts[index];
    if (start === undefined) throw new RangeError(`segment index ${index} is out of range`);
    return start < 0 ? this.#cache[index]!.name : this.#text.slice(start, start + 3);
  }

  /** All segments, or all segments with that name, in message order. */
  segments(name?: string): Hl7Segment[] {
    const out: Hl7Segment[] = [];
    for (let i = 0; i < this.#starts.length; i++) if (name === undefined || this.#nameIs(i, name)) out.push(this.segmentAt(i));
    return out;
  }

  /** The `occurrence`-th (1-based, default 1) segment with that name, or undefined. */
  segment(name: string, occurrence = 1): Hl7Segment | undefined {
    let seen = 0;
    for (let i = 0; i < this.#starts.length; i++) {
      if (this.#nameIs(i, name) && ++seen === occurrence) return this.segmentAt(i);
    }
    return undefined;
  }

  /**
   * Decoded text of the leaf at a path; omitted indexes mean the first, so `PID-5` is
   * `PID-5[1].1.1`. `undefined` when the segment or field is absent, `''` when it is empty.
   *
   * @throws {Hl7ParseError} ERR_HL7_ESCAPE when the value holds a malformed escape sequence.
   * @throws {TypeError} for a malformed path.
   */
  get(path: string): string | undefined {
    const p = parsePath(path);
    const segment = this.segment(p.segment, p.occurrence ?? 1);
    if (segment === undefined || p.field > segment.fieldCount) return undefined;
    return segment.value(p.field, p.repetition ?? 1, p.component ?? 1, p.subcomponent ?? 1);
  }

  /**
   * Every decoded value at a path: across all occurrences of the segment unless the path names one
   * (`OBX[2]-5`), and across all repetitions of the field unless it names one (`PID-3[2]`).
   */
  getAll(path: string): string[] {
    const p = parsePath(path);
    const segments = p.occurrence === undefined ? this.segments(p.segment) : [this.segment(p.segment, p.occurrence)].filter((s) => s !== undefined);
    const out: string[] = [];
    for (const segment of segments) {
      if (p.field > segment.fieldCount) continue;
      if (p.repetition !== undefined) {
        out.push(segment.value(p.field, p.repetition, p.component ?? 1, p.subcomponent ?? 1));
        continue;
      }
      const count = segment.repetitionCount(p.field);
      for (let r = 1; r <= count; r++) out.push(segment.value(p.field, r, p.component ?? 1, p.subcomponent ?? 1));
    }
    return out;
  }

  /** Encoded (escaped) text of the element at a path: a whole field, repetition, component or subcomponent. */
  getRaw(path: string): string | undefined {
    const p = parsePath(path);
    const segment = this.segment(p.segment, p.occurrence ?? 1);
    if (segment === undefined || p.field > segment.fieldCount) return undefined;
    return segment.raw(p.field, p.repetition ?? (p.component !== undefined ? 1 : undefined), p.component, p.subcomponent);
  }

  #requireSegment(name: string, occurrence: number): Hl7Segment {
    const segment = this.segment(name, occurrence);
    if (segment === undefined) throw new RangeError(`the message has no ${name}${occurrence > 1 ? `[${occurrence}]` : ''} segment`);
    return segment;
  }

  /**
   * Sets the element at a path to plain text, escaping delimiters so the message cannot be
   * corrupted. `set('PID-5', x)` replaces the field, `set('PID-5.1', x)` one component. Missing
   * fields and components are created; a missing segment is a RangeError (use {@link addSegment}).
   */
  set(path: string, value: string): void {
    const p = parsePath(path);
    let relative = String(p.field);
    if (p.repetition !== undefined) relative += `[${p.repetition}]`;
    if (p.component !== undefined) relative += `.${p.component}`;
    if (p.subcomponent !== undefined) relative += `${p.component === undefined ? '.1' : ''}.${p.subcomponent}`;
    this.#requireSegment(p.segment, p.occurrence ?? 1).set(relative, value);
  }

  /** Replaces a whole field (`PID-5`, `OBX[2]-5`) with structured input. */
  setField(path: string, value: FieldInput): void {
    const p = parsePath(path);
    if (p.repetition !== undefined || p.component !== undefined) throw new TypeError(`setField takes a field path such as PID-5, got '${path}'`);
    this.#requireSegment(p.segment, p.occurrence ?? 1).setField(p.field, value);
  }

  /**
   * Appends a segment (or inserts it before the 0-based position `options.at`). `fields[0]` is
   * field 1. Values are plain text and escaped. MSH, FHS and BHS cannot be added.
   */
  addSegment(name: string, fields: readonly FieldInput[] = [], options: { at?: number } = {}): Hl7Segment {
    if (!SEGMENT_NAME.test(name)) throw new TypeError(`invalid segment name '${name}': three characters, A-Z then A-Z or 0-9`);
    if (name === 'MSH' || name === 'FHS' || name === 'BHS') throw new RangeError(`${name} cannot be added to a message`);
    let text = name;
    for (const field of fields) text += this.delimiters.field + encodeField(field, this.delimiters);
    const segment = new Hl7Segment(text, this.#host);
    const at = options.at ?? this.#starts.length;
    if (!Number.isInteger(at) || at < 1 || at > this.#starts.length) throw new RangeError(`segment position ${at} is out of range (1..${this.#starts.length})`);
    this.#starts.splice(at, 0, -1);
    this.#ends.splice(at, 0, -1);
    this.#cache.splice(at, 0, segment);
    this.#structural = true;
    return segment;
  }

  /** Removes a segment of this message. MSH cannot be removed. */
  removeSegment(segment: Hl7Segment): void {
    const index = this.#cache.indexOf(segment);
    if (index < 0) throw new RangeError('the segment does not belong to this message');
    if (index === 0) throw new RangeError('MSH cannot be removed');
    this.#starts.splice(index, 1);
    this.#ends.splice(index, 1);
    this.#cache.splice(index, 1);
    this.#structural = true;
  }

  /** MSH-9 as sent (encoded), e.g. `ORU^R01^ORU_R01`. */
  get messageType(): string {
    return this.segmentAt(0).raw(9);
  }

  /** MSH-10, the message control id. */
  get controlId(): string {
    return this.segmentAt(0).value(10);
  }

  /** MSH-12.1, the version id (e.g. `2.5.1`). */
  get version(): string {
    return this.segmentAt(0).value(12);
  }

  /** True when any segment was added, removed or edited since parsing. */
  get modified(): boolean {
    if (this.#structural) return true;
    for (const segment of this.#cache) if (segment?.modified) return true;
    return false;
  }

  /**
   * Decodes every value and returns every problem found, each with its location: malformed escape
   * sequences, and a missing MSH-9, MSH-10 or MSH-12. Parsing is lazy, so call this to check a
   * message completely (the CLI's `hl7 inspect` does).
   */
  check(): Hl7ParseError[] {
    const problems: Hl7ParseError[] = [];
    const msh = this.segmentAt(0);
    for (const [field, what] of [[9, 'message type'], [10, 'message control id'], [12, 'version id']] as const) {
      if (msh.raw(field) === '') {
        problems.push(new Hl7ParseError('ERR_HL7_MISSING_FIELD', `MSH-${field} (${what}) is required`, msh.locate(field)));
      }
    }
    for (let i = 0; i < this.#starts.length; i++) problems.push(...this.segmentAt(i).check());
    return problems;
  }

  /** The message text: the original text, byte for byte, when unmodified. */
  toString(): string {
    if (!this.modified) return this.#text;
    const parts: string[] = [];
    const last = this.#starts.length - 1;
    for (let i = 0; i <= last; i++) {
      const start = this.#starts[i]!;
      const cached = this.#cache[i];
      parts.push(cached && (cached.modified || start < 0) ? cached.toString() : this.#text.slice(start, this.#ends[i]));
      let terminator = start < 0 ? this.#terminator : this.#text.slice(this.#ends[i], this.#nextOriginalStart(i));
      if (terminator === '' && i < last) terminator = this.#terminator;
      parts.push(terminator);
    }
    return parts.join('');
  }

  /** Where the terminator after original segment `i` ends: the next original segment, or the end. */
  #nextOriginalStart(i: number): number {
    const end = this.#ends[i]!;
    let j = end;
    while (j < this.#text.length && (this.#text[j] === '\r' || this.#text[j] === '\n')) j++;
    return j;
  }

  /**
   * The message as bytes in its charset: the original bytes when the message was parsed from bytes
   * and is unmodified. Only UTF-8, ISO-8859-1 and ASCII can be re-encoded after an edit.
   */
  toBytes(): Uint8Array {
    if (!this.modified && this.#source.bytes) return this.#source.bytes.slice();
    return encodeText(this.toString(), this.charset);
  }

  #locate(segment: Hl7Segment, charOffset: number): Hl7Location {
    const index = this.#cache.indexOf(segment);
    const location: Hl7Location = { messageIndex: this.#source.messageIndex, segmentIndex: index + 1, segmentName: segment.name };
    const start = this.#starts[index];
    if (start !== undefined && start >= 0 && !segment.modified) {
      const bytes = encodedLength(this.#text, 0, start + charOffset, this.charset);
      if (bytes !== undefined) location.byteOffset = this.#source.baseOffset + this.#source.prefixBytes + bytes;
    }
    return location;
  }
}

function firstTerminator(text: string, ends: number[]): string | undefined {
  const end = ends[0];
  if (end === undefined || end >= text.length) return undefined;
  return text.startsWith('\r\n', end) ? '\r\n' : text[end];
}
