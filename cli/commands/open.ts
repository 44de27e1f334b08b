import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openEnvelope } from '@sealpost/sdk/crypto';
import { FileSeenStore } from '@sealpost/sdk/node';
import type { CommandGroup } from '../io.js';
import { UsageError } from '../io.js';
import { loadIdentity, parseAt, reportError, trustFrom } from './crypto-io.js';

const usage = `Usage: sealpost open --id DIR --trust CA.pem [--trust …] --in FILE.p7m --out FILE [--at ISO_TIME] [--interop] [--passphrase-file F]

Decrypts and verifies FILE.p7m and writes the payload to FILE only if every check passes
(signature, chain to a --trust certificate at --at, intended recipient, expiry, replay — the
messageIds seen are kept in DIR/seen.json). Prints the verified sender and header. On failure it
prints the reason code (ERR_ENVELOPE_…) and exits 1. --interop accepts a plain CMS message
without the Sealpost header; recipient binding and replay are then not checked, and it says so.
`;

/** `sealpost open`: decrypt and verify an envelope. */
export const openCommand: CommandGroup = {
  name: 'open',
  summary: 'decrypt and verify an envelope; exit 1 with the reason code on any failed check',
  usage,
  run: async (args, io) => {
    const { values } = parseArgs({
      args,
      options: {
        id: { type: 'string' },
        trust: { type: 'string', multiple: true },
        in: { type: 'string' },
        out: { type: 'string' },
        at: { type: 'string' },
        interop: { type: 'boolean' },
        'passphrase-file': { type: 'string' },
      },
    });
    if (!values.id || !values.trust?.length || !values.in || !values.out) throw new UsageError('open needs --id, --trust, --in and --out');
    try {
      const identity = await loadIdentity(io, values.id, values['passphrase-file']);
      const trust = await trustFrom(io, values.trust);
      const at = parseAt(values.at);
      const envelope = new Uint8Array(await readFile(resolve(io.cwd, values.in)));
      const result = await openEnvelope(envelope, {
        identity,
        trust,
        seenStore: new FileSeenStore(join(resolve(io.cwd, values.id), 'seen.json'), at ? { now: () => at } : {}),
        interop: values.interop ?? false,
        ...(at ? { at } : {}),
      });
      await writeFile(resolve(io.cwd, values.out), result.payload);
      const lines = [`verified sender: ${result.signer.subject}${result.signer.addresses.length ? ` <${result.signer.addresses.join(', ')}>` : ''}`];
      if (result.signingTime) lines.push(`signed at: ${result.signingTime.toISOString()}`);
      if (result.header) {
        const h = result.header;
        lines.push(`messageId: ${h.messageId}`, `threadId: ${h.threadId}`, `from: ${h.sender.address}`, `to: ${h.intendedRecipients.map((r) => r.address).join(', ')}`, `created: ${h.createdAt}`, `expires: ${h.expiresAt}`, `media type: ${h.mediaType}`);
        if (h.attachments.length) lines.push(`attachments: ${h.attachments.map((a) => `${a.name ?? a.sha256} (${a.size} bytes)`).join(', ')}`);
      } else {
        lines.push('interop: plain CMS message without a Sealpost header; recipient binding, replay and expiry were NOT checked');
      }
      if (result.receiptRequest) lines.push(`receipt requested by: ${result.receiptRequest.receiptsTo.join(', ')}`);
      io.stdout(lines.join('\n') + '\n');
      return 0;
    } catch (error) {
      return reportError(io, 'open', error);
    }
  },
};
