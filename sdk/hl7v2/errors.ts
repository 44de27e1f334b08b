import { SealpostError } from '../errors.js';

/** Codes of {@link Hl7ParseError}; listed in docs/errors.md. */
export type Hl7ErrorCode =
  | 'ERR_HL7_PARSE'
  | 'ERR_HL7_TOO_LARGE'
  | 'ERR_HL7_CHARSET'
  | 'ERR_HL7_ESCAPE'
  | 'ERR_HL7_MISSING_FIELD';

/** Where in the input a problem sits. Indexes are 1-based, as HL7 counts; `byteOffset` is 0-based. */
export interface Hl7Location {
  /** 1-based position of the message in a file or batch (1 for a single message). */
  messageIndex?: number;
  /** 1-based position of the segment in its message. */
  segmentIndex?: number;
  /** Segment name, e.g. `PID`. */
  segmentName?: string;
  /** Field number as HL7 counts it (`PID-7` → 7). */
  field?: number;
  /** 0-based byte offset into the input as given (file or byte array), where known. */
  byteOffset?: number;
}

function describe(location: Hl7Location): string {
  const parts: string[] = [];
  if (location.messageIndex !== undefined) parts.push(`message ${location.messageIndex}`);
  if (location.segmentIndex !== undefined) {
    parts.push(`segment ${location.segmentIndex}${location.segmentName ? ` (${location.segmentName})` : ''}`);
  }
  if (location.field !== undefined) parts.push(`field ${location.field}`);
  return parts.join(', ');
}

/**
 * Bad HL7 v2 input: a message that cannot be framed, declares impossible delimiters, has an invalid
 * segment name, an unterminated or unknown escape sequence, bytes invalid in its character set, or
 * exceeds the size limit. The message reads `message 1, segment 3 (PID), field 7: reason (byte 212)`.
 */
export class Hl7ParseError extends SealpostError implements Hl7Location {
  declare readonly code: Hl7ErrorCode;
  readonly reason: string;
  declare readonly messageIndex?: number;
  declare readonly segmentIndex?: number;
  declare readonly segmentName?: string;
  declare readonly field?: number;
  declare readonly byteOffset?: number;

  constructor(code: Hl7ErrorCode, reason: string, location: Hl7Location = {}, options?: { cause?: unknown }) {
    const where = describe(location);
    const at = location.byteOffset !== undefined ? ` (byte ${location.byteOffset})` : '';
    super(code, `${where ? `${where}: ` : ''}${reason}${at}`, options);
    this.reason = reason;
    if (location.messageIndex !== undefined) this.messageIndex = location.messageIndex;
    if (location.segmentIndex !== undefined) this.segmentIndex = location.segmentIndex;
    if (location.segmentName !== undefined) this.segmentName = location.segmentName;
    if (location.field !== undefined) this.field = location.field;
    if (location.byteOffset !== undefined) this.byteOffset = location.byteOffset;
  }
}
