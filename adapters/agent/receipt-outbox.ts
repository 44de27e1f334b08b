import { createReceipt } from '@sealpost/sdk/crypto';
import type { Identity, OpenResult, ReceiptStatus } from '@sealpost/sdk/crypto';
import { settleLimited } from '../internal/limit.js';
import { guard, openDb } from '../internal/sqlite.js';
import type { Db } from '../internal/sqlite.js';
import type { ReceiptSink } from '../import/pipeline.js';
import type { AckFileEvent } from '../file-drop/import-folder.js';

/** Sends one receipt to the sender through the relay: `RelayClient.sendReceipt`'s signature. */
export type DeliverReceipt = (messageId: string, bytes: Uint8Array, info: { status: ReceiptStatus; reason?: string }) => Promise<unknown>;

/** What {@link ReceiptOutbox.flush} did. */
export interface ReceiptFlushResult {
  sent: number;
  /** Receipts still waiting (the relay failed, or they wait for an EMR acknowledgement). */
  queued: number;
  held: number;
  /** Receipts the relay refused in this flush (now `failed`). */
  failed: { messageId: string; status: ReceiptStatus; reason: string }[];
  /** The transient failure that stopped the flush. */
  error?: Error;
}

/** What a receipt needs from an opened letter, stored so a "rejected" receipt can be made long after the letter was opened. */
interface StoredBinding {
  messageId: string | undefined;
  signedContentIdentifier: string | undefined;
  receiptsTo: string[];
  signature: string;
  signedAttributes: string;
  contentType: string;
  signerCertificate: string;
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const ACCEPTED = new Set(['AA', 'CA']);

/**
 * The agent's durable receipt queue (tables in the agent's SQLite file). It is the import
 * pipeline's {@link ReceiptSink}: a receipt is committed here, and `flush` sends it through the
 * relay, so a relay outage delays receipts but never loses them. For letters filed into an import
 * folder whose EMR writes acknowledgement files, the "imported" receipt is held until the EMR's
 * ACK arrives: AA/CA releases it; AE/AR (or CE/CR) replaces it with a signed "rejected" receipt
 * carrying the EMR's text. Every step is idempotent per messageId and status.
 */
export class ReceiptOutbox {
  readonly #db: Db;
  readonly #identity: Identity;
  readonly #insertRow;

  constructor(path: string, options: { identity: Identity }) {
    this.#identity = options.identity;
    this.#db = openDb(path);
    this.#db.exec(`CREATE TABLE IF NOT EXISTS agent_receipts (
      message_id TEXT NOT NULL, status TEXT NOT NULL, reason TEXT, bytes BLOB NOT NULL, state TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, created_at TEXT NOT NULL, sent_at TEXT, PRIMARY KEY (message_id, status));
      CREATE TABLE IF NOT EXISTS agent_acks (
      message_id TEXT PRIMARY KEY, control_id TEXT NOT NULL, binding TEXT NOT NULL, state TEXT NOT NULL,
      ack_code TEXT, ack_text TEXT, created_at TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS agent_acks_control ON agent_acks (control_id)`);
    this.#insertRow = this.#db.prepare('INSERT INTO agent_receipts (message_id, status, reason, bytes, state, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING');
    // Receipts the relay refused are tried once more at each start (the relay may have been upgraded or repaired).
    guard('receipt outbox retry failed', () => this.#db.prepare("UPDATE agent_receipts SET state = 'queued' WHERE state = 'failed'").run());
  }

  /** Marks a letter as filed into a folder whose EMR acknowledges: its "imported" receipt waits for the EMR's ACK of `controlId` (MSH-10). */
  expectAck(messageId: string, controlId: string, opened: OpenResult): void {
    const binding: StoredBinding = {
      messageId: opened.header?.messageId,
      signedContentIdentifier: opened.receiptRequest ? b64(opened.receiptRequest.signedContentIdentifier) : undefined,
      receiptsTo: opened.receiptRequest?.receiptsTo ?? [],
      signature: b64(opened.binding.signature),
      signedAttributes: b64(opened.binding.signedAttributes),
      contentType: opened.binding.contentType,
      signerCertificate: b64(opened.signer.certificate),
    };
    guard('receipt outbox expect ack', () =>
      this.#db.prepare("INSERT INTO agent_acks (message_id, control_id, binding, state, created_at) VALUES (?, ?, ?, 'awaiting', ?) ON CONFLICT DO NOTHING").run(messageId, controlId, JSON.stringify(binding), new Date().toISOString()),
    );
  }

  /** The sink to give the import pipeline; `sendMany` commits a whole step's receipts in one transaction. */
  readonly sink: ReceiptSink = {
    send: async (bytes, info) => {
      const ack = this.#ack(info.messageId);
      if (info.status === 'imported' && ack?.state === 'refused') return this.#reject(info.messageId);
      this.#insert(info.messageId, info.status, info.reason, bytes, this.#stateFor(info, ack));
    },
    sendMany: async (receipts) => {
      const refused: string[] = [];
      guard('receipt outbox add', () =>
        this.#db.transaction(() => {
          for (const { receipt, info } of receipts) {
            const ack = this.#ack(info.messageId);
            if (info.status === 'imported' && ack?.state === 'refused') refused.push(info.messageId);
            else this.#insert(info.messageId, info.status, info.reason, receipt, this.#stateFor(info, ack));
          }
        })(),
      );
      for (const messageId of refused) await this.#reject(messageId);
    },
  };

  /** An "imported" receipt waits while the EMR's acknowledgement is awaited. */
  #stateFor(info: { status: ReceiptStatus }, ack: { state: string } | undefined): 'held' | 'queued' {
    return info.status === 'imported' && ack?.state === 'awaiting' ? 'held' : 'queued';
  }

  #insert(messageId: string, status: string, reason: string | undefined, bytes: Uint8Array, state: 'held' | 'queued'): void {
    guard('receipt outbox add', () => this.#insertRow.run(messageId, status, reason ?? null, bytes, state, new Date().toISOString()));
  }

  #ack(messageId: string): { state: 'awaiting' | 'accepted' | 'refused'; binding: string; ack_text: string | null; ack_code: string | null } | undefined {
    return this.#db.prepare('SELECT state, binding, ack_text, ack_code FROM agent_acks WHERE message_id = ?').get(messageId) as never;
  }

  async #reject(messageId: string): Promise<void> {
    const ack = this.#ack(messageId)!;
    const reason = `the EMR refused the import (${ack.ack_code ?? '?'})${ack.ack_text ? `: ${ack.ack_text}` : ''}`;
    const stored = JSON.parse(ack.binding) as StoredBinding;
    const exists = this.#db.prepare("SELECT 1 FROM agent_receipts WHERE message_id = ? AND status = 'rejected'").get(messageId);
    if (!exists && stored.signedContentIdentifier !== undefined) {
      const original = {
        header: stored.messageId ? { messageId: stored.messageId } : undefined,
        receiptRequest: { signedContentIdentifier: unb64(stored.signedContentIdentifier), receiptsTo: stored.receiptsTo },
        binding: { signature: unb64(stored.signature), signedAttributes: unb64(stored.signedAttributes), contentType: stored.contentType },
        signer: { certificate: unb64(stored.signerCertificate), subject: '', addresses: [] },
      } as unknown as OpenResult;
      const bytes = await createReceipt(original, { identity: this.#identity, status: 'rejected', reason });
      this.#insert(messageId, 'rejected', reason, bytes, 'queued');
    }
    // The held "imported" receipt must never go out now.
    guard('receipt outbox drop imported', () => this.#db.prepare("DELETE FROM agent_receipts WHERE message_id = ? AND status = 'imported' AND state = 'held'").run(messageId));
  }

  /**
   * Records an EMR acknowledgement file (idempotent: safe to repeat after a crash). Resolves to
   * the messageId it concerns, or undefined when no letter awaits that MSH-10.
   */
  async recordAck(event: AckFileEvent): Promise<string | undefined> {
    const row = this.#db.prepare("SELECT message_id AS messageId, state FROM agent_acks WHERE control_id = ? ORDER BY (state = 'awaiting') DESC, rowid DESC LIMIT 1").get(event.controlId) as
      | { messageId: string; state: string }
      | undefined;
    if (!row) return undefined;
    const accepted = ACCEPTED.has(event.code.toUpperCase());
    if (row.state === 'awaiting') {
      guard('receipt outbox record ack', () =>
        this.#db.prepare('UPDATE agent_acks SET state = ?, ack_code = ?, ack_text = ? WHERE message_id = ?').run(accepted ? 'accepted' : 'refused', event.code, event.text, row.messageId),
      );
    }
    const state = this.#ack(row.messageId)!.state;
    if (state === 'accepted') guard('receipt outbox release', () => this.#db.prepare("UPDATE agent_receipts SET state = 'queued' WHERE message_id = ? AND status = 'imported' AND state = 'held'").run(row.messageId));
    else await this.#reject(row.messageId);
    return row.messageId;
  }

  /**
   * Sends queued receipts through `deliver`: a message's receipts in order (delivered before
   * imported), up to `concurrency` messages at once (default 8), and their `sent` marks committed
   * together at the end (one fsync per flush, not one per receipt; a crash before it sends them
   * again, which receipts allow). A transient failure (`isTransient`: the relay is unreachable)
   * stops the flush and keeps the receipt queued; any other refusal marks that receipt `failed`
   * with the reason (retried at the next start) and the flush goes on.
   */
  async flush(deliver: DeliverReceipt, options: { isTransient?: (error: unknown) => boolean; concurrency?: number } = {}): Promise<ReceiptFlushResult> {
    const rows = this.#db.prepare("SELECT rowid, message_id AS messageId, status, reason, bytes FROM agent_receipts WHERE state = 'queued' ORDER BY rowid").all() as {
      rowid: number;
      messageId: string;
      status: ReceiptStatus;
      reason: string | null;
      bytes: Uint8Array;
    }[];
    const result: ReceiptFlushResult = { sent: 0, queued: 0, held: 0, failed: [] };
    const byMessage = new Map<string, typeof rows>();
    for (const row of rows) byMessage.set(row.messageId, [...(byMessage.get(row.messageId) ?? []), row]);
    const sent: number[] = [];
    const failures: { rowid: number; message: string; transient: boolean }[] = [];
    await settleLimited([...byMessage.values()], options.concurrency ?? 8, async (receipts) => {
      for (const row of receipts) {
        if (result.error) return;
        try {
          await deliver(row.messageId, new Uint8Array(row.bytes), { status: row.status, ...(row.reason ? { reason: row.reason } : {}) });
        } catch (error) {
          const transient = options.isTransient?.(error) ?? true;
          failures.push({ rowid: row.rowid, message: (error as Error).message, transient });
          if (transient) {
            result.error ??= error as Error;
            return;
          }
          result.failed.push({ messageId: row.messageId, status: row.status, reason: (error as Error).message });
          continue;
        }
        sent.push(row.rowid);
      }
    });
    const markSent = this.#db.prepare("UPDATE agent_receipts SET state = 'sent', sent_at = ?, last_error = NULL WHERE rowid = ?");
    const markFailed = this.#db.prepare('UPDATE agent_receipts SET attempts = attempts + 1, last_error = ?, state = ? WHERE rowid = ?');
    guard('receipt outbox sent', () =>
      this.#db.transaction(() => {
        const at = new Date().toISOString();
        for (const rowid of sent) markSent.run(at, rowid);
        for (const f of failures) markFailed.run(f.message, f.transient ? 'queued' : 'failed', f.rowid);
      })(),
    );
    result.sent = sent.length;
    const counts = this.counts();
    result.queued = counts.queued;
    result.held = counts.held;
    return result;
  }

  /** Receipts waiting to be sent, and those held for an EMR acknowledgement. */
  counts(): { queued: number; held: number; failed: number } {
    const rows = this.#db.prepare("SELECT state, count(*) AS n FROM agent_receipts WHERE state IN ('queued', 'held', 'failed') GROUP BY state").all() as { state: string; n: number }[];
    const n = (state: string): number => rows.find((r) => r.state === state)?.n ?? 0;
    return { queued: n('queued'), held: n('held'), failed: n('failed') };
  }

  /** Receipts by state, oldest first (for tests and `--json` status). */
  list(state: 'queued' | 'held' | 'sent' | 'failed'): { messageId: string; status: ReceiptStatus; reason: string | null; lastError: string | null }[] {
    return this.#db.prepare('SELECT message_id AS messageId, status, reason, last_error AS lastError FROM agent_receipts WHERE state = ? ORDER BY rowid').all(state) as never;
  }

  close(): void {
    this.#db.close();
  }
}
