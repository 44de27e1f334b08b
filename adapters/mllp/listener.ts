import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { buildErrorAck, Hl7ParseError, parseMessage } from '@sealpost/sdk/hl7v2';
import type { Hl7Message } from '@sealpost/sdk/hl7v2';
import type { AdapterError } from '../errors.js';
import { createMllpDecoder, encodeMllpFrame } from './decoder.js';
import { ackBytes, encodeAck } from './encode-ack.js';
import type { MllpInboundStore } from './inbound-store.js';

/** What the application answers in original mode: MSA-1 and optional text. */
export interface MllpHandlerResult {
  code: 'AA' | 'AE' | 'AR';
  text?: string;
}

/** Whether `result` is an answer original mode can send: MSA-1 AA, AE or AR, and text, if any, a string. */
function isOriginalModeAnswer(result: unknown): result is MllpHandlerResult {
  if (typeof result !== 'object' || result === null) return false;
  const { code, text } = result as { code?: unknown; text?: unknown };
  return (code === 'AA' || code === 'AE' || code === 'AR') && (text === undefined || typeof text === 'string');
}

/** An application's answer as a short string for the log. */
function describeAnswer(result: unknown): string {
  try {
    return (JSON.stringify(result) ?? String(result)).slice(0, 200);
  } catch {
    return String(result).slice(0, 200);
  }
}

/** Options of {@link startMllpListener}. */
export interface MllpListenerOptions {
  /** Interface to bind (default `127.0.0.1`). */
  host?: string;
  /** TCP port (default 0: any free port; read it from `listener.port`). */
  port?: number;
  /**
   * `original` (default): the ACK is the application's answer (AA/AE/AR) from `onMessage`.
   * `enhanced`: a commit ACK — CA only after `store.put` returned (the message is on disk), CE when
   * the store failed, CR when the message cannot be parsed; `onMessage` runs after the CA.
   */
  mode?: 'original' | 'enhanced';
  /**
   * Durable store, keyed by MSH-3|MSH-4|MSH-10. Required in enhanced mode. With a store, a resend
   * of a message already stored (its ACK was lost) is acknowledged again and not handed to
   * `onMessage` a second time.
   */
  store?: MllpInboundStore;
  /**
   * Called once per new message, in arrival order per connection. In original mode its result is the
   * ACK (default AA); when it throws, rejects or answers anything but `{ code: 'AA' | 'AE' | 'AR',
   * text?: string }`, the peer gets AE "Application internal error" on the same connection and the
   * error goes to `onError`.
   */
  onMessage?: (message: Hl7Message, payload: Uint8Array) => MllpHandlerResult | void | Promise<MllpHandlerResult | void>;
  /** Called for frames that are dropped (oversize, aborted) and for socket errors. */
  onError?: (error: AdapterError | Error) => void;
  /** Largest frame payload in bytes (default 16 MiB). */
  maxFrameBytes?: number;
  /** A connection idle this long is closed, in milliseconds (default 120 000). Slow or silent peers cannot hold sockets forever. */
  idleTimeoutMs?: number;
  /** Concurrent connections accepted (default 64). */
  maxConnections?: number;
  /** Frames decoded but not yet answered before the socket is paused (default 32): bounds memory against a fast sender. */
  maxPendingFrames?: number;
}

/** A running listener. */
export interface MllpListener {
  readonly host: string;
  readonly port: number;
  /** Messages acknowledged positively (AA or CA) and handed on. */
  readonly accepted: number;
  /** Stops accepting, closes every connection and resolves when the server is closed. */
  close(): Promise<void>;
}

/**
 * Starts an MLLP listener (HL7 v2.5.1 Appendix C; acknowledgments §2.9). Each frame is parsed with
 * sdk/hl7v2 and answered on the same connection, in order. Unparseable messages get AR (CR in
 * enhanced mode) when their MSH can be read, and nothing otherwise.
 *
 * @example
 * const listener = await startMllpListener({ mode: 'enhanced', store: new SqliteInboundStore(file) });
 */
export async function startMllpListener(options: MllpListenerOptions = {}): Promise<MllpListener> {
  const mode = options.mode ?? 'original';
  if (mode === 'enhanced' && !options.store) throw new TypeError('startMllpListener: enhanced mode needs a durable store');
  const maxPending = options.maxPendingFrames ?? 32;
  const sockets = new Set<Socket>();
  let accepted = 0;
  const report = (error: AdapterError | Error): void => options.onError?.(error);
  // ACK control ids: a random prefix per listener and a counter. Unique like buildAck's default
  // (20 random hex digits), without a getRandomValues call per ACK (~14 µs, the largest single
  // cost of an ACK in the bench profile).
  const ackPrefix = Array.from(crypto.getRandomValues(new Uint8Array(5)), (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
  let ackSeq = 0;
  const ack = (message: Hl7Message, fields: { code: MllpHandlerResult['code'] | 'CA' | 'CE'; text?: string }): Uint8Array =>
    encodeAck(message, { ...fields, controlId: `${ackPrefix}${(ackSeq++).toString(36).toUpperCase()}` });

  // Group commit (enhanced mode, a store with putMany): every message parsed in one turn of the
  // event loop, on any connection, is stored by one putMany — one fsync — before any of their CAs.
  // While that fsync blocks, the next messages queue up in the sockets and form the next group.
  const store = options.store;
  let group: { key: string; payload: Uint8Array; resolve: (r: 'stored' | 'duplicate') => void; reject: (e: unknown) => void }[] = [];
  const flush = (): void => {
    const entries = group;
    group = [];
    let results: ('stored' | 'duplicate')[];
    try {
      results = store!.putMany!(entries);
    } catch (error) {
      for (const e of entries) e.reject(error);
      return;
    }
    entries.forEach((e, i) => e.resolve(results[i]!));
  };
  const put = (key: string, payload: Uint8Array): 'stored' | 'duplicate' | Promise<'stored' | 'duplicate'> => {
    if (!store!.putMany) return store!.put(key, payload);
    return new Promise((resolve, reject) => {
      if (group.length === 0) setImmediate(flush);
      group.push({ key, payload, resolve, reject });
    });
  };

  type Reply = Uint8Array | undefined;
  const isPromise = <T>(v: T | Promise<T>): v is Promise<T> => typeof (v as { then?: unknown } | undefined)?.then === 'function';

  // Synchronous unless the store (group commit) or the application returns a promise: a plain
  // listener answers within the 'data' callback, without a microtask hop per message.
  const answer = (payload: Uint8Array): Reply | Promise<Reply> => {
    let message: Hl7Message;
    try {
      message = parseMessage(payload);
    } catch (error) {
      if (!(error instanceof Hl7ParseError)) throw error;
      report(error);
      const errorAck = buildErrorAck(payload, error, { code: mode === 'enhanced' ? 'CR' : 'AR' });
      return errorAck && ackBytes(errorAck);
    }
    // The store's key; a listener without a store never reads these fields.
    const storeKey = (): string => `${message.getRaw('MSH-3') ?? ''}|${message.getRaw('MSH-4') ?? ''}|${message.controlId}`;
    if (mode === 'enhanced') {
      const committed = (stored: 'stored' | 'duplicate'): Reply => {
        const reply = ack(message, { code: 'CA' });
        if (stored === 'stored') {
          accepted++;
          // The application runs after the commit: its failure cannot undo a message already on disk.
          Promise.resolve()
            .then(() => options.onMessage?.(message, payload))
            .catch((error: unknown) => report(error as Error));
        }
        return reply;
      };
      const failed = (error: unknown): Reply => {
        report(error as Error);
        return ack(message, { code: 'CE', text: 'Message could not be stored' });
      };
      let stored: 'stored' | 'duplicate' | Promise<'stored' | 'duplicate'>;
      try {
        stored = put(storeKey(), payload);
      } catch (error) {
        return failed(error);
      }
      return isPromise(stored) ? stored.then(committed, failed) : committed(stored);
    }
    if (options.store) {
      let stored: 'stored' | 'duplicate';
      try {
        stored = options.store.put(storeKey(), payload);
      } catch (error) {
        report(error as Error);
        return ack(message, { code: 'AE', text: 'Message could not be stored' });
      }
      if (stored === 'duplicate') return ack(message, { code: 'AA', text: 'Duplicate: already received' });
    }
    const appFailed = (error: unknown): Reply => {
      report(error as Error);
      return finish({ code: 'AE', text: 'Application internal error' });
    };
    const finish = (result: MllpHandlerResult | void | null): Reply => {
      // An answer buildAck cannot write (a JavaScript caller's 'OK', an enhanced-mode 'CA') is the
      // application's bug, not the peer's: the peer still gets its answer on an open connection.
      if (result != null && !isOriginalModeAnswer(result)) {
        return appFailed(new TypeError(`startMllpListener: onMessage answered ${describeAnswer(result)} for MSH-10 '${message.controlId}'; expected { code: 'AA' | 'AE' | 'AR', text?: string }`));
      }
      const code = result?.code ?? 'AA';
      if (code === 'AA') accepted++;
      return ack(message, result?.text === undefined ? { code } : { code, text: result.text });
    };
    let result: MllpHandlerResult | void | Promise<MllpHandlerResult | void>;
    try {
      result = options.onMessage?.(message, payload);
    } catch (error) {
      return appFailed(error);
    }
    return isPromise(result) ? result.then(finish, appFailed) : finish(result);
  };

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(options.idleTimeoutMs ?? 120_000, () => socket.destroy());
    const decoder = createMllpDecoder(options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes });
    const queue: Uint8Array[] = [];
    let running = false;
    const write = (acks: Reply[]): void => {
      if (socket.destroyed) return;
      if (acks.length === 1) {
        if (acks[0]) socket.write(encodeMllpFrame(acks[0]));
      } else {
        socket.cork();
        for (const a of acks) if (a) socket.write(encodeMllpFrame(a));
        socket.uncork();
      }
      if (queue.length < maxPending && socket.isPaused()) socket.resume();
    };
    const fail = (error: unknown): void => {
      running = false;
      report(error as Error);
      socket.destroy();
    };
    // Answers the queue in order. Enhanced mode answers every frame already queued together (they
    // join one group commit); original mode hands messages to the application one at a time and
    // waits for a promised answer before the next. Returns when it must wait; the promise's
    // continuation carries on.
    const drain = (): void => {
      try {
        while (queue.length > 0 && !socket.destroyed) {
          const payloads = mode === 'enhanced' ? queue.splice(0) : [queue.shift()!];
          const replies = payloads.map(answer);
          if (replies.some(isPromise)) {
            running = true;
            Promise.all(replies).then((acks) => {
              write(acks);
              running = false;
              drain();
            }, fail);
            return;
          }
          write(replies as Reply[]);
        }
      } catch (error) {
        fail(error);
      }
    };
    socket.on('data', (chunk: Uint8Array) => {
      for (const item of decoder.push(chunk)) {
        if (item.kind === 'frame') queue.push(item.payload);
        else report(item.error);
      }
      if (queue.length >= maxPending) socket.pause();
      if (!running) drain();
    });
    socket.on('error', (error) => report(error));
    socket.on('close', () => sockets.delete(socket));
  });
  server.maxConnections = options.maxConnections ?? 64;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('startMllpListener: no TCP address');

  return {
    host: address.address,
    port: address.port,
    get accepted() {
      return accepted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
