import type { InboxEntry, RelayClient } from '@sealpost/sdk/transport';
import { TransportError } from '@sealpost/sdk/transport';
import { mapLimited } from '../internal/limit.js';
import type { InboxItem, InboxSource } from './pipeline.js';

/**
 * The import pipeline's inbox over sdk/transport: `fetch` pages through the mailbox listing of
 * unacknowledged entries (`only: 'unacknowledged'`: the acknowledged ones, kept through the relay's
 * retention, are not listed again on every fetch), with small envelopes carried in the listing
 * itself (`include: 'envelope'`, docs/protocol.md §7), and downloads the others, up to `concurrency` at
 * once (default 8; their relay messageId is the inbox id, results in listing order), leaving out
 * `skip` (items the pipeline is acknowledging). `remove` acknowledges one; `removeMany` (when the
 * client has `acknowledgeMany`) a whole batch in one request and one relay commit. The pipeline
 * removes only once the envelopes are durable locally. Transport failures surface as
 * `TransportError` and simply end the pipeline's round; so does a message the relay no longer
 * holds when it is acknowledged (`not-found`, as the single acknowledgement's 404). A relay without
 * these additions (400 for `include` or `only`, 404 for `…/acks`) is then used with plain listings,
 * downloads and single acknowledgements, as docs/protocol.md §7 says.
 */
export function relayInboxSource(
  client: Pick<RelayClient, 'listInbox' | 'download' | 'acknowledge'> & Partial<Pick<RelayClient, 'acknowledgeMany'>>,
  options: { pageSize?: number; concurrency?: number } = {},
): InboxSource {
  const concurrency = options.concurrency ?? 8;
  let inline = true;
  let bulk = true;
  const pageSize = options.pageSize ?? 100;
  /** A page of at most `wanted` entries (what the fetch can still use): the relay inlines every envelope of a page, used or not. */
  const list = async (cursor: string | null, wanted: number): Promise<{ items: InboxEntry[]; nextCursor: string | null }> => {
    if (inline) {
      try {
        return await client.listInbox({ cursor, limit: Math.max(1, Math.min(pageSize, wanted)), include: 'envelope', only: 'unacknowledged' });
      } catch (error) {
        if (!(error instanceof TransportError && error.status === 400 && error.problem?.code === 'ERR_RELAY_BAD_REQUEST')) throw error;
        inline = false;
      }
    }
    // Acknowledged entries are listed too here: whole pages.
    return client.listInbox({ cursor, limit: pageSize });
  };
  const source: InboxSource = {
    async fetch(limit: number, fetchOptions: { skip?: ReadonlySet<string> } = {}): Promise<InboxItem[]> {
      // A copy as the listing starts: an acknowledgement that completes while a page is on its
      // way leaves `skip` before that page (listed as unacknowledged) arrives, and the letter
      // would be fetched again.
      const skip = new Set(fetchOptions.skip);
      const entries: InboxEntry[] = [];
      let cursor: string | null = null;
      listing: do {
        // Only unacknowledged entries are listed: those still wanted, and the skipped ones among them.
        const page = await list(cursor, limit - entries.length + skip.size);
        for (const entry of page.items) {
          if (entry.acknowledgedAt !== null || skip.has(entry.messageId)) continue;
          entries.push(entry);
          if (entries.length >= limit) break listing;
        }
        cursor = page.nextCursor;
      } while (cursor);
      return mapLimited(entries, concurrency, async (entry) => ({ id: entry.messageId, envelope: entry.envelope ?? (await client.download(entry.messageId)) }));
    },
    async remove(id: string): Promise<void> {
      await client.acknowledge(id);
    },
  };
  const { acknowledgeMany } = client;
  if (acknowledgeMany) {
    source.removeMany = async (ids: readonly string[]): Promise<void> => {
      if (!bulk) return void (await mapLimited(ids, concurrency, (id) => client.acknowledge(id)));
      let notFound: string[];
      try {
        ({ notFound } = await acknowledgeMany.call(client, ids));
      } catch (error) {
        // No such route: the relay predates bulk acknowledgement (a missing message is never a 404 here).
        if (!(error instanceof TransportError && error.status === 404)) throw error;
        bulk = false;
        return void (await mapLimited(ids, concurrency, (id) => client.acknowledge(id)));
      }
      if (notFound.length > 0) throw new TransportError('not-found', `acknowledging ${ids.length} messages: ${notFound.length} no longer in the mailbox (${notFound.slice(0, 3).join(', ')}${notFound.length > 3 ? ', …' : ''})`, { status: 404 });
    };
  }
  return source;
}
