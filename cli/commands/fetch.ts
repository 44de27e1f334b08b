import { access, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openEnvelope } from '@sealpost/sdk/crypto';
import { FileSeenStore } from '@sealpost/sdk/node';
import type { CliIo, CommandGroup } from '../io.js';
import { UsageError } from '../io.js';
import { loadIdentity, reportError, trustFrom } from './crypto-io.js';
import { describeTransportError, progressReporter, relayClient } from './relay-io.js';
import { writeDurably } from './write-durably.js';

const usage = `Usage: sealpost fetch --relay URL --id DIR --trust CA.pem [--trust …] --out DIR [--ack] [--passphrase-file F]

Downloads every unacknowledged message of the mailbox, opens and verifies it (signature, chain to
a --trust certificate, intended recipient, expiry, replay) and stores the payload as
OUT/MESSAGEID.EXT with OUT/MESSAGEID.json (sender, header) and the envelope itself as
OUT/MESSAGEID.p7m (the signed original, which \`sealpost receipt send --for OUT/MESSAGEID.p7m\`
answers). With --ack the message is acknowledged only after the three files are durably on disk.
A message that fails to open is reported, left unacknowledged, and the exit code is 1.
`;

const EXTENSIONS: Record<string, string> = {
  'text/plain': '.txt',
  'text/html': '.html',
  'application/pdf': '.pdf',
  'application/fhir+json': '.json',
  'application/fhir+xml': '.xml',
  'x-application/hl7-v2+er7': '.hl7',
  'application/hl7-v2': '.hl7',
};

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/** `sealpost fetch`: download, open, verify, store and acknowledge. */
export const fetchCommand: CommandGroup = {
  name: 'fetch',
  summary: 'download, open and store the messages of a relay mailbox; --ack acknowledges them',
  usage,
  run: async (args, io: CliIo) => {
    const { values } = parseArgs({
      args,
      options: {
        relay: { type: 'string' },
        id: { type: 'string' },
        trust: { type: 'string', multiple: true },
        out: { type: 'string' },
        ack: { type: 'boolean' },
        json: { type: 'boolean' },
        'passphrase-file': { type: 'string' },
      },
    });
    if (!values.relay || !values.id || !values.trust?.length || !values.out) throw new UsageError('fetch needs --relay, --id, --trust and --out');
    let failures = 0;
    try {
      const identity = await loadIdentity(io, values.id, values['passphrase-file']);
      const trust = await trustFrom(io, values.trust);
      const out = resolve(io.cwd, values.out);
      await mkdir(out, { recursive: true });
      const seenStore = new FileSeenStore(join(resolve(io.cwd, values.id), 'seen.json'));
      const client = relayClient(values.relay, identity);
      const pending = [];
      for await (const entry of client.inbox()) if (entry.acknowledgedAt === null) pending.push(entry);
      if (pending.length === 0) io.stdout(`no new messages for ${client.address}\n`);
      for (const entry of pending) {
        const metaName = `${entry.messageId}.json`;
        if (await exists(join(out, metaName))) {
          // Stored by an earlier run that stopped before acknowledging: opening it again would
          // (rightly) be refused as a replay, so only the acknowledgement is left to do.
          if (values.ack) await client.acknowledge(entry.messageId);
          io.stdout(`${entry.messageId}  already stored${values.ack ? ', acknowledged' : ''}\n`);
          continue;
        }
        const envelope = await client.download(entry.messageId, { onProgress: progressReporter(io, `download ${entry.messageId.slice(0, 8)}`) });
        let opened;
        try {
          opened = await openEnvelope(envelope, { identity, trust, seenStore });
        } catch (error) {
          failures++;
          reportError(io, `fetch ${entry.messageId}`, error);
          continue;
        }
        const header = opened.header!;
        const name = `${entry.messageId}${EXTENSIONS[header.mediaType] ?? '.bin'}`;
        await writeDurably(out, `${entry.messageId}.p7m`, envelope);
        await writeDurably(out, name, opened.payload);
        const meta = { messageId: entry.messageId, file: name, from: header.sender.address, verifiedSigner: opened.signer.subject, header, relay: entry };
        await writeDurably(out, metaName, `${JSON.stringify(meta, null, 2)}\n`);
        if (values.ack) await client.acknowledge(entry.messageId);
        io.stdout(`${entry.messageId}  from ${header.sender.address}  -> ${join(values.out, name)}${values.ack ? '  acknowledged' : ''}\n`);
      }
      return failures > 0 ? 1 : 0;
    } catch (error) {
      const transport = describeTransportError(error);
      if (transport) {
        io.stderr(`sealpost fetch: ${transport}\n`);
        return 1;
      }
      return reportError(io, 'fetch', error);
    }
  },
};
