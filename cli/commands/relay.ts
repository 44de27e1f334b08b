import { randomBytes, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SealpostError } from '@sealpost/sdk';
import { createDevCa, fromPem, generateIdentity, unlockIdentity } from '@sealpost/sdk/crypto';
import type { Identity } from '@sealpost/sdk/crypto';
import { PAYLOAD_TYPES } from '@sealpost/sdk/directory';
import type { PayloadType } from '@sealpost/sdk/directory';
import { readIdentityDir, writeIdentityDir } from '@sealpost/sdk/node';
import type { CliIo, CommandGroup } from '../io.js';
import { UsageError } from '../io.js';
import { loadIdentity, reportError, secret } from './crypto-io.js';
import { relayDirectory } from './directory.js';

const usage = `Usage:
  sealpost relay start [--db sqlite:PATH | --db postgres://…] [--host 127.0.0.1] [--port 7311] [--domain DOMAIN]
                       [--tls-key KEY.pem --tls-cert CERT.pem] [--log-level info]
                       [--expiry-days 5] [--retention-days 7] [--max-submission-mb 1024]
                       [--public-url URL] [--peer DOMAIN=URL …] [--pinned-only] [--cors-origin ORIGIN …]
                       [--relay-id DIR | --data DIR] [--passphrase-file FILE]
  sealpost relay mailbox add ADDRESS --cert CERT.pem [--payload TYPE …] [--relay-url URL] [--db …]
  sealpost relay invite [ADDRESS] [--days 7] [--db …]
  sealpost relay demo [--data DIR] [--port 7311]
  sealpost relay directory import FILE.json [--db …] [--skip-invalid] [--json]

start   runs a relay (Ctrl-C or SIGTERM stops it gracefully, finishing in-flight submissions).
        --db defaults to sqlite:sealpost-data/relay.db. Plain HTTP is only allowed on loopback.
        Unacknowledged messages expire after --expiry-days; acknowledged ones are purged after
        --retention-days.
        It serves the signed provider directory under /fhir (same database) and
        /.well-known/sealpost, and publishes its own relay Endpoint there (URL: --public-url, else
        the loopback address it listens on).
        The relay always has a relay identity (a certificate naming relay@DOMAIN; it signs
        directory answers and forwards): --relay-id DIR, else DATA/relay-id, created self-signed
        on first start (DATA: --data, default the SQLite file's folder or sealpost-data). Its
        passphrase comes from --passphrase-file or SEALPOST_PASSPHRASE; when neither is given on
        first start, a random one is written to DATA/relay-id.passphrase (mode 0600).
        --peer DOMAIN=URL (repeatable) pins the relay of another mail domain: submissions for it
        are queued and forwarded there. With --domain, mail for any other domain is forwarded too:
        its relay is found through the directory (a relay Endpoint for the domain) or
        https://DOMAIN/.well-known/sealpost; --pinned-only forwards to pinned peers only.
        --cors-origin ORIGIN (repeatable) lets that web page or extension origin call the relay
        from a browser (https://app.example, chrome-extension://ID, or * for any); default none.
mailbox add  binds ADDRESS to the identity certificate CERT.pem (which must name ADDRESS) and
        publishes its Endpoint in the relay's directory: address, relay URL (--relay-url, default
        the URL the relay published when it last started), accepted payload types (--payload,
        repeatable, best first: fhir-document, hl7v2-ref-i12-l2, hl7v2-ref-i12-l1; default all
        three) and the certificate. Running it again for an existing mailbox (same certificate)
        publishes the Endpoint again.
invite  prints a one-time code with which a key holder registers ADDRESS (or any address).
demo    first run: creates DIR (default .sealpost-demo) with a development CA, two demo
        mailboxes and their identities; then runs the relay and prints the commands to send a
        letter from one to the other and read it.
`;

const DEFAULT_DB = 'sqlite:sealpost-data/relay.db';

/** The relay package is loaded only by these commands, so the rest of the CLI never needs it. */
const loadRelay = () =>
  import('@sealpost/relay').catch((error: unknown) => {
    const { code, message } = error as { code?: string; message?: string };
    // The built CLI under plain Node needs relay/dist (decisions D-RELAY-4); it cannot load sources.
    const unbuilt = code === 'ERR_MODULE_NOT_FOUND' && /[/\\]relay[/\\]dist[/\\]/.test(message ?? '');
    if (code !== 'ERR_UNKNOWN_FILE_EXTENSION' && !unbuilt) throw error;
    throw new SealpostError('ERR_CLI_RELAY_SOURCES', 'the relay is not built (relay/dist): run `npm run build`, or from a checkout `npm run sealpost -- relay …` or `npm start`', { cause: error });
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

/**
 * The relay identity: `--relay-id DIR`, else DATA/relay-id, created self-signed on first start
 * (naming relay@DOMAIN, or relay@localhost without --domain). A certificate that does not name the
 * domain is refused, so a data folder is not silently reused for another domain.
 */
async function relayIdentity(io: CliIo, options: { dir: string | undefined; data: string; passphraseFile: string | undefined; domain: string | undefined }): Promise<Identity> {
  const name = `relay@${options.domain ?? 'localhost'}`;
  const check = (identity: Identity, where: string): Identity => {
    if (options.domain !== undefined && new X509Certificate(identity.certificate).checkEmail(name, { subject: 'never' }) === undefined && new X509Certificate(identity.certificate).checkHost(options.domain, { subject: 'never' }) === undefined) {
      throw new SealpostError('ERR_CLI_RELAY_IDENTITY', `the relay identity in ${where} does not name ${name} (pass --relay-id DIR for this domain, or another --data folder)`);
    }
    return identity;
  };
  if (options.dir !== undefined) return check(await loadIdentity(io, options.dir, options.passphraseFile), options.dir);
  const dir = join(options.data, 'relay-id');
  const generatedPassphrase = join(options.data, 'relay-id.passphrase');
  const passphraseFile = options.passphraseFile ?? (io.env.SEALPOST_PASSPHRASE === undefined && existsSync(generatedPassphrase) ? generatedPassphrase : undefined);
  if (existsSync(join(dir, 'cert.pem'))) return check(await loadIdentity(io, dir, passphraseFile), dir);
  let passphrase: string;
  if (options.passphraseFile !== undefined || io.env.SEALPOST_PASSPHRASE !== undefined) {
    passphrase = await secret(io, 'passphrase', options.passphraseFile, 'SEALPOST_PASSPHRASE');
  } else {
    passphrase = randomBytes(24).toString('base64url');
    await mkdir(options.data, { recursive: true, mode: 0o700 });
    await writeFile(generatedPassphrase, `${passphrase}\n`, { mode: 0o600 });
    await chmod(generatedPassphrase, 0o600);
  }
  const generated = await generateIdentity({ name, address: name, validityDays: 825 });
  await writeIdentityDir(dir, { certificate: generated.identity.certificate, chain: [], encryptedKey: await generated.exportEncryptedKey(passphrase) });
  io.stderr(`sealpost relay start: created the relay identity ${name} (self-signed) in ${relative(io.cwd, dir) || '.'}; clients trust its directory with --trust ${relative(io.cwd, join(dir, 'cert.pem'))}\n`);
  return generated.identity;
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
      'pinned-only': { type: 'boolean' },
      'cors-origin': { type: 'string', multiple: true },
      'public-url': { type: 'string' },
      'relay-id': { type: 'string' },
      data: { type: 'string' },
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
  if (federated && values.domain === undefined) throw new UsageError('--peer needs --domain (and the relay identity, --relay-id DIR or DATA/relay-id, signs forwards)');
  const publicUrl = values['public-url']?.replace(/\/$/, '');
  if (publicUrl !== undefined && !/^https?:\/\/[^/]+$/.test(publicUrl)) throw new UsageError(`--public-url: '${values['public-url']}' is not an http(s) base URL`);
  const corsOrigins = (values['cors-origin'] ?? []).map((o) => o.replace(/\/$/, ''));
  for (const origin of corsOrigins) if (origin !== '*' && !/^[a-z][a-z0-9+.-]*:\/\/[^/]+$/.test(origin)) throw new UsageError(`--cors-origin: '${origin}' is not an origin (scheme://host[:port]) or *`);
  const domain = values.domain?.toLowerCase();
  const db = dbArg(io, values.db);
  const identity = await relayIdentity(io, {
    dir: values['relay-id'],
    data: resolve(io.cwd, values.data ?? (db.startsWith('sqlite:') ? dirname(db.slice('sqlite:'.length)) : 'sealpost-data')),
    passphraseFile: values['passphrase-file'],
    domain,
  });
  const relay = await loadRelay();
  const store = await relay.openStore(db);
  let directory: Awaited<ReturnType<typeof relay.openDirectoryStore>> | undefined;
  try {
    directory = await relay.openDirectoryStore(db);
    const tls = values['tls-key'] ? { key: await readFile(resolve(io.cwd, values['tls-key'])), cert: await readFile(resolve(io.cwd, values['tls-cert']!)) } : undefined;
    const server = await relay.startServer({
      store,
      host: values.host ?? '127.0.0.1',
      port,
      handleSignals: true,
      logger: { level: values['log-level'] ?? 'info' },
      ...(domain ? { domain } : {}),
      ...(publicUrl ? { publicUrl } : {}),
      directory: { store: directory, signer: identity, ...(publicUrl ? { publicUrl } : {}) },
      discoverPeers: domain !== undefined && !values['pinned-only'],
      ...(corsOrigins.length > 0 ? { corsOrigins } : {}),
      ...(tls ? { tls } : {}),
      ...(expiryDays ? { expiryMs: expiryDays * 86_400_000 } : {}),
      ...(retentionDays ? { retentionMs: retentionDays * 86_400_000 } : {}),
      ...(maxSubmissionMb ? { maxSubmissionBytes: Math.floor(maxSubmissionMb * 1024 * 1024) } : {}),
      ...(federated ? { peers } : {}),
      identity,
    });
    // The directory store lives as long as the process: the graceful shutdown exits once the
    // relay store is closed, and the directory only reads between imports.
    io.stdout(`relay listening on ${server.url} (${store.kind})\n`);
    return 0;
  } catch (error) {
    await store.close();
    await directory?.close();
    if (error instanceof RangeError) {
      io.stderr(`sealpost relay start: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

const KNOWN_PAYLOADS = new Set<string>(Object.values(PAYLOAD_TYPES));

async function mailboxAdd(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { cert: { type: 'string' }, db: { type: 'string' }, payload: { type: 'string', multiple: true }, 'relay-url': { type: 'string' } },
  });
  if (positionals.length !== 1 || !values.cert) throw new UsageError('relay mailbox add needs ADDRESS and --cert');
  const payloadTypes = values.payload?.flatMap((p) => p.split(',')).map((p) => p.trim());
  for (const p of payloadTypes ?? []) if (!KNOWN_PAYLOADS.has(p)) throw new UsageError(`--payload: '${p}' is not one of ${[...KNOWN_PAYLOADS].join(', ')}`);
  const relayUrlArg = values['relay-url']?.replace(/\/$/, '');
  if (relayUrlArg !== undefined && !/^https?:\/\/[^/]+$/.test(relayUrlArg)) throw new UsageError(`--relay-url: '${values['relay-url']}' is not an http(s) base URL`);
  const address = positionals[0]!.toLowerCase();
  const der = fromPem(await readFile(resolve(io.cwd, values.cert), 'utf8'), 'CERTIFICATE')[0];
  if (!der) throw new SealpostError('ERR_CLI_NO_CERTIFICATE', `${values.cert}: no CERTIFICATE block`);
  if (new X509Certificate(der).checkEmail(address, { subject: 'default' }) === undefined) {
    io.stderr(`sealpost relay mailbox add: ${values.cert} does not name ${address} (rfc822Name)\n`);
    return 1;
  }
  const relay = await loadRelay();
  const db = dbArg(io, values.db);
  const store = await relay.openStore(db);
  const directory = await relay.openDirectoryStore(db).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  try {
    const domain = address.slice(address.lastIndexOf('@') + 1);
    // The relay URL its last start published (its relay Endpoint), unless given.
    const relayUrl = relayUrlArg ?? (await relay.findRelayUrl(directory, domain));
    const mailbox = { address, certificate: der, createdAt: Date.now() };
    if (relayUrl === undefined) {
      if (payloadTypes) throw new UsageError(`no relay URL is known for ${domain} (start the relay with --domain ${domain} once, or pass --relay-url)`);
      // Still safe: the directory publishes a local mailbox's missing Endpoint on its first lookup.
      const result = await store.addMailbox(mailbox);
      io.stdout(result === 'created' ? `mailbox ${address} added\n` : `mailbox ${address} already exists\n`);
      io.stderr(`sealpost relay mailbox add: no relay URL known for ${domain} yet: the Endpoint is published on the first directory lookup (or pass --relay-url)\n`);
      return result === 'created' ? 0 : 1;
    }
    const { result } = await relay.registerMailbox(store, directory, mailbox, { relayUrl, ...(payloadTypes ? { payloadTypes: payloadTypes as PayloadType[] } : {}) });
    if (result === 'conflict') {
      io.stderr(`sealpost relay mailbox add: ${address} already exists with another certificate (nothing published)\n`);
      return 1;
    }
    io.stdout(result === 'created' ? `mailbox ${address} added; Endpoint published (${relayUrl})\n` : `mailbox ${address} already exists; Endpoint published again (${relayUrl})\n`);
    return result === 'created' ? 0 : 1;
  } finally {
    await store.close();
    await directory.close();
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
  if (!existsSync(join(data, 'relay-id', 'cert.pem'))) {
    // The relay identity (signs directory answers), issued by the demo CA; demo folders made before it get one now.
    const ca = await unlockIdentity(await readIdentityDir(join(data, 'ca')), DEMO_PASSPHRASE);
    const generated = await generateIdentity({ name: `relay@${DEMO_DOMAIN}`, address: `relay@${DEMO_DOMAIN}`, issuer: ca });
    await writeIdentityDir(join(data, 'relay-id'), { certificate: generated.identity.certificate, chain: generated.identity.chain, encryptedKey: await generated.exportEncryptedKey(DEMO_PASSPHRASE) });
  }
  const relayId = await unlockIdentity(await readIdentityDir(join(data, 'relay-id')), DEMO_PASSPHRASE);
  const db = `sqlite:${join(data, 'relay.db')}`;
  const store = await relay.openStore(db);
  const directory = await relay.openDirectoryStore(db);
  const mailboxes = [];
  for (const name of names) {
    const stored = await readIdentityDir(join(data, name));
    // Unlock once to prove the demo files are intact before printing commands that use them.
    await unlockIdentity(stored, DEMO_PASSPHRASE);
    mailboxes.push({ address: `${name}@${DEMO_DOMAIN}`, certificate: stored.certificate, createdAt: Date.now() });
  }
  const server = await relay.startServer({ store, host: '127.0.0.1', port, handleSignals: true, logger: { level: 'warn' }, domain: DEMO_DOMAIN, identity: relayId, directory: { store: directory, signer: relayId } });
  // Published once the URL is known (the port may be chosen by the system).
  for (const mailbox of mailboxes) await relay.registerMailbox(store, directory, mailbox, { relayUrl: server.url });
  const rel = (p: string): string => relative(io.cwd, p) || '.';
  const common = `--relay ${server.url} --passphrase-file ${rel(passphraseFile)}`;
  io.stdout(
    [
      `Sealpost demo relay on ${server.url} (SQLite: ${rel(join(data, 'relay.db'))})`,
      `Mailboxes: alice@${DEMO_DOMAIN}, bob@${DEMO_DOMAIN} (identities in ${rel(data)}/alice and ${rel(data)}/bob, issued by ${rel(data)}/ca)`,
      '',
      'In another terminal, send a letter from Alice to Bob:',
      `  npm run sealpost -- send ${common} --id ${rel(join(data, 'alice'))} --to bob@${DEMO_DOMAIN} --media-type text/plain ${rel(join(data, 'letter.txt'))}`,
      "  (Bob's certificate and payload forms come from the relay's signed directory, checked against the demo CA.)",
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
