import type { Hl7ParseError } from './errors.js';
import { escapeText, unescapeText } from './escape.js';
import type { Hl7Message } from './message.js';
import { parseMessage } from './parse.js';
import { formatHl7Timestamp, newControlId } from './build/internal.js';

/** MSA-1 acknowledgment codes (HL7 table 0008): original mode A*, enhanced mode C*. */
export type AckCode = 'AA' | 'AE' | 'AR' | 'CA' | 'CE' | 'CR';

/** Options of {@link buildAck}. */
export interface BuildAckOptions {
  /** MSA-1 (default `AA`). */
  code?: AckCode;
  /**
   * Human-readable text: MSA-3 (text message) for versions before 2.7, and ERR's user message for
   * an error acknowledgment. Plain text; it is escaped.
   */
  text?: string;
  /**
   * HL7 table 0357 error code for the ERR segment of an AE/AR/CE/CR acknowledgment (default `207`,
   * application internal error; `200`–`204` describe an unsupported message type, event,
   * processing id, version or unknown key). An ERR segment is written only for error codes.
   */
  errorCode?: string;
  /** ERR location: segment id, segment sequence and field, e.g. `{ segment: 'PID', sequence: 1, field: 3 }`. */
  errorLocation?: { segment: string; sequence?: number; field?: number };
  /** MSH-10 of the acknowledgment (default: a new unique id). */
  controlId?: string;
  /** MSH-7 (default: now). */
  timestamp?: Date;
}

const ERROR_TEXT: Record<string, string> = {
  '0': 'Message accepted',
  '100': 'Segment sequence error',
  '101': 'Required field missing',
  '102': 'Data type error',
  '103': 'Table value not found',
  '200': 'Unsupported message type',
  '201': 'Unsupported event code',
  '202': 'Unsupported processing id',
  '203': 'Unsupported version id',
  '204': 'Unknown key identifier',
  '205': 'Duplicate key identifier',
  '206': 'Application record locked',
  '207': 'Application internal error',
};

/** Numeric comparison of the leading `major.minor` of MSH-12.1. */
function versionAtLeast(version: string, major: number, minor: number): boolean {
  const match = /^(\d+)\.(\d+)/.exec(version);
  if (!match) return false;
  const [a, b] = [Number(match[1]), Number(match[2])];
  return a > major || (a === major && b >= minor);
}

/**
 * Builds the acknowledgment of a received message (HL7 v2.5.1 §2.9, §2.14.1 MSA):
 *
 * - MSH mirrors the sender and receiver (MSH-3/4 ← received MSH-5/6 and back), keeps the received
 *   delimiters, MSH-11 (processing id), MSH-12 (version, whole field) and MSH-18 (character set).
 * - MSH-9 is `ACK^<trigger>^ACK` (just `ACK` when the received MSH-9 names no trigger, as in
 *   v2.1); a `REF^I12` is answered with `RRI^I12^RRI_I12` whose RF1, PRD and PID segments are
 *   copied from the referral, as the RRI abstract message requires (v2.5.1 §11.5.1).
 * - MSA-1 is the code, MSA-2 the received MSH-10, MSA-3 the text (versions before 2.7).
 * - Error codes (AE, AR, CE, CR) add an ERR segment: ERR-3/4/8 from v2.5 on, ERR-1 before.
 *
 * The result is a parsed {@link Hl7Message}; `toString()` gives the wire text.
 *
 * @example
 * const ack = buildAck(parseMessage(received), { code: 'AE', text: 'Unknown patient' });
 */
export function buildAck(message: Hl7Message, options: BuildAckOptions = {}): Hl7Message {
  const code = options.code ?? 'AA';
  if (!['AA', 'AE', 'AR', 'CA', 'CE', 'CR'].includes(code)) throw new RangeError(`buildAck: unknown acknowledgment code '${String(code)}'`);
  const d = message.delimiters;
  const msh = message.segment('MSH');
  if (!msh) throw new TypeError('buildAck: the message has no MSH segment');
  const f = d.field;
  const raw = (n: number): string => msh.raw(n);
  const encodingCharacters = d.component + d.repetition + d.escape + d.subcomponent + (d.truncation ?? '');
  // Read leniently: a malformed escape in the received MSH-9 or MSH-12 must not stop the reply
  // (the sequence is kept as sent, and escaped again where it is echoed).
  const decoded = (field: number, component: number) => unescapeText(msh.raw(field, 1, component, 1), d, { escapes: 'lenient' });
  const version = decoded(12, 1);
  const messageCode = decoded(9, 1);
  const trigger = decoded(9, 2);
  const isReferral = messageCode === 'REF' && trigger === 'I12';
  const messageType = isReferral
    ? ['RRI', 'I12', 'RRI_I12'].join(d.component)
    : trigger
      ? ['ACK', escapeText(trigger, d), 'ACK'].join(d.component)
      : 'ACK';
  const header = [
    'MSH',
    encodingCharacters,
    raw(5),
    raw(6),
    raw(3),
    raw(4),
    formatHl7Timestamp(options.timestamp ?? new Date()),
    '',
    messageType,
    escapeText(options.controlId ?? newControlId(), d),
    raw(11),
    raw(12),
  ];
  const charset = raw(18);
  if (charset) header.push('', '', '', '', '', charset);
  const errorCode = options.errorCode ?? '207';
  const isError = code !== 'AA' && code !== 'CA';
  const text = options.text === undefined ? '' : escapeText(options.text, d);
  const msa = ['MSA', code, raw(10)];
  if (text && !versionAtLeast(version, 2, 7)) msa.push(text);
  const segments = [header.join(f), msa.join(f)];
  if (isError) {
    const errorText = escapeText(ERROR_TEXT[errorCode] ?? 'Error', d);
    const location = options.errorLocation;
    if (versionAtLeast(version, 2, 5)) {
      const erl = location
        ? [escapeText(location.segment, d), String(location.sequence ?? 1), location.field === undefined ? '' : String(location.field)].join(d.component)
        : '';
      const err = ['ERR', '', erl, [escapeText(errorCode, d), errorText, 'HL70357'].join(d.component), 'E', '', '', '', text];
      segments.push(trimFields(err).join(f));
    } else {
      const eld = location
        ? [escapeText(location.segment, d), String(location.sequence ?? 1), location.field === undefined ? '' : String(location.field)]
        : ['', '', ''];
      const coded = [escapeText(errorCode, d), errorText, 'HL70357'].join(d.subcomponent);
      segments.push(['ERR', [...eld, coded].join(d.component)].join(f));
    }
  }
  if (isReferral) {
    for (const name of ['RF1', 'PRD', 'PID']) for (const segment of message.segments(name)) segments.push(segment.toString());
  }
  return parseMessage(segments.join('\r') + '\r');
}

function trimFields(fields: string[]): string[] {
  let end = fields.length;
  while (end > 1 && fields[end - 1] === '') end--;
  return fields.slice(0, end);
}

/** HL7 table 0357 code for each parse error code (ERR-3 / ERR-1.4 of an error acknowledgment). */
const ERROR_CODES: Record<string, string> = {
  ERR_HL7_PARSE: '100',
  ERR_HL7_MISSING_FIELD: '101',
  ERR_HL7_ESCAPE: '102',
  ERR_HL7_CHARSET: '102',
  ERR_HL7_TOO_LARGE: '207',
};

/**
 * Builds the error acknowledgment for input that failed to parse, so a receiver can still answer
 * with AR (or AE) and say where the message is wrong. Only the MSH segment has to be readable:
 * it is parsed on its own and mirrored as {@link buildAck} does; MSA-3/ERR carry the error's reason
 * and location (ERR-2 or ERR-1: segment, its occurrence, field) and the HL7 table 0357 code
 * (100 segment error, 101 required field missing, 102 data type/escape/charset error, 207 other).
 *
 * Returns `undefined` when not even MSH can be read (no control id to acknowledge).
 *
 * @example
 * try { parseMessage(bytes); } catch (error) {
 *   if (error instanceof Hl7ParseError) reply(buildErrorAck(bytes, error));
 * }
 */
export function buildErrorAck(input: string | Uint8Array, error: Hl7ParseError, options: Omit<BuildAckOptions, 'errorCode' | 'errorLocation'> = {}): Hl7Message | undefined {
  // A lenient decode: the header is ASCII in every ASCII-compatible charset, and a bad byte
  // elsewhere must not stop the reply.
  const text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: false }).decode(input.subarray(0, Math.min(input.length, 1 << 20)));
  const start = text.indexOf('MSH');
  if (start === -1) return undefined;
  let end = text.length;
  for (const terminator of ['\r', '\n', '\x1c']) {
    const at = text.indexOf(terminator, start);
    if (at !== -1 && at < end) end = at;
  }
  let header: Hl7Message;
  try {
    header = parseMessage(text.slice(start, end));
  } catch {
    return undefined;
  }
  const code = options.code === undefined || options.code === 'AA' || options.code === 'CA' ? 'AR' : options.code;
  const ackOptions: BuildAckOptions = { ...options, code, errorCode: ERROR_CODES[error.code] ?? '207', text: options.text ?? error.reason };
  if (error.segmentName !== undefined && /^[A-Z][A-Z0-9]{2}$/.test(error.segmentName)) {
    const location: NonNullable<BuildAckOptions['errorLocation']> = { segment: error.segmentName, sequence: occurrence(text.slice(start), error.segmentName, error.segmentIndex) };
    if (error.field !== undefined) location.field = error.field;
    ackOptions.errorLocation = location;
  }
  return buildAck(header, ackOptions);
}

/** Which occurrence of `name` the segment at 1-based `index` is, counting non-blank lines. */
function occurrence(text: string, name: string, index: number | undefined): number {
  if (index === undefined) return 1;
  let count = 0;
  let position = 0;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') continue;
    position++;
    if (line.startsWith(name)) count++;
    if (position === index) return Math.max(count, 1);
  }
  return 1;
}
