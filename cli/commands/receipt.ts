import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createReceipt, MemorySeenStore, openEnvelope, TrustStore, verifyReceipt } from '@sealpost/sdk/crypto';
import type { ReceiptStatus } from '@sealpost/sdk/crypto';
import type { CliIo, CommandGroup } from '../io.js';
import { UsageError } from '../io.js';
import { loadIdentity, parseAt, reportError, trustFrom } from './crypto-io.js';
import { describeTransportError, relayClient } from './relay-io.js';

const usage = `Usage:
  sealpost receipt --id DIR --for FILE.p7m --status delivered|imported|read|rejected [--reason TEXT] --out R.p7m [--trust CA.pem …] [--at ISO_TIME]
  sealpost receipt verify --id DIR --trust CA.pem [--trust …] --in R.p7m --for FILE.p7m [--at ISO_TIME]
  sealpost receipt send --relay URL --id DIR --for FILE.p7m --status delivered|imported|read|rejected [--reason TEXT] [--trust CA.pem …]

The first form signs a receipt for a message you received (FILE.p7m) and seals it to its sender;
the message is verified again first, against --trust or, by default, your identity's own chain.
The second form, run by the sender, checks that R.p7m is a valid receipt for exactly FILE.p7m
(the sender's copy) and prints the status.
The third form signs the receipt like the first and posts it to your relay for the message's
timeline (docs/protocol.md, Timeline); the relay carries it back to the sender's relay. Sending the
same status again is harmless (stored once).
`;

const STATUSES = ['delivered', 'imported', 'read', 'rejected'];

async function create(args: string[], io: CliIo, send = false): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      relay: { type: 'string' },
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
  if (send && (!values.relay || !values.id || !values.for || !values.status)) throw new UsageError('receipt send needs --relay, --id, --for and --status');
  if (!send && (!values.id || !values.for || !values.status || !values.out)) throw new UsageError('receipt needs --id, --for, --status and --out');
  if (!values.id || !values.for || !values.status) throw new UsageError('receipt needs --id, --for and --status');
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
    if (values.out) await writeFile(resolve(io.cwd, values.out), receipt);
    if (send) {
      const messageId = original.header?.messageId;
      if (messageId === undefined) throw new UsageError(`${values.for} has no Sealpost header (an interop message): there is no relay timeline to post to`);
      const answer = await relayClient(values.relay!, identity).sendReceipt(messageId, receipt, { status: values.status as ReceiptStatus, ...(values.reason ? { reason: values.reason } : {}) });
      io.stdout(`receipt ${values.status} for ${messageId} ${answer.stored === 'created' ? 'posted' : 'was already posted'} (${answer.at})\n`);
      return 0;
    }
    io.stdout(`receipt ${values.status} for ${original.header?.messageId ?? 'interop message'} sealed to ${original.signer.subject}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const transport = describeTransportError(error);
    if (transport) {
      io.stderr(`sealpost receipt send: ${transport}\n`);
      return 1;
    }
    return reportError(io, send ? 'receipt send' : 'receipt', error);
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
  summary: 'sign a receipt for a received message (and send it to the relay), or verify a receipt for a sent one',
  usage,
  run: (args, io) => (args[0] === 'verify' ? verify(args.slice(1), io) : args[0] === 'send' ? create(args.slice(1), io, true) : create(args, io)),
};
