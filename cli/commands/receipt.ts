import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createReceipt, MemorySeenStore, openEnvelope, TrustStore, verifyReceipt } from '@sealpost/sdk/crypto';
import type { ReceiptStatus } from '@sealpost/sdk/crypto';
import type { CliIo, CommandGroup } from '../io.js';
import { UsageError } from '../io.js';
import { loadIdentity, parseAt, reportError, trustFrom } from './crypto-io.js';

const usage = `Usage:
  sealpost receipt --id DIR --for FILE.p7m --status delivered|imported|read|rejected [--reason TEXT] --out R.p7m [--trust CA.pem …] [--at ISO_TIME]
  sealpost receipt verify --id DIR --trust CA.pem [--trust …] --in R.p7m --for FILE.p7m [--at ISO_TIME]

The first form signs a receipt for a message you received (FILE.p7m) and seals it to its sender;
the message is verified again first, against --trust or, by default, your identity's own chain.
The second form, run by the sender, checks that R.p7m is a valid receipt for exactly FILE.p7m
(the sender's copy) and prints the status.
`;

const STATUSES = ['delivered', 'imported', 'read', 'rejected'];

async function create(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      id: { type: 'string' },
      for: { type: 'string' },
      status: { type: 'string' },
      reason: { type: 'string' },
      out: { type: 'string' },
      trust: { type: 'string', multiple: true },
      at: { type: 'string' },
      'passphrase-file': { type: 'string' },
    },
  });
  if (!values.id || !values.for || !values.status || !values.out) throw new UsageError('receipt needs --id, --for, --status and --out');
  if (!STATUSES.includes(values.status)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
  if (values.status === 'rejected' && !values.reason) throw new UsageError('--status rejected needs --reason');
  try {
    const identity = await loadIdentity(io, values.id, values['passphrase-file']);
    let trust: TrustStore;
    if (values.trust?.length) trust = await trustFrom(io, values.trust);
    else {
      trust = new TrustStore();
      for (const cert of identity.chain) trust.addAnchor(cert);
    }
    const at = parseAt(values.at);
    const original = await openEnvelope(new Uint8Array(await readFile(resolve(io.cwd, values.for))), {
      identity,
      trust,
      // Making a receipt does not accept the message again, so replay is checked against a fresh store.
      seenStore: new MemorySeenStore(at ? { now: () => at } : {}),
      interop: true,
      ...(at ? { at } : {}),
    });
    const receipt = await createReceipt(original, { identity, status: values.status as ReceiptStatus, ...(values.reason ? { reason: values.reason } : {}), ...(at ? { now: at } : {}) });
    await writeFile(resolve(io.cwd, values.out), receipt);
    io.stdout(`receipt ${values.status} for ${original.header?.messageId ?? 'interop message'} sealed to ${original.signer.subject}\n`);
    return 0;
  } catch (error) {
    return reportError(io, 'receipt', error);
  }
}

async function verify(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { id: { type: 'string' }, trust: { type: 'string', multiple: true }, in: { type: 'string' }, for: { type: 'string' }, at: { type: 'string' }, 'passphrase-file': { type: 'string' } },
  });
  if (!values.id || !values.trust?.length || !values.in || !values.for) throw new UsageError('receipt verify needs --id, --trust, --in and --for');
  try {
    const identity = await loadIdentity(io, values.id, values['passphrase-file']);
    const at = parseAt(values.at);
    const verified = await verifyReceipt(new Uint8Array(await readFile(resolve(io.cwd, values.in))), new Uint8Array(await readFile(resolve(io.cwd, values.for))), {
      identity,
      trust: await trustFrom(io, values.trust),
      ...(at ? { at } : {}),
    });
    const s = verified.status;
    io.stdout(`status: ${s.status}${s.reason ? ` (${s.reason})` : ''}\nat: ${s.at}\nsigned by: ${verified.signer.subject}\n${s.messageId ? `messageId: ${s.messageId}\n` : ''}`);
    return 0;
  } catch (error) {
    return reportError(io, 'receipt verify', error);
  }
}

/** `sealpost receipt …`: create and verify signed receipts. */
export const receiptCommand: CommandGroup = {
  name: 'receipt',
  summary: 'sign a receipt for a received message, or verify a receipt for a sent one',
  usage,
  run: (args, io) => (args[0] === 'verify' ? verify(args.slice(1), io) : create(args, io)),
};
