/**
 * `sealpost directory search` (any FHIR directory, through the SDK client) and
 * `sealpost relay directory import` (loads a published directory bundle into the relay's store).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TrustStore } from '@sealpost/sdk/crypto';
import { DirectoryClient, relayDirectories } from '@sealpost/sdk/directory';
import type { CliIo, CommandGroup } from '../io.js';
import { UsageError } from '../io.js';
import { reportError, trustFrom } from './crypto-io.js';

const usage = `Usage:
  sealpost directory search TEXT (--relay URL | --directory URL [--directory URL…]) --trust CA.pem [--trust …]
                               [--count 10] [--json] [--unsigned]

search  typeahead over one or several provider directories at once (federated: answers merged and
        de-duplicated by identifier): practitioners, organisations and services whose name starts
        with TEXT (any word), with their Sealpost address. --relay URL searches that relay's
        directory federated with its peers' (read from URL/.well-known/sealpost, itself signed by
        the relay); --directory takes FHIR base URLs. Every answer must be signed by a relay whose
        certificate chains to a --trust anchor, and an answer from a relay's or peer's directory by
        that relay (relay@DOMAIN); --unsigned checks no signature (development directories only).
        Exit 1 when no directory answered.
`;

export const importUsage = `Usage: sealpost relay directory import FILE.json [--db sqlite:PATH | --db postgres://…] [--skip-invalid] [--json]

Loads a published directory (FHIR Bundle: AU provider directory or US NDH shape, or one resource)
into the relay's directory. Identifiers with check digits (HPI-I, HPI-O, NPI, NHS number, ODS) are
validated: one invalid identifier refuses the whole file (exit 1, nothing written) unless
--skip-invalid, which imports the rest and lists what it left out. --db defaults to the relay's
sqlite:sealpost-data/relay.db.
`;

const DEFAULT_DB = 'sqlite:sealpost-data/relay.db';

async function search(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      relay: { type: 'string' },
      directory: { type: 'string', multiple: true },
      trust: { type: 'string', multiple: true },
      count: { type: 'string' },
      json: { type: 'boolean' },
      unsigned: { type: 'boolean' },
    },
  });
  const text = positionals.join(' ').trim();
  if (text === '') throw new UsageError('search needs TEXT');
  if (!values.relay && !values.directory?.length) throw new UsageError('search needs --relay URL or --directory URL');
  if (!values.trust?.length && !values.unsigned) throw new UsageError('search needs --trust CA.pem (or --unsigned for a development directory)');
  const count = values.count === undefined ? 10 : Number(values.count);
  if (!Number.isInteger(count) || count < 1 || count > 100) throw new UsageError('--count must be 1 to 100');
  const trust = values.trust?.length ? await trustFrom(io, values.trust) : new TrustStore();
  const { directories, signers } = values.relay ? await relayDirectories(values.relay, { trust, requireSignature: !values.unsigned }) : { directories: [] as string[], signers: {} };
  directories.push(...(values.directory ?? []).filter((d) => !directories.includes(d)));
  const client = new DirectoryClient({ directories, trust, requireSignature: !values.unsigned, signers });
  const { contacts, failures } = await client.find(text, { count });
  // One line per failing directory (find asks each directory three questions).
  const reported = new Set<string>();
  for (const failure of failures) if (!reported.has(failure.directory) && reported.add(failure.directory)) io.stderr(`sealpost directory search: ${failure.directory}: ${failure.error.code}: ${failure.error.message}\n`);
  if (values.json) {
    io.stdout(`${JSON.stringify({ contacts: contacts.map((c) => ({ kind: c.kind, display: c.display, address: c.address ?? null, directory: c.directory, reference: `${c.resource.resourceType}/${c.resource.id}` })), failures: failures.filter((f, i) => failures.findIndex((g) => g.directory === f.directory) === i).map((f) => ({ directory: f.directory, code: f.error.code, message: f.error.message })) }, null, 2)}\n`);
  } else if (contacts.length === 0) {
    io.stdout(`no match for '${text}'\n`);
  } else {
    for (const c of contacts) io.stdout(`${c.display}${c.address ? `  <${c.address}>` : ''}${directories.length > 1 ? `  [${c.directory}]` : ''}\n`);
  }
  return new Set(failures.map((f) => f.directory)).size === directories.length ? 1 : 0;
}

/** `sealpost relay directory import …`, called by the relay command group. */
export async function relayDirectory(args: string[], io: CliIo): Promise<number> {
  const [verb, ...rest] = args;
  if (verb !== 'import') throw new UsageError(`unknown relay directory command '${verb ?? ''}'\n\n${importUsage}`);
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { db: { type: 'string' }, 'skip-invalid': { type: 'boolean' }, json: { type: 'boolean' } } });
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length) throw new UsageError(`import needs exactly one FILE.json\n\n${importUsage}`);
  let input: unknown;
  try {
    input = JSON.parse(await readFile(resolve(io.cwd, file), 'utf8'));
  } catch (error) {
    io.stderr(`sealpost relay directory import: cannot read ${file}: ${(error as Error).message}\n`);
    return 1;
  }
  // Loaded on demand, like the other relay commands: the rest of the CLI never needs the relay.
  const { importDirectory, openDirectoryStore } = await import('@sealpost/relay');
  const db = values.db ?? DEFAULT_DB;
  const store = await openDirectoryStore(/^postgres(ql)?:\/\//.test(db) ? db : `sqlite:${resolve(io.cwd, db.startsWith('sqlite:') ? db.slice('sqlite:'.length) : db)}`);
  try {
    let report;
    try {
      report = await importDirectory(store, input, { skipInvalid: values['skip-invalid'] ?? false });
    } catch (error) {
      if (error instanceof TypeError) {
        io.stderr(`sealpost relay directory import: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
    if (values.json) {
      io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      for (const issue of report.invalid) io.stderr(`${issue.location}: ${issue.reason}\n`);
      if (report.refused) io.stderr(`sealpost relay directory import: refused ${file}: ${report.invalid.length} invalid (nothing imported; --skip-invalid imports the rest)\n`);
      else io.stdout(`imported ${Object.entries(report.imported).map(([t, n]) => `${n} ${t}`).join(', ') || 'nothing'}${Object.keys(report.skipped).length ? `; skipped ${Object.entries(report.skipped).map(([t, n]) => `${n} ${t}`).join(', ')}` : ''}${report.invalid.length ? `; left out ${report.invalid.length} invalid` : ''}\n`);
    }
    return report.refused ? 1 : 0;
  } finally {
    await store.close();
  }
}

/** `sealpost directory`: search provider directories. */
export const directoryCommand: CommandGroup = {
  name: 'directory',
  summary: 'search provider directories (federated, signed answers verified)',
  usage,
  run: async (args, io) => {
    const [verb, ...rest] = args;
    try {
      if (verb === 'search') return await search(rest, io);
      throw new UsageError(`unknown directory command '${verb ?? ''}'`);
    } catch (error) {
      if (error instanceof UsageError || (error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) throw error;
      return reportError(io, `directory ${verb ?? ''}`, error);
    }
  },
};
