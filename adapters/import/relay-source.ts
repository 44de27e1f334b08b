import type { RelayClient } from '@sealpost/sdk/transport';
import { mapLimited } from '../internal/limit.js';
import type { InboxItem, InboxSource } from './pipeline.js';

/**
 * The import pipeline's inbox over sdk/transport: `fetch` pages through the mailbox listing for
 * entries not yet acknowledged and downloads them, up to `concurrency` at once (default 8; their
 * relay messageId is the inbox id, results in listing order), leaving out `skip` (items the
 * pipeline is acknowledging); `remove` acknowledges one, which the pipeline does only after the
 * envelope is durable locally. Transport failures surface as
 * `TransportError` and simply end the pipeline's round.
 */
export function relayInboxSource(client: Pick<RelayClient, 'listInbox' | 'download' | 'acknowledge'>, options: { pageSize?: number; concurrency?: number } = {}): InboxSource {
  return {
    async fetch(limit: number, fetchOptions: { skip?: ReadonlySet<string> } = {}): Promise<InboxItem[]> {
      const ids: string[] = [];
      let cursor: string | null = null;
      listing: do {
        const page = await client.listInbox({ cursor, limit: options.pageSize ?? 100 });
        for (const entry of page.items) {
          if (entry.acknowledgedAt !== null || fetchOptions.skip?.has(entry.messageId)) continue;
          ids.push(entry.messageId);
          if (ids.length >= limit) break listing;
        }
        cursor = page.nextCursor;
      } while (cursor);
      return mapLimited(ids, options.concurrency ?? 8, async (id) => ({ id, envelope: await client.download(id) }));
    },
    async remove(id: string): Promise<void> {
      await client.acknowledge(id);
    },
  };
}
