import { randomBytes, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SealpostError } from '@sealpost/sdk';
import { createDevCa, fromPem, generateIdentity, unlockIdentity } from '@sealpost/sdk/crypto';
import { readIdentityDir, writeIdentityDir } from '@sealpost/sdk/node';
import type { CliIo, CommandGroup } from '../io.js';
import { UsageError } from '../io.js';
import { loadIdentity, reportError } from './crypto-io.js';
import { relayDirectory } from './directory.js';

const usage = `Usage:
  sealpost relay start [--db sqlite:PATH | --db postgres://…] [--host 127.0.0.1] [--port 7311] [--domain DOMAIN]
                       [--tls-key KEY.pem --tls-cert CERT.pem] [--log-level info]
                       [--expiry-days 5] [--retention-days 7] [--max-submission-mb 1024]
                       [--peer DOMAIN=URL … --relay-id DIR [--passphrase-file FILE]]
  sealpost relay mailbox add ADDRESS --cert CERT.pem [--db …]
  sealpost relay invite [ADDRESS] [--days 7] [--db …]
  sealpost relay demo [--data DIR] [--port 7311]
  sealpost relay directory import FILE.json [--db …] [--skip-invalid] [--json]

start   runs a relay (Ctrl-C or SIGTERM stops it gracefully, finishing in-flight submissions).
        --db defaults to sqlite:sealpost-data/relay.db. Plain HTTP is only allowed on loopback.
        Unacknowledged messages expire after --expiry-days; acknowledged ones are purged after
        --retention-days.
        --peer DOMAIN=URL (repeatable) pins the relay of another mail domain: submissions for it
        are queued and forwarded there, and only pinned relays may forward here. Forwards are
        signed with the relay identity in --relay-id DIR (a certificate naming relay@DOMAIN,
        passphrase from --passphrase-file or SEALPOST_PASSPHRASE); --domain is then required.
mailbox add  binds ADDRESS to the identity certificate CERT.pem (which must name ADDRESS).
invite  prints a one-time code with which a key holder registers ADDRESS (or any address).
demo    first run: creates DIR (default .sealpost-demo) with a development CA, two demo
        mailboxes and their identities; then runs the relay and prints the commands to send a
        letter from one to the other and read it.
`;

const DEFAULT_DB = 'sqlite:sealpost-data/relay.db';

/** The relay package is loaded only by these commands, so the rest of the CLI never needs it. */
const loadRelay = () =>
  import('@sealpost/relay').catch((error: unknown) => {
    if ((error as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
    // The built CLI under plain Node cannot load the relay's TypeScript sources (decisions D-RELAY-4).
    throw new SealpostError('ERR_CLI_RELAY_SOURCES', 'the relay runs from its TypeScript sources: use `npm run sealpost -- relay …` or `npm start`', { cause: error });
  });

function dbArg(io: CliIo, db: string | undefined): string {
  const value = db ?? DEFAULT_DB;
  if (/^postgres(ql)?:\/\//.test(value)) return value;
  const path = value.startsWith('sqlite:') ? value.slice(7) : value;
  return `sqlite:${resolve(io.cwd, path)}`;
}

/** `--peer DOMAIN=URL` values → domain (lower case) → URL; a malformed one is a usage error. */
export function parsePeers(values: string[]): Record<string, string> {
  const peers: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf('=');
    const domain = value.slice(0, at).trim().toLowerCase();
    const url = value.slice(at + 1).trim();
    if (at <= 0 || !/^[a-z0-9.-]+$/.test(domain) || !/^https?:\/\/[^/]+\/?$/.test(url)) throw new UsageError(`--peer: '${value}' is not DOMAIN=URL (e.g. b.example=https://relay.b.example)`);
    if (Object.hasOwn(peers, domain)) throw new UsageError(`--peer: ${domain} given twice`);
    peers[domain] = url.replace(/\/$/, '');
  }
  return peers;
}

async function start(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      db: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      domain: { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-cert': { type: 'string' },
      'log-level': { type: 'string' },
      'expiry-days': { type: 'string' },
      'retention-days': { type: 'string' },
      'max-submission-mb': { type: 'string' },
      peer: { type: 'string', multiple: true },
      'relay-id': { type: 'string' },
      'passphrase-file': { type: 'string' },
    },
  });
  const positive = (name: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!(n > 0)) throw new UsageError(`--${name}: '${value}' is not a positive number`);
    return n;
  };
  const expiryDays = positive('expiry-days', values['expiry-days']);
  const retentionDays = positive('retention-days', values['retention-days']);
  const maxSubmissionMb = positive('max-submission-mb', values['max-submission-mb']);
  if ((values['tls-key'] === undefined) !== (values['tls-cert'] === undefined)) throw new UsageError('--tls-key and --tls-cert go together');
  const port = Number(values.port ?? 7311);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: '${values.port}' is not a port`);
  const peers = parsePeers(values.peer ?? []);
  const federated = Object.keys(peers).length > 0;
  if (federated && (values['relay-id'] === undefined || values.domain === undefined)) throw new UsageError('--peer needs --domain and --relay-id DIR (the relay identity that signs forwards)');
  const identity = values['relay-id'] !== undefined ? await loadIdentity(io, values['relay-id'], values['passphrase-file']) : undefined;
  const relay = await loadRelay();
  const store = await relay.openStore(dbArg(io, values.db));
  try {
    const tls = values['tls-key'] ? { key: await readFile(resolve(io.cwd, values['tls-key'])), cert: await readFile(resolve(io.cwd, values['tls-cert']!)) } : undefined;
    const server = await relay.startServer({
      store,
      host: values.host ?? '127.0.0.1',
      port,
      handleSignals: true,
      logger: { level: values['log-level'] ?? 'info' },
      ...(values.domain ? { domain: values.domain.toLowerCase() } : {}),
      ...(tls ? { tls } : {}),
      ...(expiryDays ? { expiryMs: expiryDays * 86_400_000 } : {}),
      ...(retentionDays ? { retentionMs: retentionDays * 86_400_000 } : {}),
      ...(maxSubmissionMb ? { maxSubmissionBytes: Math.floor(maxSubmissionMb * 1024 * 1024) } : {}),
      ...(federated ? { peers } : {}),
      ...(identity ? { identity } : {}),
    });
    io.stdout(`relay listening on ${server.url} (${store.kind})\n`);
    return 0;
  } catch (error) {
    await store.close();
    if (error instanceof RangeError) {
      io.stderr(`sealpost relay start: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

async function mailboxAdd(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { cert: { type: 'string' }, db: { type: 'string' } } });
  if (positionals.length !== 1 || !values.cert) throw new UsageError('relay mailbox add needs ADDRESS and --cert');
  const address = positionals[0]!.toLowerCase();
  const der = fromPem(await readFile(resolve(io.cwd, values.cert), 'utf8'), 'CERTIFICATE')[0];
  if (!der) throw new SealpostError('ERR_CLI_NO_CERTIFICATE', `${values.cert}: no CERTIFICATE block`);
  if (new X509Certificate(der).checkEmail(address, { subject: 'default' }) === undefined) {
    io.stderr(`sealpost relay mailbox add: ${values.cert} does not name ${address} (rfc822Name)\n`);
    return 1;
  }
  const relay = await loadRelay();
  const store = await relay.openStore(dbArg(io, values.db));
  try {
    const result = await store.addMailbox({ address, certificate: der, createdAt: Date.now() });
    io.stdout(result === 'created' ? `mailbox ${address} added\n` : `mailbox ${address} already exists\n`);
    return result === 'created' ? 0 : 1;
  } finally {
    await store.close();
  }
}

async function invite(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { days: { type: 'string' }, db: { type: 'string' } } });
  const days = Number(values.days ?? 7);
  if (!(days > 0)) throw new UsageError(`--days: '${values.days}' is not a positive number`);
  const relay = await loadRelay();
  const store = await relay.openStore(dbArg(io, values.db));
  try {
    const code = randomBytes(18).toString('base64url');
    await store.createInvite({ codeHash: relay.hashInvite(code), address: positionals[0]?.toLowerCase() ?? null, expiresAt: Date.now() + days * 86_400_000 });
    io.stdout(`${code}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

const DEMO_PASSPHRASE = 'sealpost-demo-passphrase';
const DEMO_DOMAIN = 'demo.sealpost.test';

async function demo(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { data: { type: 'string' }, port: { type: 'string' } } });
  const data = resolve(io.cwd, values.data ?? '.sealpost-demo');
  const port = Number(values.port ?? 7311);
  const passphraseFile = join(data, 'passphrase.txt');
  const names = ['alice', 'bob'] as const;
  const relay = await loadRelay();
  if (!existsSync(join(data, 'bob', 'cert.pem'))) {
    // First run: a development CA and two identities it issues, all under DATA.
    await mkdir(data, { recursive: true, mode: 0o700 });
    await writeFile(passphraseFile, `${DEMO_PASSPHRASE}\n`, { mode: 0o600 });
    await chmod(passphraseFile, 0o600);
    const ca = await createDevCa({ name: 'Sealpost Demo CA' });
    await writeIdentityDir(join(data, 'ca'), { certificate: ca.identity.certificate, chain: [], encryptedKey: await ca.exportEncryptedKey(DEMO_PASSPHRASE) });
    for (const name of names) {
      const generated = await generateIdentity({ name: `Demo ${name}`, address: `${name}@${DEMO_DOMAIN}`, issuer: ca.identity });
      await writeIdentityDir(join(data, name), { certificate: generated.identity.certificate, chain: generated.identity.chain, encryptedKey: await generated.exportEncryptedKey(DEMO_PASSPHRASE) });
    }
    await writeFile(join(data, 'letter.txt'), 'Dear Bob,\n\nThank you for seeing Ms Citizen. Her results are attached in the next letter.\n\nKind regards,\nAlice\n');
  }
  const store = await relay.openStore(`sqlite:${join(data, 'relay.db')}`);
  for (const name of names) {
    const stored = await readIdentityDir(join(data, name));
    // Unlock once to prove the demo files are intact before printing commands that use them.
    await unlockIdentity(stored, DEMO_PASSPHRASE);
    await store.addMailbox({ address: `${name}@${DEMO_DOMAIN}`, certificate: stored.certificate, createdAt: Date.now() });
  }
  const server = await relay.startServer({ store, host: '127.0.0.1', port, handleSignals: true, logger: { level: 'warn' }, domain: DEMO_DOMAIN });
  const rel = (p: string): string => relative(io.cwd, p) || '.';
  const common = `--relay ${server.url} --passphrase-file ${rel(passphraseFile)}`;
  io.stdout(
    [
      `Sealpost demo relay on ${server.url} (SQLite: ${rel(join(data, 'relay.db'))})`,
      `Mailboxes: alice@${DEMO_DOMAIN}, bob@${DEMO_DOMAIN} (identities in ${rel(data)}/alice and ${rel(data)}/bob, issued by ${rel(data)}/ca)`,
      '',
      'In another terminal, send a letter from Alice to Bob:',
      `  npm run sealpost -- send ${common} --id ${rel(join(data, 'alice'))} --to bob@${DEMO_DOMAIN} --to-cert ${rel(join(data, 'bob', 'cert.pem'))} --media-type text/plain ${rel(join(data, 'letter.txt'))}`,
      "List Bob's inbox:",
      `  npm run sealpost -- inbox ${common} --id ${rel(join(data, 'bob'))}`,
      'Fetch, verify, store and acknowledge it:',
      `  npm run sealpost -- fetch ${common} --id ${rel(join(data, 'bob'))} --trust ${rel(join(data, 'ca', 'cert.pem'))} --out ${rel(join(data, 'received'))} --ack`,
      '',
      'Ctrl-C stops the relay.',
      '',
    ].join('\n'),
  );
  return 0;
}

/** `sealpost relay`: run a relay and manage its mailboxes. */
export const relayCommand: CommandGroup = {
  name: 'relay',
  summary: 'run a relay (SQLite or PostgreSQL), add mailboxes, issue invites, run the demo',
  usage,
  run: async (args, io) => {
    const [verb, ...rest] = args;
    try {
      if (verb === 'start') return await start(rest, io);
      if (verb === 'demo') return await demo(rest, io);
      if (verb === 'invite') return await invite(rest, io);
      if (verb === 'mailbox' && rest[0] === 'add') return await mailboxAdd(rest.slice(1), io);
      if (verb === 'directory') return await relayDirectory(rest, io);
      throw new UsageError(`unknown relay command '${[verb, ...rest.slice(0, 1)].join(' ')}'`);
    } catch (error) {
      if (error instanceof UsageError) throw error;
      return reportError(io, `relay ${verb}`, error);
    }
  },
};
