import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { validateFhir } from '@sealpost/sdk/fhir';
import type { FhirIssue } from '@sealpost/sdk/fhir';
import type { CliIo, CommandGroup } from '../io.js';
import { UsageError } from '../io.js';

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

const usage = `Usage: sealpost fhir <command> …

Commands:
  validate FILE… [--json] [--max-bytes N]
        validate FHIR R4 JSON files: HL7's R4 JSON schema, bundle rules (references resolve,
        unique fullUrls, document/message first entry), Sealpost profiles, identifier check
        digits. Prints each problem as FILE: LOCATION: reason (with --json, one JSON object per
        file: {file, valid, issues: [{code, location, reason}]}). Exit 0 only when every file is valid.

Exit status: 0 success, 1 a reported failure, 2 wrong usage.
`;

async function readLimited(path: string, maxBytes: number): Promise<Uint8Array | FhirIssue> {
  try {
    // Check the size first so a huge file is refused without being read into memory.
    const size = (await stat(path)).size;
    if (size > maxBytes) return { code: 'ERR_FHIR_TOO_LARGE', location: '(input)', reason: `${size} bytes is over the limit of ${maxBytes} bytes (--max-bytes)` };
    return new Uint8Array(await readFile(path));
  } catch (error) {
    return { code: 'ERR_FHIR_JSON', location: '(file)', reason: `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}` };
  }
}

async function validate(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean', default: false }, 'max-bytes': { type: 'string' } }, allowPositionals: true });
  if (positionals.length === 0) throw new UsageError('validate needs at least one FILE');
  const maxBytes = values['max-bytes'] === undefined ? DEFAULT_MAX_BYTES : Number(values['max-bytes']);
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw new UsageError('--max-bytes must be a positive integer');
  let failed = false;
  for (const file of positionals) {
    const input = await readLimited(resolve(io.cwd, file), maxBytes);
    const issues = input instanceof Uint8Array ? validateFhir(input, { maxBytes }).issues : [input];
    if (issues.length > 0) failed = true;
    if (values.json) {
      io.stdout(JSON.stringify({ file, valid: issues.length === 0, issues }) + '\n');
    } else {
      for (const issue of issues) io.stdout(`${file}: ${issue.location}: ${issue.reason}\n`);
    }
  }
  return failed ? 1 : 0;
}

const commands: Record<string, (args: string[], io: CliIo) => Promise<number>> = { validate };

export const fhirCommand: CommandGroup = {
  name: 'fhir',
  summary: 'validate FHIR R4 resources and bundles',
  usage,
  run: async (args, io) => {
    const [name, ...rest] = args;
    const command = name === undefined ? undefined : commands[name];
    if (!command) throw new UsageError(`unknown fhir command '${name ?? ''}'`);
    if (rest[0] === '--help' || rest[0] === '-h') {
      io.stdout(usage);
      return 0;
    }
    return command(rest, io);
  },
};
