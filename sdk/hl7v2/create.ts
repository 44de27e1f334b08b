import type { Delimiters } from './delimiters.js';
import { DEFAULT_DELIMITERS, encodingCharacters } from './delimiters.js';
import { resolveCharset } from './internal/text-codec.js';
import type { Hl7Message } from './message.js';
import { buildMessage } from './parse.js';
import type { FieldInput } from './segment.js';
import { encodeField } from './segment.js';

/** Options for {@link createMessage}. */
export interface CreateMessageOptions {
  /** Delimiters to declare in MSH-1/MSH-2. Default `|^~\&` (add `truncation: '#'` for v2.7+). */
  delimiters?: Partial<Delimiters>;
  /** Terminator written after each segment. Default `\r`, as HL7 requires. */
  terminator?: '\r' | '\n' | '\r\n';
  /** MSH fields from MSH-3 on: `msh[0]` is MSH-3, `msh[6]` is MSH-9. Plain text, escaped on write. */
  msh: readonly FieldInput[];
}

/**
 * Starts a new message with its MSH segment; add the other segments with
 * {@link Hl7Message.addSegment}. Values are plain text and escaped, so no value can corrupt the
 * message. Bytes are written in the charset MSH-18 names (default UTF-8).
 *
 * @example
 * const msg = createMessage({ msh: ['SEALPOST', 'GP', 'LAB', 'PATH', '20261122093000', '', ['ORU', 'R01', 'ORU_R01'], 'MSG0001', 'P', '2.5.1'] });
 * msg.addSegment('PID', ['1', '', [['1234', '', '', 'AUSHIC', 'MC']]]);
 */
export function createMessage(options: CreateMessageOptions): Hl7Message {
  const delimiters: Delimiters = { ...DEFAULT_DELIMITERS, ...options.delimiters };
  let text = `MSH${delimiters.field}${encodingCharacters(delimiters)}`;
  for (const field of options.msh) text += delimiters.field + encodeField(field, delimiters);
  const charsetField = options.msh[15];
  const charset = resolveCharset(typeof charsetField === 'string' ? charsetField : undefined);
  return buildMessage(text, {
    charset,
    decodeOptions: {},
    source: { prefixBytes: 0, baseOffset: 0, messageIndex: 1 },
    terminator: options.terminator ?? '\r',
  });
}
