import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { convertFhirToHl7v2, convertHl7v2ToFhir, validateFhir } from '@sealpost/sdk/fhir';
import type { ConversionNote, FhirIssue, Hl7v2Profile } from '@sealpost/sdk/fhir';
import { SealpostError } from '@sealpost/sdk';
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

const convertUsage = `Usage: sealpost convert FILE --to fhir
       sealpost convert FILE --to hl7v2 [--profile au-ref-l1|au-ref-l2|mdm-t02|oru-r01]

  --to fhir     an HL7 v2 message (ORU^R01, MDM^T02, REF^I12, ADT) → a FHIR R4 message Bundle
                (JSON) on stdout
  --to hl7v2    a FHIR R4 JSON file (a document, message or collection Bundle, or a resource)
                → an HL7 v2 message on stdout. Default profile: the form a bundle converted
                from v2 came from; else au-ref-l2 for a document or ServiceRequest, oru-r01 for
                a DiagnosticReport, mdm-t02 for a DocumentReference. The input is validated
                first; problems print as FILE: LOCATION: reason.

What the target form cannot carry is listed on stderr as FIELD: reason (the conversion report).
Exit status: 0 converted, 1 the input could not be read or converted, 2 wrong usage.
`;

const PROFILES: readonly Hl7v2Profile[] = ['au-ref-l1', 'au-ref-l2', 'mdm-t02', 'oru-r01'];

function printReport(report: readonly ConversionNote[], io: CliIo): void {
  for (const note of report) io.stderr(`${note.field}: ${note.reason}\n`);
}

async function convert(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { to: { type: 'string' }, profile: { type: 'string' }, 'max-bytes': { type: 'string' } }, allowPositionals: true });
  if (positionals.length !== 1) throw new UsageError('convert takes exactly one FILE');
  if (values.to !== 'fhir' && values.to !== 'hl7v2') throw new UsageError('--to must be fhir or hl7v2');
  if (values.profile !== undefined && (values.to !== 'hl7v2' || !PROFILES.includes(values.profile as Hl7v2Profile))) {
    throw new UsageError(`--profile goes with --to hl7v2 and is one of ${PROFILES.join(', ')}`);
  }
  const maxBytes = values['max-bytes'] === undefined ? DEFAULT_MAX_BYTES : Number(values['max-bytes']);
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw new UsageError('--max-bytes must be a positive integer');
  const file = positionals[0]!;
  const input = await readLimited(resolve(io.cwd, file), maxBytes);
  if (!(input instanceof Uint8Array)) {
    io.stderr(`${file}: ${input.location}: ${input.reason}\n`);
    return 1;
  }
  try {
    if (values.to === 'fhir') {
      const { bundle, report } = convertHl7v2ToFhir(input, { parse: { maxBytes } });
      io.stdout(JSON.stringify(bundle, null, 2) + '\n');
      printReport(report, io);
      return 0;
    }
    const checked = validateFhir(input, { maxBytes });
    if (!checked.valid || !checked.resource) {
      for (const issue of checked.issues) io.stderr(`${file}: ${issue.location}: ${issue.reason}\n`);
      return 1;
    }
    const options = values.profile === undefined ? {} : { profile: values.profile as Hl7v2Profile };
    const { message, report } = convertFhirToHl7v2(checked.resource, options);
    io.stdout(message.toString() + '\r');
    printReport(report, io);
    return 0;
  } catch (error) {
    if (!(error instanceof SealpostError)) throw error;
    // Hl7ParseError messages already say where; others get the code for a script to match.
    io.stderr(`${file}: ${error.code}: ${error.message}\n`);
    return 1;
  }
}

/** `sealpost convert FILE --to fhir|hl7v2 [--profile …]`: HL7 v2 ↔ FHIR with the conversion report on stderr. */
export const convertCommand: CommandGroup = {
  name: 'convert',
  summary: 'convert between HL7 v2 (REF^I12, ORU^R01, MDM^T02, ADT) and FHIR R4',
  usage: convertUsage,
  run: convert,
};
