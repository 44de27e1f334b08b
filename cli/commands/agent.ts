import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SealpostError } from '@sealpost/sdk';
import type { CliIo, CommandGroup } from '../io.js';
import { UsageError } from '../io.js';
import { loadAgent } from './load-adapters.js';

const USAGE = `Usage:
  sealpost agent --config FILE [--check] [--json]

Runs a practice's agent next to its EMR (docs/adapters/agent.md): polls the relay inbox and files
letters through the import pipeline into the configured inbound adapters (import folder, FHIR EMR,
MLLP), sends letters the EMR writes to its outbox folders, sends receipts back through the relay,
keeps unmatched letters in the review queue (sealpost review --db STATE), answers GET /healthz on
loopback, and logs JSON lines (pino). SIGTERM or SIGINT: finish the work in progress, exit 0.

--check validates the configuration and exits: 0 valid, 1 invalid (every bad member listed by
path; --json prints {valid, problems}). The identity passphrase comes from identity.passphraseFile
or the SEALPOST_PASSPHRASE variable.
`;

/** The first SIGTERM or SIGINT of the process; `dispose` removes the handlers. */
function shutdownSignal(): { received: Promise<string>; dispose: () => void } {
  let on: (signal: string) => void = () => {};
  const received = new Promise<string>((done) => {
    on = (signal: string): void => {
      dispose();
      done(signal);
    };
  });
  const dispose = (): void => {
    process.off('SIGTERM', on);
    process.off('SIGINT', on);
  };
  process.once('SIGTERM', on);
  process.once('SIGINT', on);
  return { received, dispose };
}

async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string' }, check: { type: 'boolean' }, json: { type: 'boolean' } } });
  if (!values.config) throw new UsageError('--config FILE is required');
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  let adapters;
  try {
    adapters = await loadAgent('agent');
  } catch (error) {
    if (!(error instanceof SealpostError)) throw error;
    io.stderr(`sealpost agent: ${error.code}: ${error.message}\n`);
    return 1;
  }
  const { loadAgentConfig, startAgent, AgentConfigError } = adapters;
  const file = resolve(io.cwd, values.config);
  let config;
  try {
    config = loadAgentConfig(file);
  } catch (error) {
    if (!(error instanceof AgentConfigError)) throw error;
    if (values.json) io.stdout(`${JSON.stringify({ valid: false, problems: error.problems }, null, 2)}\n`);
    else io.stderr(`sealpost agent: ${error.code}: ${file} is not valid:\n${error.problems.map((p) => `  ${p.path}: ${p.message}\n`).join('')}`);
    return 1;
  }
  if (values.check) {
    if (values.json) io.stdout(`${JSON.stringify({ valid: true, problems: [] })}\n`);
    else io.stdout(`${file}: valid (${config.inbound.length} inbound, ${config.outbound.length} outbound adapters)\n`);
    return 0;
  }
  // Listening before the start: a SIGTERM while the agent starts still stops it cleanly.
  const stop = shutdownSignal();
  let agent;
  try {
    agent = await startAgent(config, { ...(io.env['SEALPOST_PASSPHRASE'] !== undefined ? { passphrase: io.env['SEALPOST_PASSPHRASE'] } : {}) });
  } catch (error) {
    stop.dispose();
    io.stderr(`sealpost agent: cannot start: ${error instanceof SealpostError ? `${error.code}: ` : ''}${(error as Error).message}\n`);
    return 1;
  }
  await stop.received;
  await agent.stop();
  return 0;
}

/** `sealpost agent --config FILE [--check]`: a practice's agent (inbox, adapters, outbox, review queue, health). */
export const agentCommand: CommandGroup = { name: 'agent', summary: "Run a practice's agent next to its EMR (--check validates the config)", usage: USAGE, run };
