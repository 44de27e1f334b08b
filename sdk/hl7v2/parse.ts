import { NotSupportedError } from '../errors.js';
import type { Delimiters } from './delimiters.js';
import type { Hl7Location } from './errors.js';
import { Hl7ParseError } from './errors.js';
import type { UnescapeOptions } from './escape.js';
import { headerField, readDelimiters } from './internal/header.js';
import { indexMessageText } from './internal/char-index.js';
import { scanSegments } from './internal/scan.js';
import { decodeBytes, encodedLength, resolveCharset, utf8Length } from './internal/text-codec.js';
import { Hl7Message } from './message.js';

/** Default size limit of one input: 128 MiB. */
export const DEFAULT_MAX_BYTES = 128 * 1024 * 1024;

/** Options for {@link parseMessage}. */
export interface ParseOptions extends Pick<UnescapeOptions, 'highlight' | 'escapes'> {
  /** Largest input accepted, in bytes (string input: UTF-16 code units). Default 128 MiB. */
  maxBytes?: number;
  /**
   * Character set to decode bytes with, overriding MSH-18: an HL7 name (`8859/1`,
   * `UNICODE UTF-8`) or a WHATWG label. Default: MSH-18, or UTF-8 when it is empty.
   */
  charset?: string;
  /** 1-based index of this message in its file, used in error locations. Default 1. */
  messageIndex?: number;
  /** Byte offset of this input inside a larger file, added to error offsets. Default 0. */
  baseOffset?: number;
}

const VT = 0x0b;
const FS = 0x1c;
const CR = 0x0d;
const LF = 0x0a;

/**
 * Parses exactly one HL7 v2 message from bytes or text. Tolerates a UTF-8 BOM, MLLP framing
 * (VT … FS CR) and leading blank lines; segment terminators may be `\r`, `\n` or `\r\n`, mixed.
 * Bytes are decoded as MSH-18 declares (HL7 table 0211 names are mapped to real encodings), and
 * invalid UTF-8 is an error rather than replacement characters. Fields are split only when read.
 *
 * @throws {Hl7ParseError} ERR_HL7_PARSE (not a message, bad delimiters or segment names, several
 *   messages: use {@link parseBatch}), ERR_HL7_TOO_LARGE, ERR_HL7_CHARSET.
 * @example
 * const msg = parseMessage(await file.bytes());
 * console.log(msg.messageType, msg.get('PID-5.1'));
 */
export function parseMessage(input: string | Uint8Array, options: ParseOptions = {}): Hl7Message {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const messageIndex = options.messageIndex ?? 1;
  const baseOffset = options.baseOffset ?? 0;
  const decodeOptions: UnescapeOptions = {};
  if (options.highlight !== undefined) decodeOptions.highlight = options.highlight;
  if (options.escapes !== undefined) decodeOptions.escapes = options.escapes;

  if (typeof input === 'string') {
    if (input.length > maxBytes) throw tooLarge(input.length, maxBytes, messageIndex);
    let start = 0;
    let end = input.length;
    if (input.charCodeAt(start) === 0xfeff) start++;
    if (input.charCodeAt(start) === VT) start++;
    if (input.charCodeAt(end - 1) === CR && input.charCodeAt(end - 2) === FS) end -= 2;
    else if (input.charCodeAt(end - 1) === FS) end--;
    while (start < end && (input.charCodeAt(start) === CR || input.charCodeAt(start) === LF)) start++;
    const text = start === 0 && end === input.length ? input : input.slice(start, end);
    const prefixBytes = utf8Length(input, 0, start);
    let charset = 'utf-8';
    if (options.charset !== undefined) charset = charsetOrThrow(options.charset, messageIndex, baseOffset);
    else {
      const declared = declaredCharset(text);
      try {
        charset = resolveCharset(declared.value);
      } catch {
        // Text is already decoded; an unknown MSH-18 only matters for toBytes(), which then writes UTF-8.
      }
    }
    return buildMessage(text, { charset, decodeOptions, source: { prefixBytes, baseOffset, messageIndex } });
  }

  if (!(input instanceof Uint8Array)) throw new TypeError('parseMessage expects a string or a Uint8Array');
  if (input.byteLength > maxBytes) throw tooLarge(input.byteLength, maxBytes, messageIndex);
  let start = 0;
  let end = input.length;
  if (input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf) start = 3;
  if (input[start] === VT) start++;
  if (input[end - 1] === CR && input[end - 2] === FS) end -= 2;
  else if (input[end - 1] === FS) end--;
  while (start < end && (input[start] === CR || input[start] === LF)) start++;
  let charset: string;
  if (options.charset !== undefined) charset = charsetOrThrow(options.charset, messageIndex, baseOffset + start);
  else {
    let headerEnd = end;
    const cr = input.indexOf(CR, start);
    const lf = input.indexOf(LF, start);
    if (cr !== -1 && cr < headerEnd) headerEnd = cr;
    if (lf !== -1 && lf < headerEnd) headerEnd = lf;
    // MSH is ASCII in every ASCII-compatible charset, so it can be read before decoding.
    const header = decodeBytes(input, start, Math.min(headerEnd, start + 4096), 'latin1');
    const declared = declaredCharset(header);
    // The header was decoded as Latin-1, one character per byte, so its offsets are byte offsets.
    charset = charsetOrThrow(declared.value, messageIndex, baseOffset + start + declared.offset);
  }
  let text: string;
  try {
    text = decodeBytes(input, start, end, charset, baseOffset);
  } catch (error) {
    if (!(error instanceof Hl7ParseError) || error.byteOffset === undefined) throw error;
    const where = locateByte(input, start, error.byteOffset - baseOffset);
    throw new Hl7ParseError(error.code, error.reason, { messageIndex, ...where, byteOffset: error.byteOffset }, { cause: error });
  }
  return buildMessage(text, {
    charset,
    decodeOptions,
    source: { bytes: input.subarray(start, end), prefixBytes: start, baseOffset, messageIndex },
  });
}

/** Segment and field that hold byte `at` of a message starting at `start` (for charset errors, found before decoding). */
function locateByte(bytes: Uint8Array, start: number, at: number): Hl7Location {
  let segmentIndex = 1;
  let segmentStart = start;
  for (let i = start; i < at; i++) {
    const b = bytes[i]!;
    if ((b === CR || b === LF) && bytes[i + 1] !== CR && bytes[i + 1] !== LF) {
      segmentIndex++;
      segmentStart = i + 1;
    }
  }
  const separator = bytes[start + 3];
  let field = 0;
  for (let i = segmentStart; i < at; i++) if (bytes[i] === separator) field++;
  // Up to three characters before the line end, printable: a stray byte can make a line of its own.
  let nameEnd = segmentStart;
  while (nameEnd < segmentStart + 3 && nameEnd < bytes.length && bytes[nameEnd] !== CR && bytes[nameEnd] !== LF) nameEnd++;
  const segmentName = String.fromCharCode(...bytes.subarray(segmentStart, nameEnd)).replace(/[^\x20-\x7e]/g, '?');
  // MSH-1 is the separator itself, so a byte after the first separator of MSH is in MSH-2.
  if (segmentName === 'MSH' || segmentName === 'FHS' || segmentName === 'BHS') field++;
  return { segmentIndex, segmentName, field };
}

function tooLarge(size: number, maxBytes: number, messageIndex: number): Hl7ParseError {
  return new Hl7ParseError('ERR_HL7_TOO_LARGE', `input of ${size} bytes exceeds the limit of ${maxBytes} bytes (option maxBytes)`, { messageIndex });
}

function charsetOrThrow(name: string | undefined, messageIndex: number, byteOffset: number): string {
  try {
    return resolveCharset(name);
  } catch (error) {
    if (error instanceof NotSupportedError) {
      throw new Hl7ParseError('ERR_HL7_CHARSET', `MSH-18: ${error.message}`, { messageIndex, segmentIndex: 1, segmentName: 'MSH', field: 18, byteOffset }, { cause: error });
    }
    throw error;
  }
}

/** First repetition of MSH-18 and its offset, read from the header line without building the message. */
function declaredCharset(input: string): { value: string | undefined; offset: number } {
  if (!input.startsWith('MSH') || input.length < 8) return { value: undefined, offset: 0 };
  // MSH is short; bounding the search keeps a 10 MB message from being scanned for a line end.
  const text = input.length > 65536 ? input.slice(0, 65536) : input;
  const field = text[3]!;
  let end = text.length;
  const cr = text.indexOf('\r');
  const lf = text.indexOf('\n');
  if (cr !== -1 && cr < end) end = cr;
  if (lf !== -1 && lf < end) end = lf;
  const { value, offset } = headerField(text, 0, end, field, 18);
  const repetition = text[5];
  return { value: repetition && value.includes(repetition) ? value.slice(0, value.indexOf(repetition)) : value, offset };
}

const BOUNDARY_SEGMENTS = new Set(['MSH', 'FHS', 'BHS', 'BTS', 'FTS']);

/** Validates the segment structure of one message's text and builds the lazy message. @internal */
export function buildMessage(
  text: string,
  init: { charset: string; decodeOptions: UnescapeOptions; source: { bytes?: Uint8Array; prefixBytes: number; baseOffset: number; messageIndex: number }; terminator?: string },
): Hl7Message {
  const { source, charset } = init;
  const at = (offset: number, extra: Hl7Location = {}): Hl7Location => {
    const bytes = encodedLength(text, 0, offset, charset);
    return { messageIndex: source.messageIndex, ...extra, ...(bytes !== undefined ? { byteOffset: source.baseOffset + source.prefixBytes + bytes } : {}) };
  };
  if (!text.startsWith('MSH')) {
    const found = text.slice(0, 3).replace(/[^\x20-\x7e]/g, '?');
    throw new Hl7ParseError('ERR_HL7_PARSE', text.length === 0 ? 'empty input: no MSH segment' : `a message must start with MSH, found '${found}'`, at(0, { segmentIndex: 1 }));
  }
  // Large messages (an embedded document) get a character index: one cache-friendly sweep for
  // every structural character instead of a whole-text pass per character (internal/char-index.ts).
  const index = indexMessageText(text);
  const { starts, ends } = scanSegments(text, 0, text.length, index);
  const delimiters: Delimiters = readDelimiters(text, 0, ends[0]!, (offset) => at(offset, { segmentIndex: 1, segmentName: 'MSH' }));
  for (let i = 0; i < starts.length; i++) {
    const start = starts[i]!;
    const end = ends[i]!;
    // Framing characters are looked for where a second frame would put them (segment start and
    // end), not by scanning the whole text again: a 10 MB message would pay two more passes.
    const framing = text.charCodeAt(start) === 0x0b ? start : text.charCodeAt(end - 1) === 0x1c ? end - 1 : -1;
    if (framing !== -1) {
      throw new Hl7ParseError('ERR_HL7_PARSE', `MLLP framing character 0x${text.charCodeAt(framing).toString(16)} inside the message (several frames? use parseBatch)`, at(framing, { segmentIndex: i + 1 }));
    }
    if (!isSegmentName(text, start, end)) {
      const name = text.slice(start, Math.min(start + 3, end)).replace(/[^\x20-\x7e]/g, '?');
      throw new Hl7ParseError('ERR_HL7_PARSE', `invalid segment name '${name}': expected three characters A-Z, 0-9`, at(start, { segmentIndex: i + 1, segmentName: name }));
    }
    const name = text.slice(start, start + 3);
    if (end > start + 3 && text[start + 3] !== delimiters.field) {
      throw new Hl7ParseError('ERR_HL7_PARSE', `segment name must be followed by the field separator '${delimiters.field}'`, at(start + 3, { segmentIndex: i + 1, segmentName: name }));
    }
    if (i > 0 && BOUNDARY_SEGMENTS.has(name)) {
      throw new Hl7ParseError('ERR_HL7_PARSE', `${name} inside a message: the input holds several messages or a batch (use parseBatch)`, at(start, { segmentIndex: i + 1, segmentName: name }));
    }
  }
  return new Hl7Message(text, {
    delimiters,
    charset,
    starts,
    ends,
    source,
    decodeOptions: init.decodeOptions,
    ...(index !== undefined ? { index } : {}),
    ...(init.terminator !== undefined ? { terminator: init.terminator } : {}),
  });
}

/** Whether `text[start, end)` begins with a valid segment name: A-Z then two of A-Z, 0-9. */
export function isSegmentName(text: string, start: number, end: number): boolean {
  if (end - start < 3) return false;
  const a = text.charCodeAt(start);
  const b = text.charCodeAt(start + 1);
  const c = text.charCodeAt(start + 2);
  return a >= 65 && a <= 90 && ((b >= 65 && b <= 90) || (b >= 48 && b <= 57)) && ((c >= 65 && c <= 90) || (c >= 48 && c <= 57));
}
