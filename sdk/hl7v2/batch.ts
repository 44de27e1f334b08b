import { DEFAULT_DELIMITERS } from './delimiters.js';
import type { Delimiters } from './delimiters.js';
import { Hl7ParseError } from './errors.js';
import { readDelimiters } from './internal/header.js';
import { decodeBytes, utf8Length } from './internal/text-codec.js';
import type { Hl7Message } from './message.js';
import type { ParseOptions } from './parse.js';
import { DEFAULT_MAX_BYTES, parseMessage } from './parse.js';
import { Hl7Segment } from './segment.js';

/** A batch or file envelope segment (FHS, BHS, BTS, FTS) and where it stands in the input. */
export interface BatchEnvelopeSegment {
  readonly segment: Hl7Segment;
  /** Offset in the input's own units: bytes for a Uint8Array, UTF-16 code units for a string. */
  readonly offset: number;
  /** Byte offset in the input (UTF-8 length of what precedes it, for a string). */
  readonly byteOffset: number;
}

/** One message found in a file, not yet parsed. */
export interface BatchMessageEntry {
  /** 1-based position of the message in the file. */
  readonly index: number;
  readonly offset: number;
  readonly byteOffset: number;
  /** The message's own input: a view of the bytes, or a slice of the string. */
  readonly data: string | Uint8Array;
  /** Parses this message; errors carry its index and byte offsets within the whole file. */
  parse(options?: Omit<ParseOptions, 'messageIndex' | 'baseOffset'>): Hl7Message;
}

/** Result of {@link splitBatch}. */
export interface Hl7BatchSplit {
  /** FHS/BHS/BTS/FTS segments in file order. */
  readonly envelope: BatchEnvelopeSegment[];
  readonly messages: BatchMessageEntry[];
  /** Content that belongs to no message (segments before the first MSH), each with its location. */
  readonly problems: Hl7ParseError[];
}

/** A message of a parsed batch, with its position in the file. */
export interface Hl7BatchMessage {
  readonly index: number;
  readonly offset: number;
  readonly byteOffset: number;
  readonly message: Hl7Message;
}

/** Result of {@link parseBatch}: envelope segments and parsed messages, iterable over the messages. */
export interface Hl7Batch extends Iterable<Hl7BatchMessage> {
  readonly envelope: BatchEnvelopeSegment[];
  readonly messages: Hl7BatchMessage[];
}

const CR = 0x0d;
const LF = 0x0a;
const VT = 0x0b;
const FS = 0x1c;
const SEPARATORS = [CR, LF, VT, FS] as const;
const ENVELOPE = new Set(['FHS', 'BHS', 'BTS', 'FTS']);

interface Source {
  readonly length: number;
  code(i: number): number;
  find(code: number, from: number): number;
  text(start: number, end: number): string;
  data(start: number, end: number): string | Uint8Array;
  byteOffset(i: number): number;
}

function sourceOf(input: string | Uint8Array): Source {
  if (typeof input === 'string') {
    let lastChar = 0;
    let lastByte = 0;
    return {
      length: input.length,
      code: (i) => input.charCodeAt(i),
      find: (code, from) => input.indexOf(String.fromCharCode(code), from),
      text: (start, end) => input.slice(start, end),
      data: (start, end) => input.slice(start, end),
      // Offsets are asked for in increasing order, so counting UTF-8 bytes stays linear overall.
      byteOffset: (i) => {
        if (i < lastChar) return utf8Length(input, 0, i);
        lastByte += utf8Length(input, lastChar, i);
        lastChar = i;
        return lastByte;
      },
    };
  }
  if (!(input instanceof Uint8Array)) throw new TypeError('splitBatch expects a string or a Uint8Array');
  return {
    length: input.length,
    code: (i) => input[i]!,
    find: (code, from) => input.indexOf(code, from),
    text: (start, end) => {
      try {
        return decodeBytes(input, start, end, 'utf-8');
      } catch {
        return decodeBytes(input, start, end, 'latin1');
      }
    },
    data: (start, end) => input.subarray(start, end),
    byteOffset: (i) => i,
  };
}

/**
 * Finds the messages in a file without parsing them: batch files (FHS/BHS … BTS/FTS), files of
 * several messages back to back, and MLLP-framed streams. Each message keeps its own delimiters
 * and character set. Never throws for what it finds between messages; such content is reported in
 * `problems` with its location.
 *
 * @throws {Hl7ParseError} ERR_HL7_TOO_LARGE over `options.maxBytes` (default 128 MiB).
 */
export function splitBatch(input: string | Uint8Array, options: Pick<ParseOptions, 'maxBytes'> = {}): Hl7BatchSplit {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const size = typeof input === 'string' ? input.length : input.byteLength;
  if (size > maxBytes) throw new Hl7ParseError('ERR_HL7_TOO_LARGE', `input of ${size} bytes exceeds the limit of ${maxBytes} bytes (option maxBytes)`);
  const src = sourceOf(input);
  const envelope: BatchEnvelopeSegment[] = [];
  const messages: BatchMessageEntry[] = [];
  const problems: Hl7ParseError[] = [];
  let envelopeDelimiters: Delimiters = DEFAULT_DELIMITERS;
  let current: { start: number; end: number } | undefined;

  const close = (): void => {
    if (!current) return;
    const { start, end } = current;
    const index = messages.length + 1;
    const byteOffset = src.byteOffset(start);
    const data = src.data(start, end);
    messages.push({
      index,
      offset: start,
      byteOffset,
      data,
      parse: (parseOptions = {}) => parseMessage(data, { ...parseOptions, maxBytes, messageIndex: index, baseOffset: byteOffset }),
    });
    current = undefined;
  };

  let pos = 0;
  if (typeof input === 'string' ? input.charCodeAt(0) === 0xfeff : input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf) pos = typeof input === 'string' ? 1 : 3;
  const next = [-2, -2, -2, -2];
  while (pos < src.length) {
    const c = src.code(pos);
    if (c === CR || c === LF) {
      if (current) current.end = pos + 1;
      pos++;
      continue;
    }
    if (c === VT || c === FS) {
      close();
      pos++;
      continue;
    }
    let end = src.length;
    for (let k = 0; k < SEPARATORS.length; k++) {
      if (next[k] !== -1 && next[k]! < pos) next[k] = src.find(SEPARATORS[k]!, pos);
      if (next[k] !== -1 && next[k]! < end) end = next[k]!;
    }
    const name = src.text(pos, Math.min(pos + 3, end));
    if (name === 'MSH') {
      close();
      current = { start: pos, end };
    } else if (ENVELOPE.has(name)) {
      close();
      const text = src.text(pos, end);
      const byteOffset = src.byteOffset(pos);
      try {
        if (name === 'FHS' || name === 'BHS') envelopeDelimiters = readDelimiters(text, 0, text.length, (offset) => ({ segmentName: name, byteOffset: src.byteOffset(pos + offset) }));
        const delimiters = envelopeDelimiters;
        const segment: Hl7Segment = new Hl7Segment(text, { delimiters, decodeOptions: {}, locate: () => ({ segmentName: name, byteOffset }) });
        envelope.push({ segment, offset: pos, byteOffset });
      } catch (error) {
        if (error instanceof Hl7ParseError) problems.push(error);
        else throw error;
      }
    } else if (current) {
      current.end = end;
    } else if (src.text(pos, end).trim() !== '') {
      const shown = src.text(pos, Math.min(pos + 3, end)).replace(/[^\x20-\x7e]/g, '?');
      problems.push(new Hl7ParseError('ERR_HL7_PARSE', `'${shown}' outside any message: a message must start with MSH`, { messageIndex: messages.length + 1, byteOffset: src.byteOffset(pos) }));
    }
    pos = end;
  }
  close();
  return { envelope, messages, problems };
}

/**
 * Parses every message of a file (see {@link splitBatch}). Strict: the first problem, in file
 * order, is thrown. For "report every problem and carry on", use splitBatch and parse each entry.
 *
 * @throws {Hl7ParseError} with the message index and byte offset within the file.
 */
export function parseBatch(input: string | Uint8Array, options: Omit<ParseOptions, 'messageIndex' | 'baseOffset'> = {}): Hl7Batch {
  const split = splitBatch(input, options);
  if (split.problems.length > 0) throw split.problems[0]!;
  const messages = split.messages.map((entry) => ({ index: entry.index, offset: entry.offset, byteOffset: entry.byteOffset, message: entry.parse(options) }));
  return {
    envelope: split.envelope,
    messages,
    [Symbol.iterator]: () => messages[Symbol.iterator](),
  };
}
