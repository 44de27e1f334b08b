import { parseArgs } from 'node:util';
import type { InboxEntry } from '@sealpost/sdk/transport';
import type { CommandGroup } from '../io.js';
import { UsageError } from '../io.js';
import { loadIdentity, reportError } from './crypto-io.js';
import { describeTransportError, relayClient } from './relay-io.js';

const usage = `Usage: sealpost inbox --relay URL --id DIR [--json] [--passphrase-file F]

Lists the messages waiting in the mailbox of the identity in DIR (oldest first): messageId, sender
address, size, time submitted and whether it was acknowledged. --json prints an array.
`;

/** `sealpost inbox`: list a mailbox. */
export const inboxCommand: CommandGroup = {
  name: 'inbox',
  summary: 'list the messages waiting in a relay mailbox',
  usage,
  run: async (args, io) => {
    const { values } = parseArgs({ args, options: { relay: { type: 'string' }, id: { type: 'string' }, json: { type: 'boolean' }, 'passphrase-file': { type: 'string' } } });
    if (!values.relay || !values.id) throw new UsageError('inbox needs --relay and --id');
    try {
      const identity = await loadIdentity(io, values.id, values['passphrase-file']);
      const client = relayClient(values.relay, identity);
      const entries: InboxEntry[] = [];
      for await (const entry of client.inbox()) entries.push(entry);
      if (values.json) io.stdout(`${JSON.stringify(entries)}\n`);
      else if (entries.length === 0) io.stdout(`no messages for ${client.address}\n`);
      else for (const e of entries) io.stdout(`${e.messageId}  from ${e.from}  ${e.size} bytes  ${e.submittedAt}${e.acknowledgedAt ? `  acknowledged ${e.acknowledgedAt}` : ''}\n`);
      return 0;
    } catch (error) {
      const transport = describeTransportError(error);
      if (transport) {
        io.stderr(`sealpost inbox: ${transport}\n`);
        return 1;
      }
      return reportError(io, 'inbox', error);
    }
  },
};
