import type { CliIo, CommandGroup } from './io.js';
import { UsageError } from './io.js';
import { hl7Command } from './commands/hl7.js';
import { convertCommand, fhirCommand } from './commands/fhir.js';
import { idCommand } from './commands/id.js';
import { sealCommand } from './commands/seal.js';
import { openCommand } from './commands/open.js';
import { receiptCommand } from './commands/receipt.js';
import { relayCommand } from './commands/relay.js';
import { sendCommand } from './commands/send.js';
import { inboxCommand } from './commands/inbox.js';
import { fetchCommand } from './commands/fetch.js';
import { directoryCommand } from './commands/directory.js';
import { reviewCommand } from './commands/review.js';
import { agentCommand } from './commands/agent.js';
import { statusCommand } from './commands/status.js';

/** Command groups in the order `sealpost --help` lists them. Each issue's commands register here. */
const groups: CommandGroup[] = [hl7Command, fhirCommand, convertCommand, idCommand, sealCommand, openCommand, receiptCommand, relayCommand, sendCommand, inboxCommand, fetchCommand, directoryCommand, reviewCommand, agentCommand, statusCommand];

function help(): string {
  const lines = ['Usage: sealpost <command> [options]', '', 'Commands:'];
  for (const group of groups) lines.push(`  ${group.name.padEnd(10)} ${group.summary}`);
  lines.push('', 'Run `sealpost <command> --help` for the options of a command.');
  return lines.join('\n') + '\n';
}

/**
 * Runs the `sealpost` command line and resolves to its exit code: 0 success, 1 a reported failure
 * (bad input, a check that did not hold), 2 wrong usage.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(help());
    return name === undefined ? 2 : 0;
  }
  const group = groups.find((g) => g.name === name);
  if (!group) {
    io.stderr(`sealpost: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  if (rest.length === 0 || rest[0] === '--help' || rest[0] === '-h') {
    io.stdout(group.usage);
    return rest.length === 0 ? 2 : 0;
  }
  try {
    return await group.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError || (error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) {
      io.stderr(`sealpost ${group.name}: ${error.message}\n\n${group.usage}`);
      return 2;
    }
    throw error;
  }
}
