/**
 * Starts N relays on 127.0.0.1 for federation tests: each has its own mail domain, port, relay
 * identity (`relay@DOMAIN`, issued by one test CA), relay store and directory store (SQLite files
 * or PostgreSQL databases), serves the signed directory under /fhir, and pins every other relay as
 * a peer (`--peer`; loopback has no DNS, so discovery tests inject a resolver instead). Relays can
 * be stopped and restarted on the same port with the same data. Mailboxes get an identity (also
 * written as an identity directory for CLI tests) and a published directory Endpoint.
 *
 * @example
 * const fed = await startFederation({ domains: ['a.example', 'b.example'], backend: sqliteBackend() });
 * const alice = await fed.relay('a.example').addMailbox('alice');
 * …
 * await fed.close();
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createDevCa, generateIdentity, toPem, TrustStore } from '@sealpost/sdk/crypto';
import type { Identity } from '@sealpost/sdk/crypto';
import type { PayloadType } from '@sealpost/sdk/directory';
import { writeIdentityDir } from '@sealpost/sdk/node';
import { RelayClient } from '@sealpost/sdk/transport';
import { openDirectoryStore } from '../../relay/directory/storage/open-directory-store.js';
import type { DirectoryStore } from '../../relay/directory/storage/types.js';
import { registerMailbox } from '../../relay/directory/register-mailbox.js';
import { startServer } from '../../relay/server.js';
import type { RunningServer, StartServerOptions } from '../../relay/server.js';
import { openStore } from '../../relay/storage/open-store.js';
import type { RelayStore } from '../../relay/storage/types.js';
import { postgresUnavailable, startPostgres } from '../relay/postgres-server.js';
import type { PostgresServer } from '../relay/postgres-server.js';

/** The passphrase of every identity directory the harness writes. */
export const HARNESS_PASSPHRASE = 'federation-harness-passphrase';

/** Where each relay keeps its data: one database (SQLite file or PostgreSQL database) per relay. */
export interface Backend {
  kind: 'sqlite' | 'postgres';
  /** A fresh, empty database: a `--db` value (`sqlite:PATH` or `postgres://…`). */
  newDatabase(): Promise<string>;
  /** Removes what the backend made (temp files, the PostgreSQL cluster). */
  cleanup(): Promise<void>;
}

export function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-fed-sqlite-'));
  return {
    kind: 'sqlite',
    newDatabase: async () => `sqlite:${join(dir, `${randomUUID()}.db`)}`,
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A throwaway PostgreSQL cluster (test/relay/postgres-server.ts); undefined with the reason when it cannot run. */
export async function postgresBackend(): Promise<Backend> {
  const missing = postgresUnavailable();
  if (missing !== undefined) throw new Error(`PostgreSQL unavailable: ${missing}`);
  const server: PostgresServer = await startPostgres();
  return { kind: 'postgres', newDatabase: () => server.createDatabase(), cleanup: () => server.stop() };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a value (not undefined). */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface HarnessMailbox {
  address: string;
  identity: Identity;
  /** Identity directory (cert.pem, chain.pem, key) for CLI tests; passphrase {@link HARNESS_PASSPHRASE}. */
  dir: string;
  /** A transport client logged in to this mailbox's relay. */
  client(): RelayClient;
}

export interface HarnessRelay {
  domain: string;
  port: number;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** The relay identity (signs forwards and directory answers). */
  identity: Identity;
  /** Its identity directory (for `relay start --relay-id`). */
  identityDir: string;
  /** The `--db` value of its database. */
  db: string;
  /** Undefined while stopped. */
  server: RunningServer | undefined;
  store: RelayStore | undefined;
  directory: DirectoryStore | undefined;
  running: boolean;
  /** Creates a mailbox `local@DOMAIN` (identity issued by the test CA) and publishes its Endpoint. */
  addMailbox(local: string, options?: { payloadTypes?: PayloadType[] }): Promise<HarnessMailbox>;
  stop(): Promise<void>;
  /** Starts again on the same port with the same data. */
  start(): Promise<void>;
}

export interface FederationOptions {
  domains: string[];
  backend: Backend;
  /** Pinned peers of each relay. Default: every other relay, at its own URL. */
  peers?: (domain: string, urls: Record<string, string>) => Record<string, string>;
  /** Extra relay options (forwarder timing, clock, resolver…), per domain. */
  options?: (domain: string) => Partial<StartServerOptions>;
}

export interface Federation {
  relays: HarnessRelay[];
  relay(domain: string): HarnessRelay;
  /** The test CA (issues relay and mailbox identities). */
  ca: Identity;
  /** A PEM file holding the CA certificate (`--trust`). */
  caFile: string;
  trust: TrustStore;
  /** The temp directory holding identity directories and files tests write. */
  dir: string;
  close(): Promise<void>;
}

/** Starts the relays (all listening before this resolves). */
export async function startFederation(options: FederationOptions): Promise<Federation> {
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-federation-'));
  const ca = (await createDevCa({ name: 'Federation Test CA' })).identity;
  const caFile = join(dir, 'ca.pem');
  await writeFile(caFile, toPem(ca.certificate, 'CERTIFICATE'));
  const ports: Record<string, number> = {};
  for (const domain of options.domains) ports[domain] = await freePort();
  const urls = Object.fromEntries(options.domains.map((d) => [d, `http://127.0.0.1:${ports[d]}`]));

  const issue = async (address: string, path: string): Promise<Identity> => {
    const generated = await generateIdentity({ name: address, address, issuer: ca });
    await writeIdentityDir(path, { certificate: generated.identity.certificate, chain: generated.identity.chain, encryptedKey: await generated.exportEncryptedKey(HARNESS_PASSPHRASE) });
    return generated.identity;
  };

  const relays: HarnessRelay[] = [];
  for (const domain of options.domains) {
    const identityDir = join(dir, `relay-${domain}`);
    const identity = await issue(`relay@${domain}`, identityDir);
    const db = await options.backend.newDatabase();
    const peers = options.peers ? options.peers(domain, urls) : Object.fromEntries(Object.entries(urls).filter(([d]) => d !== domain));
    const relay: HarnessRelay = {
      domain,
      port: ports[domain]!,
      url: urls[domain]!,
      identity,
      identityDir,
      db,
      server: undefined,
      store: undefined,
      directory: undefined,
      get running() {
        return relay.server !== undefined;
      },
      async start() {
        if (relay.server) return;
        const store = await openStore(db);
        const directory = await openDirectoryStore(db);
        try {
          relay.server = await startServer({
            store,
            port: relay.port,
            domain,
            identity,
            peers,
            directory: { store: directory, signer: identity, publicUrl: relay.url },
            logger: false,
            purgeIntervalMs: 0,
            forwarder: { intervalMs: 50, baseDelayMs: 100, maxDelayMs: 500 },
            ...options.options?.(domain),
          });
        } catch (error) {
          await store.close();
          await directory.close();
          throw error;
        }
        relay.store = store;
        relay.directory = directory;
      },
      async stop() {
        const { server, directory } = relay;
        relay.server = undefined;
        relay.store = undefined;
        relay.directory = undefined;
        await server?.close();
        await directory?.close();
      },
      async addMailbox(local, mailboxOptions = {}) {
        if (!relay.store || !relay.directory) throw new Error(`relay ${domain} is stopped`);
        const address = `${local}@${domain}`;
        const path = join(dir, address);
        const mailboxIdentity = await issue(address, path);
        const { result } = await registerMailbox(relay.store, relay.directory, { address, certificate: mailboxIdentity.certificate, createdAt: Date.now() }, { relayUrl: relay.url, ...mailboxOptions });
        if (result !== 'created') throw new Error(`mailbox ${address}: ${result}`);
        return { address, identity: mailboxIdentity, dir: path, client: () => new RelayClient({ relayUrl: relay.url, address, identity: mailboxIdentity }) };
      },
    };
    relays.push(relay);
  }
  try {
    for (const relay of relays) await relay.start();
  } catch (error) {
    for (const relay of relays) await relay.stop().catch(() => undefined);
    throw error;
  }
  return {
    relays,
    relay: (domain) => {
      const found = relays.find((r) => r.domain === domain);
      if (!found) throw new Error(`no relay for ${domain}`);
      return found;
    },
    ca,
    caFile,
    trust: new TrustStore().addAnchor(ca.certificate),
    dir,
    close: async () => {
      for (const relay of relays) await relay.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
