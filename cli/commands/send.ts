import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { sealEnvelope } from '@sealpost/sdk/crypto';
import type { CommandGroup } from '../io.js';
import { UsageError } from '../io.js';
import { loadIdentity, readCertificates, reportError } from './crypto-io.js';
import { describeTransportError, progressReporter, relayClient } from './relay-io.js';

const usage = `Usage: sealpost send --relay URL --id DIR --to ADDRESS --to-cert CERT.pem FILE [--receipt] [--media-type TYPE] [--json] [--passphrase-file F]

Seals FILE (signed by the identity in DIR, encrypted to --to-cert and to the sender) and submits it
to the relay for ADDRESS. Prints the messageId once the relay has durably accepted it (--json: an
object with messageId, digest, size, recipients, acceptedAt, expiresAt). Retries are safe: the
messageId is the relay's idempotency key.
`;

/** `sealpost send`: seal a file and submit it to a relay. */
export const sendCommand: CommandGroup = {
  name: 'send',
  summary: 'seal a file to a recipient and submit it to a relay',
  usage,
  run: async (args, io) => {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        relay: { type: 'string' },
        id: { type: 'string' },
        to: { type: 'string' },
        'to-cert': { type: 'string' },
        receipt: { type: 'boolean' },
        'media-type': { type: 'string' },
        json: { type: 'boolean' },
        'passphrase-file': { type: 'string' },
      },
    });
    if (!values.relay || !values.id || !values.to || !values['to-cert'] || positionals.length !== 1) throw new UsageError('send needs --relay, --id, --to, --to-cert and one FILE');
    try {
      const sender = await loadIdentity(io, values.id, values['passphrase-file']);
      const recipients = await readCertificates(io, [values['to-cert']]);
      const payload = new Uint8Array(await readFile(resolve(io.cwd, positionals[0]!)));
      const { envelope, header } = await sealEnvelope(payload, {
        sender,
        recipients,
        receipt: values.receipt ?? false,
        ...(values['media-type'] ? { mediaType: values['media-type'] } : {}),
      });
      const client = relayClient(values.relay, sender);
      const answer = await client.submit(envelope, { messageId: header.messageId, to: [values.to], onProgress: values.json ? undefined : progressReporter(io, 'upload') });
      io.stdout(values.json ? `${JSON.stringify(answer)}\n` : `${answer.messageId}\n`);
      return 0;
    } catch (error) {
      const transport = describeTransportError(error);
      if (transport) {
        io.stderr(`sealpost send: ${transport}\n`);
        return 1;
      }
      return reportError(io, 'send', error);
    }
  },
};
