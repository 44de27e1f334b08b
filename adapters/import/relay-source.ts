import type { RelayClient } from '@sealpost/sdk/transport';
import type { InboxItem, InboxSource } from './pipeline.js';

/**
 * The import pipeline's inbox over sdk/transport: `fetch` pages through the mailbox listing for
 * entries not yet acknowledged and downloads them (their relay messageId is the inbox id);
 * `remove` acknowledges one, which the pipeline does only after the envelope is durable locally.
 * Transport failures surface as `TransportError` and simply end the pipeline's round.
 */
export function relayInboxSource(client: Pick<RelayClient, 'listInbox' | 'download' | 'acknowledge'>, options: { pageSize?: number } = {}): InboxSource {
  return {
    async fetch(limit: number): Promise<InboxItem[]> {
      const items: InboxItem[] = [];
      let cursor: string | null = null;
      do {
        const page = await client.listInbox({ cursor, limit: options.pageSize ?? 100 });
        for (const entry of page.items) {
          if (entry.acknowledgedAt !== null) continue;
          items.push({ id: entry.messageId, envelope: await client.download(entry.messageId) });
          if (items.length >= limit) return items;
        }
        cursor = page.nextCursor;
      } while (cursor);
      return items;
    },
    async remove(id: string): Promise<void> {
      await client.acknowledge(id);
    },
  };
}
