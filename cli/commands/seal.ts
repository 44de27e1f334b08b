import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { sealEnvelope } from '@sealpost/sdk/crypto';
import type { CommandGroup } from '../io.js';
import { UsageError } from '../io.js';
import { loadIdentity, readCertificates, reportError } from './crypto-io.js';

const usage = `Usage: sealpost seal --id DIR --to CERT.pem [--to CERT.pem …] --in FILE --out FILE.p7m [--receipt] [--media-type TYPE] [--passphrase-file F]

Signs FILE with the identity in DIR and encrypts it to every --to certificate and to the sender
(CMS AuthEnvelopedData, AES-256-GCM; DER output).
`;

/** `sealpost seal`: sign and encrypt a file. */
export const sealCommand: CommandGroup = {
  name: 'seal',
  summary: 'sign and encrypt a file to one or more recipients (CMS, AES-256-GCM)',
  usage,
  run: async (args, io) => {
    const { values } = parseArgs({
      args,
      options: {
        id: { type: 'string' },
        to: { type: 'string', multiple: true },
        in: { type: 'string' },
        out: { type: 'string' },
        receipt: { type: 'boolean' },
        'media-type': { type: 'string' },
        'passphrase-file': { type: 'string' },
      },
    });
    if (!values.id || !values.to?.length || !values.in || !values.out) throw new UsageError('seal needs --id, --to, --in and --out');
    try {
      const sender = await loadIdentity(io, values.id, values['passphrase-file']);
      const recipients = await readCertificates(io, values.to);
      const payload = new Uint8Array(await readFile(resolve(io.cwd, values.in)));
      const { envelope, header } = await sealEnvelope(payload, {
        sender,
        recipients,
        receipt: values.receipt ?? false,
        ...(values['media-type'] ? { mediaType: values['media-type'] } : {}),
      });
      await writeFile(resolve(io.cwd, values.out), envelope);
      io.stdout(`messageId ${header.messageId}\nto ${header.intendedRecipients.map((r) => r.address).join(', ')}\n`);
      return 0;
    } catch (error) {
      return reportError(io, 'seal', error);
    }
  },
};
