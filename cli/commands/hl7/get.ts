import { parseArgs } from 'node:util';
import { parsePath } from '@sealpost/sdk/hl7v2';
import type { CliIo } from '../../io.js';
import { UsageError } from '../../io.js';
import { failureLine, readMessages } from './shared.js';

/**
 * `sealpost hl7 get FILE PATH`: the decoded value(s) at PATH (`PID-5.1`, `PID-3[2].1`, `OBX[3]-5`,
 * `OBR-32.1.2`) for each message, one per line: every occurrence of the segment and every
 * repetition unless the path picks one. A message where PATH matches nothing prints an empty
 * line, so every message of a batch shows up. Exit 1 when a message fails to parse.
 */
export async function get(args: string[], io: CliIo): Promise<number> {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true });
  if (positionals.length !== 2) throw new UsageError('get needs FILE and PATH');
  const [file, path] = positionals as [string, string];
  try {
    parsePath(path);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const content = await readMessages(file, io);
  let failed = content.problems.length > 0;
  for (const problem of content.problems) io.stderr(failureLine(file, problem));
  for (const entry of content.messages) {
    if (entry.error) {
      failed = true;
      io.stderr(failureLine(file, entry.error));
      continue;
    }
    try {
      const values = entry.message.getAll(path);
      io.stdout(values.length === 0 ? '\n' : values.join('\n') + '\n');
    } catch (error) {
      if (!(error instanceof Error) || !('code' in error)) throw error;
      failed = true;
      io.stderr(failureLine(file, error));
    }
  }
  return failed ? 1 : 0;
}
