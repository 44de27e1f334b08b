import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createDevCa, generateIdentity, importPkcs12, toPem } from '@sealpost/sdk/crypto';
import type { ImportedIdentity } from '@sealpost/sdk/crypto';
import { writeIdentityDir } from '@sealpost/sdk/node';
import type { CommandGroup, CliIo } from '../io.js';
import { UsageError } from '../io.js';
import { loadIdentity, reportError, secret } from './crypto-io.js';

const usage = `Usage:
  sealpost id new --address ADDR --name NAME --out DIR [--rsa | --rsa3072] [--ca CA_DIR] [--passphrase-file F] [--ca-passphrase-file F] [--days N]
  sealpost id import FILE.p12 --out DIR [--password-file F] [--passphrase-file F]
  sealpost id ca new --out CA_DIR [--name NAME] [--passphrase-file F]

An identity directory holds cert.pem, chain.pem (issuers) and key.pem (PKCS#8, encrypted with a
passphrase from --passphrase-file, SEALPOST_PASSPHRASE or a prompt; OpenSSL reads all three).
The .p12 password comes from --password-file, SEALPOST_P12_PASSWORD or a prompt; a CA's
passphrase from --ca-passphrase-file, SEALPOST_CA_PASSPHRASE or the identity passphrase.
`;

async function store(io: CliIo, out: string, imported: ImportedIdentity, passphraseFile: string | undefined, csr?: Uint8Array): Promise<void> {
  const passphrase = await secret(io, 'passphrase', passphraseFile, 'SEALPOST_PASSPHRASE');
  if (passphrase.length < 8) throw new UsageError('the passphrase must have at least 8 characters');
  const dir = resolve(io.cwd, out);
  await writeIdentityDir(dir, { certificate: imported.identity.certificate, chain: imported.identity.chain, encryptedKey: await imported.exportEncryptedKey(passphrase) });
  if (csr) await writeFile(join(dir, 'csr.pem'), toPem(csr, 'CERTIFICATE REQUEST'));
  io.stdout(`${dir}/cert.pem\n`);
}

async function idNew(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      address: { type: 'string' },
      name: { type: 'string' },
      out: { type: 'string' },
      rsa: { type: 'boolean' },
      rsa3072: { type: 'boolean' },
      ca: { type: 'string' },
      days: { type: 'string' },
      'passphrase-file': { type: 'string' },
      'ca-passphrase-file': { type: 'string' },
    },
  });
  if (!values.address || !values.name || !values.out) throw new UsageError('id new needs --address, --name and --out');
  const days = values.days ? Number(values.days) : undefined;
  if (days !== undefined && (!Number.isInteger(days) || days < 1)) throw new UsageError('--days must be a positive integer');
  let issuer;
  if (values.ca) {
    const caPassFile = values['ca-passphrase-file'] ?? values['passphrase-file'];
    const env = io.env.SEALPOST_CA_PASSPHRASE !== undefined ? { ...io.env, SEALPOST_PASSPHRASE: io.env.SEALPOST_CA_PASSPHRASE } : io.env;
    issuer = await loadIdentity({ ...io, env }, values.ca, caPassFile);
  }
  const generated = await generateIdentity({
    address: values.address,
    name: values.name,
    algorithm: values.rsa3072 ? 'RSA-3072' : values.rsa ? 'RSA-2048' : 'P-256',
    ...(issuer ? { issuer } : {}),
    ...(days ? { validityDays: days } : {}),
  });
  await store(io, values.out, generated, values['passphrase-file'], generated.csr);
  return 0;
}

async function idImport(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string' }, 'password-file': { type: 'string' }, 'passphrase-file': { type: 'string' } } });
  const [file] = positionals;
  if (!file || !values.out || positionals.length !== 1) throw new UsageError('id import needs FILE.p12 and --out');
  const password = await secret(io, 'password', values['password-file'], 'SEALPOST_P12_PASSWORD');
  const imported = await importPkcs12(new Uint8Array(await readFile(resolve(io.cwd, file))), password);
  await store(io, values.out, imported, values['passphrase-file']);
  return 0;
}

async function caNew(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: 'string' }, name: { type: 'string' }, 'passphrase-file': { type: 'string' } } });
  if (!values.out) throw new UsageError('id ca new needs --out');
  const ca = await createDevCa(values.name ? { name: values.name } : {});
  await store(io, values.out, ca, values['passphrase-file']);
  return 0;
}

/** `sealpost id …`: create, import and export identities; create a development CA. */
export const idCommand: CommandGroup = {
  name: 'id',
  summary: 'create or import an identity (certificate + encrypted key); create a development CA',
  usage,
  run: async (args, io) => {
    const [verb, ...rest] = args;
    try {
      if (verb === 'new') return await idNew(rest, io);
      if (verb === 'import') return await idImport(rest, io);
      if (verb === 'ca' && rest[0] === 'new') return await caNew(rest.slice(1), io);
    } catch (error) {
      if (error instanceof UsageError || error instanceof TypeError) throw error;
      return reportError(io, `id ${verb ?? ''}`, error);
    }
    throw new UsageError(`unknown id command '${args.join(' ')}'`);
  },
};
