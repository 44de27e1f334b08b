/**
 * Starts a throwaway PostgreSQL 15 cluster for the relay tests: a temp directory owned by the
 * `postgres` user (initdb refuses root), `initdb -A trust`, `pg_ctl start` on 127.0.0.1 and a
 * free port, run as postgres through runuser. `SEALPOST_TEST_PG_URL` points the tests at an
 * existing server instead. When neither is possible the PostgreSQL tests are skipped — except in
 * CI (CI=true), where that is an error: the PostgreSQL half of the suite must run there.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const BIN = process.env.SEALPOST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PostgresServer {
  /** Admin URL (database `postgres`). */
  url: string;
  /** A fresh empty database; its URL. */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function uidOf(user: string): { uid: number; gid: number } | undefined {
  try {
    return { uid: Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim()), gid: Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim()) };
  } catch {
    return undefined;
  }
}

/** Why PostgreSQL cannot run here, or undefined when it can. */
export function postgresUnavailable(): string | undefined {
  if (process.env.SEALPOST_TEST_PG_URL) return undefined;
  if (!existsSync(join(BIN, 'initdb')) || !existsSync(join(BIN, 'pg_ctl'))) return `PostgreSQL binaries not found in ${BIN} (apt-get install postgresql)`;
  if (process.getuid?.() === 0 && !uidOf('postgres')) return 'running as root but there is no postgres user to run initdb as';
  return undefined;
}

export async function startPostgres(): Promise<PostgresServer> {
  const external = process.env.SEALPOST_TEST_PG_URL;
  const makeDb = (admin: string) => async (): Promise<string> => {
    const name = `sealpost_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    const url = new URL(admin);
    url.pathname = `/${name}`;
    return url.toString();
  };
  if (external) return { url: external, createDatabase: makeDb(external), stop: async () => undefined };

  const dir = mkdtempSync(join(tmpdir(), 'sealpost-pg-'));
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]): string => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(BIN, cmd), ...args]] : [join(BIN, cmd), args];
    return execFileSync(file as string, argv as string[], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  };
  if (asRoot) {
    const ids = uidOf('postgres')!;
    chownSync(dir, ids.uid, ids.gid);
    chmodSync(dir, 0o700);
  }
  const port = await freePort();
  run('initdb', ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  // fsync stays on (the default): the crash tests rely on real durability.
  run('pg_ctl', ['-D', join(dir, 'data'), '-l', join(dir, 'log'), '-w', '-t', '60', '-o', `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c max_connections=200`, 'start']);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    createDatabase: makeDb(url),
    stop: async () => {
      try {
        run('pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', '-w', '-t', '60', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
