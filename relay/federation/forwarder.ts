/**
 * The sending side of federation: drains the durable outbound queue to the peer relays, and
 * carries timeline events back to the relays messages came from.
 *
 * Forwards flow continuously: the forwarder claims due items (`claimOutbound`, exclusive across
 * relay processes on PostgreSQL) and keeps up to `concurrency` forwards in flight per peer relay,
 * claiming more as each one ends, so one slow or dead peer holds only its own slots. It starts on
 * the in-process signal a commit sends (outbound-signal.ts); the poll every `intervalMs` is the
 * fallback for work no signal announces (other processes, restarts, retries coming due).
 *
 * A forward is marked done only after the peer's 2xx (the peer's own 201 is durable), and the
 * peer dedupes by messageId, so a crash between the two only repeats a forward, never loses one.
 * That is also why outcomes are recorded in groups (one commit for many forwards): a forward whose
 * outcome is not yet written is still claimed, so it is not sent again meanwhile. Failures back
 * off exponentially with jitter, up to `maxDelayMs`; a peer's 4xx (other than 408 and 429) is
 * final and recorded with its problem code.
 */
import type { ResolvedConfig } from '../config.js';
import type { EventUpdate, NewTimelineEvent, OutboundItem, OutboundOutcome, RelayStore, TimelineEvent } from '../storage/types.js';
import { signEventRequest, wireEventOf } from '../timeline/carry-back.js';
import type { WireEvent } from '../timeline/carry-back.js';
import { relayEvent, signPendingEvents } from '../timeline/events.js';
import { onOutbound } from './outbound-signal.js';
import { resolvePeer } from './resolve-peer.js';
import { signForward } from './signing.js';

export interface ForwarderOptions {
  /** How often the queues are polled, ms, besides the in-process signal after each commit. Default 500. */
  intervalMs?: number;
  /** First retry delay, ms; doubles per attempt. Default 1 s. */
  baseDelayMs?: number;
  /** Longest retry delay, ms. Default 5 minutes. */
  maxDelayMs?: number;
  /**
   * Forwards in flight at once to one peer relay. Default 64: the peer commits the forwards that
   * arrive together in one group commit, so under a slow disk more in flight means larger commits
   * (bench/README.md, federation: 16 fell behind at 200/s on a loaded machine, 64 kept up).
   */
  concurrency?: number;
  /** Forwards claimed at once over all peers (in flight or waiting for their peer's slot). Default 4 × `concurrency`. */
  maxInFlight?: number;
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
  /** Looks for due work now instead of at the next poll (what the in-process signal calls). */
  wake(): void;
  /**
   * Forwards everything due now and carries back the due events; resolves, with how many it
   * handled, once their outcomes are recorded (tests and tools call it directly).
   */
  drain(): Promise<number>;
  /** Stops polling, cuts off the requests in flight (they are retried later) and records their outcomes. */
  stop(): Promise<void>;
}

/** Outcomes are written at most this long after the first of a group, ms: one commit serves many forwards. */
const SETTLE_DELAY_MS = 25;
/** …or as soon as this many are waiting. */
const SETTLE_MAX = 256;
/** Below this size a forward's content is read whole and sent with a Content-Length; above, streamed. */
const WHOLE_BODY_BYTES = 256 * 1024;
/** Timeline events read per round of carrying back. */
const EVENT_BATCH = 128;

/** Retry delay after `attempts` failures: base·2^attempts capped at max, with 50–100 % jitter. */
export function backoffDelay(attempts: number, baseDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(attempts, 30));
  return Math.round(ceiling * (0.5 + random() * 0.5));
}

/** The message content as a stream, chunk by chunk from the store: a 1 GiB submission is never held whole. */
function contentStream(store: RelayStore, item: OutboundItem): ReadableStream<Uint8Array> {
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

/** A small message's content in one piece. */
async function contentBytes(store: RelayStore, item: OutboundItem): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  for await (const piece of store.readBlob(item.blobId, 0, item.size - 1)) pieces.push(piece);
  return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
}

/** Runs `run` over `items` with at most `limit` at once, each starting as soon as one ends. */
async function eachLimited<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await run(items[next++]!).catch(() => undefined);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const keyOf = (item: { messageId: string; recipient: string }): string => `${item.messageId}\n${item.recipient}`;

/** What one round of a {@link rerunningLoop} did: how many it handled, and whether it found more than it took. */
interface Round {
  handled: number;
  full: boolean;
}

/**
 * A loop of `round`s that runs once at a time. Calling `start` while the loop runs asks it for one
 * more round (work may have arrived after the running round read the queue) and returns the
 * running loop; rounds go on while asked for or while the last came back full, until `stopped()`.
 * An error ends the loop and goes to `onError`. The loop resolves with what its rounds handled.
 */
function rerunningLoop(round: () => Promise<Round>, stopped: () => boolean, onError: (error: unknown) => void): { start: () => Promise<number>; running: () => Promise<number> | undefined } {
  let loop: Promise<number> | undefined;
  let again = false;
  const start = (): Promise<number> => {
    again = true;
    return (loop ??= (async () => {
      let handled = 0;
      try {
        while (again && !stopped()) {
          again = false;
          const done = await round();
          handled += done.handled;
          if (done.full) again = true;
        }
      } catch (error) {
        onError(error);
      } finally {
        loop = undefined;
      }
      return handled;
    })());
  };
  return { start, running: () => loop };
}

/**
 * The peer's `forwarded` event for this forward, from its answer (`Sealpost-Events: inline`), to
 * record with the outcome; undefined when the answer has none (a peer that carries it back on its
 * own). Only the event about this message and recipient, by the peer itself, is taken: the sender
 * verifies its signature (docs/protocol.md, Timeline).
 */
function forwardedEventOf(item: OutboundItem, answer: unknown): NewTimelineEvent | undefined {
  const events = (answer as { events?: unknown } | undefined)?.events;
  if (!Array.isArray(events)) return undefined;
  const wire = (events as Partial<WireEvent>[]).find(
    (e) => e.kind === 'forwarded' && e.messageId === item.messageId && e.recipient === item.recipient && e.actor === item.peer && (e.format === 'jws' || e.format === 'unsigned'),
  );
  const at = Date.parse(wire?.at ?? '');
  if (!wire || typeof wire.signed !== 'string' || !Number.isFinite(at)) return undefined;
  return { kind: 'forwarded', at, actor: item.peer, recipient: item.recipient, format: wire.format!, signed: Buffer.from(wire.signed, 'base64url') };
}

/** An HTTP problem answer as one line: status, code and detail. */
async function problemOf(res: Response): Promise<string> {
  const problem = (await res.json().catch(() => ({}))) as { code?: unknown; detail?: unknown };
  return `${res.status} ${typeof problem.code === 'string' ? problem.code : ''} ${typeof problem.detail === 'string' ? problem.detail : ''}`.trim();
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
  const concurrency = options.concurrency ?? 64;
  const maxInFlight = options.maxInFlight ?? 4 * concurrency;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const giveUpMs = options.giveUpMs ?? config.expiryMs;
  if (!(concurrency >= 1 && maxInFlight >= 1)) throw new RangeError('startForwarder: concurrency and maxInFlight must be at least 1');
  // A claimed forward may wait for its peer's slot (at most one request time) and then run (one
  // more); past the lease another claimer may take it, which costs a repeat, never a loss.
  const leaseMs = 2 * timeoutMs + 30_000;
  const reportError = (error: unknown): void => options.onError?.({ messageId: '', recipient: '' } as OutboundItem, (error as Error).message);
  let stopped = false;
  // Cuts off the requests in flight when the forwarder stops; they count as failed attempts.
  const stopping = new AbortController();

  // ---- Recording outcomes, in groups ----
  /** Forwards claimed here and not yet recorded (the give-up pass leaves them alone). */
  const claimed = new Set<string>();
  let outcomes: OutboundOutcome[] = [];
  let settleTimer: ReturnType<typeof setTimeout> | undefined;
  let settled: Promise<void> = Promise.resolve();
  const flushOutcomes = (): Promise<void> => {
    if (settleTimer) clearTimeout(settleTimer);
    settleTimer = undefined;
    const group = outcomes;
    outcomes = [];
    if (group.length === 0) return settled;
    settled = settled
      .then(() => store.settleOutbound(group))
      // Not recorded: the store's claims lapse with their lease and the forwards are repeated
      // (the peer dedupes them); nothing is lost.
      .catch((error: unknown) => reportError(new Error(`recording ${group.length} forward outcome(s): ${(error as Error).message}`)))
      .finally(() => {
        for (const outcome of group) claimed.delete(keyOf(outcome));
      });
    return settled;
  };
  const record = (outcome: OutboundOutcome): void => {
    outcomes.push(outcome);
    if (outcomes.length >= SETTLE_MAX) void flushOutcomes();
    else if (!settleTimer) {
      settleTimer = setTimeout(() => void flushOutcomes(), SETTLE_DELAY_MS);
      settleTimer.unref();
    }
  };

  /** The final outcome of a forward, with its signed `undeliverable`. */
  const givenUp = async (item: OutboundItem, error: string): Promise<OutboundOutcome> => {
    const now = config.now();
    const event = await relayEvent(config, { messageId: item.messageId, kind: 'undeliverable', at: now, sender: item.sender, digest: item.digest, recipient: item.recipient, reason: error.slice(0, 500) });
    return { messageId: item.messageId, recipient: item.recipient, failedAt: now, lastError: error, event };
  };

  /** One forward attempt; resolves with its outcome, never rejects. */
  const forwardOne = async (item: OutboundItem): Promise<OutboundOutcome> => {
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
        const whole = item.size <= WHOLE_BODY_BYTES;
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
            // The peer's signed `forwarded` comes back in its answer, not as a request of its own.
            'sealpost-events': 'inline',
          },
          body: whole ? await contentBytes(store, item) : contentStream(store, item),
          // Node's fetch streams a request body only in half-duplex mode.
          ...(whole ? {} : { duplex: 'half' }),
          signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), stopping.signal]),
        } as RequestInit);
        if (res.ok) {
          const event = forwardedEventOf(item, await res.json().catch(() => undefined));
          return { messageId: item.messageId, recipient: item.recipient, forwardedAt: config.now(), ...(event ? { event } : {}) };
        }
        error = await problemOf(res);
        final = (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) || res.status === 508;
      } catch (caught) {
        error = (caught as Error).message;
      }
    }
    options.onError?.(item, error);
    if (final) return givenUp(item, error);
    return { messageId: item.messageId, recipient: item.recipient, nextAttemptAt: config.now() + backoffDelay(item.attempts, baseDelayMs, maxDelayMs), lastError: error };
  };

  // ---- Forwarding: a window of claimed forwards per peer ----
  const peers = new Map<string, { running: number; waiting: OutboundItem[] }>();
  let held = 0;
  const idle: (() => void)[] = [];
  const busyPeers = (): string[] => [...peers].filter(([, p]) => p.running + p.waiting.length >= concurrency).map(([peer]) => peer);

  const run = (item: OutboundItem, peer: { running: number; waiting: OutboundItem[] }): void => {
    peer.running++;
    void forwardOne(item)
      .catch(async (error: unknown) => ({ messageId: item.messageId, recipient: item.recipient, nextAttemptAt: config.now() + baseDelayMs, lastError: (error as Error).message }))
      .then(record)
      .finally(() => {
        peer.running--;
        held--;
        const next = peer.waiting.shift();
        if (next) run(next, peer);
        else if (peer.running === 0) peers.delete(item.peer);
        if (held === 0) for (const resolve of idle.splice(0)) resolve();
        if (more) void fill();
      });
  };

  const launch = (item: OutboundItem): void => {
    claimed.add(keyOf(item));
    held++;
    let peer = peers.get(item.peer);
    if (!peer) peers.set(item.peer, (peer = { running: 0, waiting: [] }));
    if (peer.running < concurrency) run(item, peer);
    else peer.waiting.push(item);
  };

  // False once a claim came back short (nothing else due): a forward ending then frees a slot
  // without a query. A signal, the poll, or a full claim sets it again.
  let more = true;
  /** One claim of due forwards, as many as there is room for. */
  const claimRound = async (): Promise<Round> => {
    const room = Math.min(maxInFlight - held, concurrency);
    if (room <= 0) return { handled: 0, full: false };
    const now = config.now();
    const items = await store.claimOutbound(now, room, { leaseUntil: now + leaseMs, skipPeers: busyPeers() });
    for (const item of items) launch(item);
    if (items.length < room) more = false;
    return { handled: items.length, full: items.length === room };
  };
  const claiming = rerunningLoop(claimRound, () => stopped, (error) => reportError(new Error(`claiming forwards: ${(error as Error).message}`)));
  /** Claims due forwards while there is room; resolves with how many it started. */
  const fill = (): Promise<number> => {
    more = true;
    return claiming.start();
  };

  const whenIdle = (): Promise<void> => (held === 0 ? Promise.resolve() : new Promise((resolve) => idle.push(resolve)));

  // ---- Carrying timeline events back ----
  /** Carries one timeline event back to the relay the message came from; resolves with the outcome. */
  const returnOne = async (event: TimelineEvent): Promise<EventUpdate> => {
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
          signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), stopping.signal]),
        });
        if (res.ok) {
          await res.body?.cancel();
          return { returnedAt: config.now() };
        }
        error = await problemOf(res);
        final = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
      } catch (caught) {
        error = (caught as Error).message;
      }
    }
    options.onEventError?.(event, error);
    const now = config.now();
    return final ? { failedAt: now, lastError: error } : { nextAttemptAt: now + backoffDelay(event.attempts, baseDelayMs, maxDelayMs), lastError: error };
  };

  /**
   * One round of carrying back: the due events, a batch at most. A round records its outcomes in
   * one transaction before the next reads the queue, so no event is sent twice by this process.
   */
  const carryRound = async (): Promise<Round> => {
    const events = await store.dueEvents(config.now(), EVENT_BATCH);
    // One message's events go in the order they were recorded, so the sender's relay records them in that order too.
    const byMessage = new Map<string, TimelineEvent[]>();
    for (const event of events) byMessage.set(event.messageId, [...(byMessage.get(event.messageId) ?? []), event]);
    const outcomes: ({ seq: number } & EventUpdate)[] = [];
    await eachLimited([...byMessage.values()], maxInFlight, async (group) => {
      for (const event of group.sort((x, y) => x.seq - y.seq)) outcomes.push({ seq: event.seq, ...(await returnOne(event)) });
    });
    await store.settleEvents(outcomes);
    return { handled: events.length, full: events.length === EVENT_BATCH };
  };
  const carrying = rerunningLoop(carryRound, () => stopped, (error) => reportError(new Error(`carrying timeline events back: ${(error as Error).message}`)));
  /** Carries back due events in rounds, while rounds come back full; resolves with how many it handled. */
  const carryEvents = (): Promise<number> => carrying.start();

  // ---- Housekeeping: signing, giving up ----
  let housekeeping: Promise<void> | undefined;
  const keepHouse = (): Promise<void> =>
    (housekeeping ??= (async () => {
      try {
        // A failure here (the store, a key) must not hold up the rest; the next poll retries.
        await signPendingEvents(config).catch((error: unknown) => reportError(new Error(`signing timeline events: ${(error as Error).message}`)));
        const stalled = (await store.stalledOutbound(config.now() - giveUpMs, 4 * concurrency)).filter((item) => !claimed.has(keyOf(item)));
        for (const item of stalled) {
          const outcome = await givenUp(item, `not forwarded within ${Math.round(giveUpMs / 1000)} s; federation gave up (last error: ${item.lastError ?? 'none'})`);
          // Claimed only once there is an outcome to record: a claim whose signing failed would
          // never be recorded, so never released, and this process would not give up on it again.
          claimed.add(keyOf(item));
          record(outcome);
        }
      } catch (error) {
        reportError(error);
      } finally {
        housekeeping = undefined;
      }
    })());

  let woken = false;
  const wake = (): void => {
    if (woken || stopped) return;
    // One look for a whole group commit's worth of signals.
    woken = true;
    setImmediate(() => {
      woken = false;
      if (stopped) return;
      void fill();
      void carryEvents();
    });
  };
  const unsubscribe = onOutbound(store, wake);

  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = (): void => {
    timer = setTimeout(() => {
      // Each runs one at a time on its own: a peer that hangs on carried events holds up neither
      // the forwards nor the give-ups.
      void keepHouse();
      void fill();
      void carryEvents();
      if (!stopped) tick();
    }, intervalMs);
    timer.unref();
  };
  tick();

  const drain = async (): Promise<number> => {
    await keepHouse();
    const [forwarded, carried] = await Promise.all([fill(), carryEvents()]);
    await whenIdle();
    await flushOutcomes();
    return forwarded + carried;
  };

  return {
    wake,
    drain,
    stop: async () => {
      stopped = true;
      unsubscribe();
      if (timer) clearTimeout(timer);
      stopping.abort(new Error('the relay is shutting down'));
      await Promise.all([claiming.running(), carrying.running(), housekeeping].map((p) => p?.catch(() => undefined)));
      await whenIdle();
      await flushOutcomes();
    },
  };
}
