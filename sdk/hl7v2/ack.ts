import { escapeText } from './escape.js';
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
  const version = msh.value(12);
  const messageCode = msh.value(9, 1, 1);
  const trigger = msh.value(9, 1, 2);
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
