/** Shared helpers of the crypto commands (id, seal, open, receipt): secrets, identities, trust. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { SealpostError } from '@sealpost/sdk';
import { ChainError, EnvelopeError, fromPem, TrustStore, unlockIdentity } from '@sealpost/sdk/crypto';
import type { Identity } from '@sealpost/sdk/crypto';
import { readIdentityDir } from '@sealpost/sdk/node';
import type { CliIo } from '../io.js';

/** A secret from a file (first line), an environment variable, or an interactive prompt. */
export async function secret(io: CliIo, what: string, file: string | undefined, envName: string): Promise<string> {
  if (file) return (await readFile(resolve(io.cwd, file), 'utf8')).split(/\r?\n/)[0] ?? '';
  const fromEnv = io.env[envName];
  if (fromEnv !== undefined) return fromEnv;
  if (!process.stdin.isTTY) throw new SealpostError('ERR_CLI_NO_SECRET', `no ${what}: pass --${what.replace(/ /g, '-')}-file or set ${envName}`);
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return await rl.question(`${what}: `);
  } finally {
    rl.close();
  }
}

export async function loadIdentity(io: CliIo, dir: string, passphraseFile: string | undefined): Promise<Identity> {
  const stored = await readIdentityDir(resolve(io.cwd, dir));
  return unlockIdentity(stored, await secret(io, 'passphrase', passphraseFile, 'SEALPOST_PASSPHRASE'));
}

export async function readCertificates(io: CliIo, files: string[]): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const file of files) out.push(...fromPem(await readFile(resolve(io.cwd, file), 'utf8'), 'CERTIFICATE'));
  return out;
}

export async function trustFrom(io: CliIo, files: string[]): Promise<TrustStore> {
  const trust = new TrustStore();
  for (const cert of await readCertificates(io, files)) trust.addAnchor(cert);
  return trust;
}

export function parseAt(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw new SealpostError('ERR_CLI_BAD_TIME', `--at: '${value}' is not an ISO 8601 time`);
  return at;
}

/** Prints a SealpostError as `CODE: message` (plus the reason of envelope errors) and returns exit code 1. */
export function reportError(io: CliIo, command: string, error: unknown): number {
  if (error instanceof SealpostError) {
    const reason = error instanceof EnvelopeError ? ` (reason: ${error.reason})` : error instanceof ChainError ? ` (reason: ${error.reason})` : '';
    const cause = error.cause instanceof SealpostError ? `\n  caused by ${error.cause.code}: ${error.cause.message}` : '';
    io.stderr(`sealpost ${command}: ${error.code}${reason}: ${error.message}${cause}\n`);
    return 1;
  }
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    io.stderr(`sealpost ${command}: ${(error as Error).message}\n`);
    return 1;
  }
  throw error;
}
