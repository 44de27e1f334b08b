/**
 * The sending side of federation: drains the durable outbound queue to the pinned peer relays.
 * A forward is marked done only after the peer's 2xx (the peer's own 201 is durable), and the
 * peer dedupes by messageId, so a crash between the two only repeats a forward, never loses one.
 * Failures back off exponentially with jitter, up to `maxDelayMs`; a peer's 4xx (other than 408
 * and 429) is final and recorded with its problem code.
 */
import type { ResolvedConfig } from '../config.js';
import type { OutboundItem, RelayStore, TimelineEvent } from '../storage/types.js';
import { signEventRequest, wireEventOf } from '../timeline/carry-back.js';
import { relayEvent, signPendingEvents } from '../timeline/events.js';
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
  /**
   * Federation gives up on a forward still pending this long after submission and records it
   * `undeliverable` (docs/protocol.md, Timeline). Default: the relay's `expiryMs`.
   */
  giveUpMs?: number;
  /** Called with each failed attempt (logging). */
  onError?: (item: OutboundItem, error: string) => void;
  /** Called with each failed attempt to carry a timeline event back (logging). */
  onEventError?: (event: TimelineEvent, error: string) => void;
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
  const giveUpMs = options.giveUpMs ?? config.expiryMs;

  /** Marks a forward failed for good, with the signed `undeliverable` in the same transaction. */
  const giveUp = async (item: OutboundItem, error: string): Promise<void> => {
    const now = config.now();
    const event = await relayEvent(config, { messageId: item.messageId, kind: 'undeliverable', at: now, sender: item.sender, digest: item.digest, recipient: item.recipient, reason: error.slice(0, 500) });
    await store.updateOutbound(item.messageId, item.recipient, { failedAt: now, lastError: error, event });
  };

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
    if (final) return giveUp(item, error);
    await store.updateOutbound(item.messageId, item.recipient, { nextAttemptAt: config.now() + backoffDelay(item.attempts, baseDelayMs, maxDelayMs), lastError: error });
  };

  /** Carries one timeline event back to the relay the message came from. */
  const returnOne = async (event: TimelineEvent): Promise<void> => {
    const peer = event.returnTo!;
    const url = await resolvePeer(config, peer);
    let error: string;
    let final = false;
    if (url === undefined) {
      error = `no relay found for ${peer} (not pinned, not discovered)`;
    } else {
      try {
        const wire = wireEventOf(event);
        const res = await fetch(new URL('/v1/relay/events', url), {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'sealpost-relay': domain, 'sealpost-relay-signature': await signEventRequest(identity, domain, wire) },
          body: JSON.stringify(wire),
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (res.ok) {
          await res.body?.cancel();
          await store.updateEvent(event.seq, { returnedAt: config.now() });
          return;
        }
        const problem = (await res.json().catch(() => ({}))) as { code?: unknown; detail?: unknown };
        error = `${res.status} ${typeof problem.code === 'string' ? problem.code : ''} ${typeof problem.detail === 'string' ? problem.detail : ''}`.trim();
        final = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
      } catch (caught) {
        error = (caught as Error).message;
      }
    }
    options.onEventError?.(event, error);
    const now = config.now();
    await store.updateEvent(event.seq, final ? { failedAt: now, lastError: error } : { nextAttemptAt: now + backoffDelay(event.attempts, baseDelayMs, maxDelayMs), lastError: error });
  };

  const inBatches = async <T>(items: T[], run: (item: T) => Promise<void>): Promise<void> => {
    for (let i = 0; i < items.length; i += concurrency) await Promise.all(items.slice(i, i + concurrency).map((item) => run(item).catch(() => undefined)));
  };

  let current: Promise<number> | undefined;
  const drain = (): Promise<number> =>
    (current ??= (async () => {
      try {
        // A failure here (the store, a key) must not hold up the forwards below; the next pass retries.
        await signPendingEvents(config).catch((error: unknown) => options.onError?.({ messageId: '', recipient: '' } as OutboundItem, `signing timeline events: ${(error as Error).message}`));
        const stalled = await store.stalledOutbound(config.now() - giveUpMs, concurrency * 4);
        await inBatches(stalled, (item) => giveUp(item, `not forwarded within ${Math.round(giveUpMs / 1000)} s; federation gave up (last error: ${item.lastError ?? 'none'})`));
        const due = await store.dueOutbound(config.now(), concurrency * 4);
        await inBatches(due, forwardOne);
        const events = await store.dueEvents(config.now(), concurrency * 4);
        // One message's events go in the order they were recorded, so the sender's relay records them in that order too.
        const byMessage = new Map<string, TimelineEvent[]>();
        for (const event of events) byMessage.set(event.messageId, [...(byMessage.get(event.messageId) ?? []), event]);
        await inBatches([...byMessage.values()], async (group) => {
          for (const event of group.sort((x, y) => x.seq - y.seq)) await returnOne(event);
        });
        return due.length + events.length;
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
