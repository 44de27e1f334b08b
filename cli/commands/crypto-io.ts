/** Shared helpers of the crypto commands (id, seal, open, receipt): secrets, identities, trust. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
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
  return promptHidden(`${what}: `);
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    let value = '';
    const done = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolvePromise(value);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003') return done(new SealpostError('ERR_CLI_NO_SECRET', 'interrupted'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.on('data', onData);
  });
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
