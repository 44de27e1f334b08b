/**
 * The sending side of federation: drains the durable outbound queue to the pinned peer relays.
 * A forward is marked done only after the peer's 2xx (the peer's own 201 is durable), and the
 * peer dedupes by messageId, so a crash between the two only repeats a forward, never loses one.
 * Failures back off exponentially with jitter, up to `maxDelayMs`; a peer's 4xx (other than 408
 * and 429) is final and recorded with its problem code.
 */
import type { ResolvedConfig } from '../config.js';
import type { OutboundItem, RelayStore } from '../storage/types.js';
import { resolvePeer } from './resolve-peer.js';
import { signForward } from './signing.js';

export interface ForwarderOptions {
  /** How often the queue is polled, ms. Default 500. */
  intervalMs?: number;
  /** First retry delay, ms; doubles per attempt. Default 1 s. */
  baseDelayMs?: number;
  /** Longest retry delay, ms. Default 5 minutes. */
  maxDelayMs?: number;
  /** Forwards in flight at once. Default 8. */
  concurrency?: number;
  /** Per-request time limit, ms. Default 60 s. */
  timeoutMs?: number;
  /** Called with each failed attempt (logging). */
  onError?: (item: OutboundItem, error: string) => void;
}

export interface Forwarder {
  /** Runs one pass over the due items (tests call it directly). Resolves when the pass is done. */
  drain(): Promise<number>;
  /** Stops polling and waits for the pass in progress. */
  stop(): Promise<void>;
}

/** Retry delay after `attempts` failures: base·2^attempts capped at max, with 50–100 % jitter. */
export function backoffDelay(attempts: number, baseDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(attempts, 30));
  return Math.round(ceiling * (0.5 + random() * 0.5));
}

/** The message content as a stream, chunk by chunk from the store: a 1 GiB submission is never held whole. */
function contentOf(store: RelayStore, item: OutboundItem): ReadableStream<Uint8Array> {
  const pieces = store.readBlob(item.blobId, 0, item.size - 1)[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await pieces.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await pieces.return?.();
    },
  });
}

/** Starts forwarding the store's outbound queue to `config.peers`; needs `config.identity` and `config.domain`. */
export function startForwarder(config: ResolvedConfig, options: ForwarderOptions = {}): Forwarder {
  const { store } = config;
  const identity = config.identity;
  const domain = config.domain;
  if (!identity || domain === undefined) throw new TypeError('startForwarder: the relay needs a domain and a relay identity to forward');
  const intervalMs = options.intervalMs ?? 500;
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 5 * 60_000;
  const concurrency = options.concurrency ?? 8;
  const timeoutMs = options.timeoutMs ?? 60_000;

  const forwardOne = async (item: OutboundItem): Promise<void> => {
    const url = await resolvePeer(config, item.peer);
    let error: string;
    let final = false;
    if (url === undefined) {
      error = `no relay found for ${item.peer} (not pinned, not discovered)`;
    } else {
      try {
        const hops = item.hops + 1;
        const to = [item.recipient];
        const signature = await signForward(identity, { relay: domain, messageId: item.messageId, sender: item.sender, to, hops, digest: item.digest });
        const res = await fetch(new URL(`/v1/relay/messages/${encodeURIComponent(item.messageId)}`, url), {
          method: 'PUT',
          headers: {
            'content-type': 'application/octet-stream',
            'content-digest': item.digest,
            'sealpost-relay': domain,
            'sealpost-relay-signature': signature,
            'sealpost-sender': item.sender,
            'sealpost-to': to.join(','),
            'sealpost-hops': String(hops),
          },
          body: contentOf(store, item),
          // Node's fetch streams a request body only in half-duplex mode.
          duplex: 'half',
          signal: AbortSignal.timeout(timeoutMs),
        } as RequestInit);
        if (res.ok) {
          await res.body?.cancel();
          await store.updateOutbound(item.messageId, item.recipient, { forwardedAt: config.now() });
          return;
        }
        const problem = (await res.json().catch(() => ({}))) as { code?: unknown; detail?: unknown };
        error = `${res.status} ${typeof problem.code === 'string' ? problem.code : ''} ${typeof problem.detail === 'string' ? problem.detail : ''}`.trim();
        final = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
        if (res.status === 508) final = true;
      } catch (caught) {
        error = (caught as Error).message;
      }
    }
    options.onError?.(item, error);
    const now = config.now();
    await store.updateOutbound(item.messageId, item.recipient, final ? { failedAt: now, lastError: error } : { nextAttemptAt: now + backoffDelay(item.attempts, baseDelayMs, maxDelayMs), lastError: error });
  };

  let current: Promise<number> | undefined;
  const drain = (): Promise<number> =>
    (current ??= (async () => {
      try {
        const due = await store.dueOutbound(config.now(), concurrency * 4);
        for (let i = 0; i < due.length; i += concurrency) await Promise.all(due.slice(i, i + concurrency).map((item) => forwardOne(item).catch(() => undefined)));
        return due.length;
      } finally {
        current = undefined;
      }
    })());

  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = (): void => {
    timer = setTimeout(() => {
      drain()
        .catch((error: unknown) => options.onError?.({ messageId: '', recipient: '' } as OutboundItem, (error as Error).message))
        .finally(() => {
          if (!stopped) tick();
        });
    }, intervalMs);
    timer.unref();
  };
  tick();
  return {
    drain,
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current?.catch(() => undefined);
    },
  };
}
