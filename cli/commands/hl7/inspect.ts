import { parseArgs } from 'node:util';
import type { CliIo } from '../../io.js';
import { UsageError } from '../../io.js';
import { errorJson, failureLine, headerValue, messageTypeOf, readMessages } from './shared.js';

/**
 * `sealpost hl7 inspect FILE… [--json]`: one line (or JSON object) per message with file, index,
 * MSH-9, MSH-10, MSH-12 and segment names. Every message is checked completely (escapes
 * included); each failure prints `FILE: message N, segment M (XXX), field F: reason` on stderr
 * and the rest is still reported. Exit 0 only when everything parsed.
 */
export async function inspect(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean', default: false } }, allowPositionals: true });
  if (positionals.length === 0) throw new UsageError('inspect needs at least one FILE');
  let failed = false;
  for (const file of positionals) {
    const content = await readMessages(file, io);
    for (const problem of content.problems) {
      failed = true;
      io.stderr(failureLine(file, problem));
      if (values.json) io.stdout(JSON.stringify({ file, ok: false, error: errorJson(problem) }) + '\n');
    }
    for (const entry of content.messages) {
      const problems = entry.error ? [entry.error] : entry.message.check();
      if (problems.length > 0) failed = true;
      for (const problem of problems) io.stderr(failureLine(file, problem));
      if (entry.error) {
        if (values.json) io.stdout(JSON.stringify({ file, index: entry.index, byteOffset: entry.byteOffset, ok: false, error: errorJson(entry.error) }) + '\n');
        continue;
      }
      const message = entry.message;
      const segments: string[] = [];
      for (let i = 0; i < message.segmentCount; i++) segments.push(message.segmentAt(i).name);
      const summary = {
        file,
        index: entry.index,
        byteOffset: entry.byteOffset,
        messageType: messageTypeOf(message),
        controlId: headerValue(message, 10),
        version: headerValue(message, 12),
        charset: message.charset,
        segments,
      };
      if (values.json) {
        io.stdout(JSON.stringify({ ...summary, ok: problems.length === 0, ...(problems.length ? { errors: problems.map(errorJson) } : {}) }) + '\n');
      } else {
        io.stdout(`${file}\t${entry.index}\t${summary.messageType}\t${summary.controlId}\t${summary.version}\t${segments.join(' ')}\n`);
      }
    }
  }
  return failed ? 1 : 0;
}
