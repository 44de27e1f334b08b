import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { parseMessage } from '@sealpost/sdk/hl7v2';
import { AdapterError } from '../errors.js';
import { guard, openDb } from '../internal/sqlite.js';
import type { Db } from '../internal/sqlite.js';
import { createMllpDecoder, encodeMllpFrame } from './decoder.js';

/**
 * States of an outbound message. `sending` is written (and fsynced) before the bytes go out; a
 * message found in `sending` after a restart may or may not have reached the peer, so it becomes
 * `held`, like a timeout: a person decides whether to resend ({@link MllpSender.release}).
 */
export type OutboxState = 'queued' | 'sending' | 'acked' | 'failed' | 'held' | 'discarded';

/** One row of the durable outbound queue. */
export interface OutboxEntry {
  id: number;
  /** MSH-10 of the message: the ACK's MSA-2 must equal it. */
  controlId: string;
  state: OutboxState;
  attempts: number;
  /** MSA-1 of the answer, when one came. */
  ackCode: string | null;
  reason: string | null;
}

/** Options of {@link MllpSender}. */
export interface MllpSenderOptions {
  host: string;
  port: number;
  /** SQLite file of the durable queue. */
  path: string;
  /** How long to wait for the ACK, in milliseconds (default 30 000). After it the message is held. */
  ackTimeoutMs?: number;
  /** How long to wait for the TCP connection, in milliseconds (default 10 000). Nothing was sent: the message stays queued. */
  connectTimeoutMs?: number;
  /** Throttle: at least this many milliseconds between two sends (default 0). */
  minIntervalMs?: number;
  /** Largest ACK frame accepted, in bytes (default 1 MiB). */
  maxAckBytes?: number;
}

/** Outcome of {@link MllpSender.flush}. */
export interface FlushResult {
  acked: number;
  failed: number;
  held: number;
  /** Messages still queued (the peer was unreachable, or a hold stopped the flush). */
  queued: number;
  /** Why the flush stopped early, when it did. */
  error?: AdapterError;
}

/**
 * MLLP sender with a durable queue. Messages go out one at a time, in order, on one connection.
 * An answer counts only when its MSA-2 equals the message's MSH-10; other frames (a late ACK of an
 * earlier message) are ignored. AA/CA → `acked`; AE/AR/CE/CR → `failed` with the ACK's text (no
 * automatic retry: the receiver refused it). A timeout or a connection lost after the bytes were
 * written is ambiguous → `held`, and the flush stops so order is kept; it is never resent blindly.
 */
export class MllpSender {
  readonly #db: Db;
  readonly #options: MllpSenderOptions;
  #socket: Socket | undefined;
  #waiter: ((frame: Uint8Array | AdapterError) => void) | undefined;
  #lastSend = 0;

  constructor(options: MllpSenderOptions) {
    this.#options = options;
    this.#db = openDb(options.path);
    this.#db.exec(`CREATE TABLE IF NOT EXISTS mllp_outbox (
      id INTEGER PRIMARY KEY AUTOINCREMENT, control_id TEXT NOT NULL, payload BLOB NOT NULL,
      state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, ack_code TEXT, reason TEXT, updated_at TEXT NOT NULL)`);
    // A crash between "sending" and the ACK leaves the outcome unknown.
    this.#db.prepare("UPDATE mllp_outbox SET state = 'held', reason = 'interrupted while awaiting the ACK' WHERE state = 'sending'").run();
  }

  /** Adds a message (wire text or bytes) to the durable queue; returns its entry. Its MSH-10 must be set. Throws `ERR_HL7_*` for a bad message. */
  enqueue(message: Uint8Array | string): OutboxEntry {
    const bytes = typeof message === 'string' ? new TextEncoder().encode(message) : message;
    const controlId = parseMessage(bytes).controlId;
    if (!controlId) throw new TypeError('MllpSender.enqueue: the message has no MSH-10 control id');
    const id = guard('mllp outbox enqueue', () => Number(this.#db.prepare("INSERT INTO mllp_outbox (control_id, payload, state, updated_at) VALUES (?, ?, 'queued', ?)").run(controlId, bytes, now()).lastInsertRowid));
    return this.entry(id)!;
  }

  /** One entry by id. */
  entry(id: number): OutboxEntry | undefined {
    return this.#db.prepare('SELECT id, control_id AS controlId, state, attempts, ack_code AS ackCode, reason FROM mllp_outbox WHERE id = ?').get(id) as OutboxEntry | undefined;
  }

  /** Entries in a state, oldest first. */
  list(state: OutboxState): OutboxEntry[] {
    return this.#db.prepare('SELECT id, control_id AS controlId, state, attempts, ack_code AS ackCode, reason FROM mllp_outbox WHERE state = ? ORDER BY id').all(state) as OutboxEntry[];
  }

  /** A reviewer decided a held message must be sent again: back to `queued`. Throws `ERR_MATCH_REVIEW_STATE` if it is not held. */
  release(id: number): void {
    this.#review(id, 'queued');
  }

  /** A reviewer confirmed a held message reached the peer (or must not be sent): `discarded`. */
  discard(id: number): void {
    this.#review(id, 'discarded');
  }

  #review(id: number, to: OutboxState): void {
    const changed = this.#db.prepare("UPDATE mllp_outbox SET state = ?, reason = NULL, updated_at = ? WHERE id = ? AND state = 'held'").run(to, now(), id).changes;
    if (changed !== 1) throw new AdapterError('ERR_MATCH_REVIEW_STATE', `outbox entry ${id} is not held`);
  }

  /** Sends queued messages in order until none is left, one is held, or the peer is unreachable. */
  async flush(): Promise<FlushResult> {
    const result: FlushResult = { acked: 0, failed: 0, held: 0, queued: 0 };
    const next = this.#db.prepare("SELECT id, control_id AS controlId, payload FROM mllp_outbox WHERE state = 'queued' ORDER BY id LIMIT 1");
    const setState = this.#db.prepare('UPDATE mllp_outbox SET state = ?, ack_code = ?, reason = ?, updated_at = ? WHERE id = ?');
    for (;;) {
      const row = next.get() as { id: number; controlId: string; payload: Uint8Array } | undefined;
      if (!row) break;
      try {
        await this.#connect();
      } catch (error) {
        result.error = error as AdapterError;
        break;
      }
      const wait = this.#lastSend + (this.#options.minIntervalMs ?? 0) - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      guard('mllp outbox mark sending', () => this.#db.prepare("UPDATE mllp_outbox SET state = 'sending', attempts = attempts + 1, updated_at = ? WHERE id = ?").run(now(), row.id));
      this.#lastSend = Date.now();
      const answer = await this.#exchange(new Uint8Array(row.payload), row.controlId);
      if (answer instanceof AdapterError) {
        setState.run('held', null, answer.message, now(), row.id);
        result.held++;
        result.error = answer;
        this.#drop();
        break;
      }
      const ok = answer.code === 'AA' || answer.code === 'CA';
      setState.run(ok ? 'acked' : 'failed', answer.code, ok ? null : answer.text || `negative acknowledgment ${answer.code}`, now(), row.id);
      if (ok) result.acked++;
      else result.failed++;
    }
    result.queued = (this.#db.prepare("SELECT count(*) AS n FROM mllp_outbox WHERE state = 'queued'").get() as { n: number }).n;
    return result;
  }

  /** Closes the connection and the queue file. */
  close(): void {
    this.#drop();
    this.#db.close();
  }

  #drop(): void {
    this.#socket?.destroy();
    this.#socket = undefined;
  }

  async #connect(): Promise<void> {
    if (this.#socket && !this.#socket.destroyed) return;
    const socket = connect({ host: this.#options.host, port: this.#options.port });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new AdapterError('ERR_MLLP_CONNECTION', `connect to ${this.#options.host}:${this.#options.port} timed out`));
      }, this.#options.connectTimeoutMs ?? 10_000);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (cause) => {
        clearTimeout(timer);
        reject(new AdapterError('ERR_MLLP_CONNECTION', `cannot connect to ${this.#options.host}:${this.#options.port}: ${cause.message}`, { cause }));
      });
    });
    const decoder = createMllpDecoder({ maxFrameBytes: this.#options.maxAckBytes ?? 1024 * 1024 });
    socket.on('data', (chunk: Uint8Array) => {
      if (this.#socket !== socket) return;
      for (const item of decoder.push(chunk)) if (item.kind === 'frame') this.#waiter?.(item.payload);
    });
    const lost = (): void => {
      // Events of a socket already dropped (after a timeout) must not settle the next exchange.
      if (this.#socket !== socket) return;
      this.#drop();
      this.#waiter?.(new AdapterError('ERR_MLLP_CONNECTION', 'connection closed before the ACK'));
    };
    socket.on('error', lost);
    socket.on('close', lost);
    this.#socket = socket;
  }

  /** Writes one frame and waits for the ACK whose MSA-2 is `controlId`. Never throws: an ambiguous outcome comes back as an error value. */
  #exchange(payload: Uint8Array, controlId: string): Promise<{ code: string; text: string } | AdapterError> {
    const socket = this.#socket!;
    return new Promise((resolve) => {
      const finish = (value: { code: string; text: string } | AdapterError): void => {
        clearTimeout(timer);
        this.#waiter = undefined;
        resolve(value);
      };
      const timer = setTimeout(() => finish(new AdapterError('ERR_MLLP_TIMEOUT', `no ACK for MSH-10 '${controlId}' within ${this.#options.ackTimeoutMs ?? 30_000} ms`)), this.#options.ackTimeoutMs ?? 30_000);
      this.#waiter = (frame) => {
        if (frame instanceof AdapterError) return finish(frame);
        try {
          const ack = parseMessage(frame);
          // A late ACK of an earlier message, or a stray frame: not ours, keep waiting.
          if (ack.get('MSA-2') !== controlId) return;
          finish({ code: ack.get('MSA-1') ?? '', text: ack.get('MSA-3') || ack.get('ERR-8') || '' });
        } catch {
          // An unreadable answer is ignored like a stray frame; the timeout decides.
        }
      };
      socket.write(encodeMllpFrame(payload));
    });
  }
}

const now = (): string => new Date().toISOString();
