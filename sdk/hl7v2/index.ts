/**
 * HL7 v2: lazy, byte-exact parsing of messages and batch files, 1-based path addressing, escape
 * decoding and encoding, and message creation. Runs in browsers, MV3 service workers and Node.
 *
 * @example
 * import { parseMessage } from '@sealpost/sdk/hl7v2';
 * const msg = parseMessage(bytes);
 * msg.get('PID-5.1'); // decoded family name
 */
export type { Delimiters } from './delimiters.js';
export { DEFAULT_DELIMITERS, encodingCharacters } from './delimiters.js';
export type { Hl7ErrorCode, Hl7Location } from './errors.js';
export { Hl7ParseError } from './errors.js';
export type { UnescapeOptions } from './escape.js';
export { escapeText, unescapeText } from './escape.js';
export type { Hl7Path } from './path.js';
export { parsePath } from './path.js';
export type { ParseOptions } from './parse.js';
export { DEFAULT_MAX_BYTES, parseMessage } from './parse.js';
export type { BatchEnvelopeSegment, BatchMessageEntry, Hl7Batch, Hl7BatchMessage, Hl7BatchSplit } from './batch.js';
export { parseBatch, splitBatch } from './batch.js';
export type { CreateMessageOptions } from './create.js';
export { createMessage } from './create.js';
export { Hl7Message } from './message.js';
export type { ComponentInput, FieldInput, RepetitionInput } from './segment.js';
export { Hl7Segment } from './segment.js';
