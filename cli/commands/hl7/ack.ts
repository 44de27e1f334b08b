import { parseArgs } from 'node:util';
import { buildAck, buildErrorAck } from '@sealpost/sdk/hl7v2';
import type { AckCode } from '@sealpost/sdk/hl7v2';
import type { CliIo } from '../../io.js';
import { UsageError } from '../../io.js';
import { failureLine, readMessages } from './shared.js';

const CODES = ['AA', 'AE', 'AR', 'CA', 'CE', 'CR'];

/**
 * `sealpost hl7 ack FILE [--code AA|AE|AR] [--text "…"] [--cr]`: prints the acknowledgment of each
 * message in FILE (MSA-2 = its MSH-10; RRI^I12 for a REF^I12). Segments are printed one per line;
 * `--cr` writes the HL7 segment terminator `\r` instead. A message that cannot be parsed but whose
 * MSH can be read gets an AR (or the AE/AR asked for) naming the error and its location; the
 * error is printed on stderr and the exit status is 1.
 */
export async function ack(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { code: { type: 'string', default: 'AA' }, text: { type: 'string' }, cr: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new UsageError('ack needs exactly one FILE');
  const code = values.code.toUpperCase();
  if (!CODES.includes(code)) throw new UsageError(`--code must be AA, AE or AR (or CA, CE, CR), not '${values.code}'`);
  const file = positionals[0] as string;
  const content = await readMessages(file, io);
  let failed = content.problems.length > 0;
  for (const problem of content.problems) io.stderr(failureLine(file, problem));
  for (const entry of content.messages) {
    const options = { code: code as AckCode, ...(values.text !== undefined ? { text: values.text } : {}) };
    let reply;
    if (entry.error) {
      failed = true;
      io.stderr(failureLine(file, entry.error));
      reply = buildErrorAck(entry.bytes, entry.error, options);
      if (!reply) continue;
    } else {
      reply = buildAck(entry.message, options);
    }
    const text = reply.toString();
    io.stdout(values.cr ? text : text.replace(/\r\n?/g, '\n'));
  }
  return failed ? 1 : 0;
}
