import { createReceipt, EnvelopeError, openEnvelope } from '@sealpost/sdk/crypto';
import type { Identity, OpenResult, ReceiptStatus, SeenStore, TrustStore } from '@sealpost/sdk/crypto';
import { AdapterError } from '../errors.js';
import { guard, openDb } from '../internal/sqlite.js';
import type { Db } from '../internal/sqlite.js';
import { matchPatient } from '../match/match-patient.js';
import type { MatchPatientOptions, PatientCandidate, PatientDemographics } from '../match/match-patient.js';
import { ReviewQueue } from '../match/review-queue.js';

/** One item of the relay inbox. `id` is the relay's id of the item (stable across fetches). */
export interface InboxItem {
  id: string;
  envelope: Uint8Array;
}

/** Where letters come from (sdk/transport's relay client, a folder of `.p7m` files, a test). */
export interface InboxSource {
  /** Up to `limit` items not yet removed. */
  fetch(limit: number): Promise<InboxItem[]>;
  /** Removes an item; called only once the envelope is durable in the pipeline's store. */
  remove(id: string): Promise<void>;
}

/** A letter rendered into the form the EMR takes. */
export interface RenderedLetter {
  content: Uint8Array;
  mediaType: string;
  /** What the letter says about its patient, for matching. */
  patient: PatientDemographics;
}

/** The EMR side: patient search and filing. `file` must be idempotent by messageId (ImportFolder, conditional create). */
export interface EmrTarget {
  findPatients(query: PatientDemographics): Promise<PatientCandidate[]>;
  file(letter: RenderedLetter, patientId: string, messageId: string): Promise<void>;
}

/** Where signed receipts go back to the sender (the relay, later). Receipts may be sent more than once after a crash; they are idempotent per messageId and status. */
export interface ReceiptSink {
  send(receipt: Uint8Array, info: { messageId: string; status: ReceiptStatus; reason?: string }): Promise<void>;
}

/** Options of {@link ImportPipeline}. */
export interface ImportPipelineOptions {
  /** SQLite file of the state machine (and the review queue). */
  path: string;
  identity: Identity;
  trust: TrustStore;
  source: InboxSource;
  target: EmrTarget;
  receipts: ReceiptSink;
  /** Turns an opened payload into the EMR's form (see `renderHl7Letter`). Throwing rejects the letter with the error's message. */
  render: (payload: Uint8Array, opened: OpenResult) => RenderedLetter | Promise<RenderedLetter>;
  match?: MatchPatientOptions;
  /** Items fetched per round (default 50). */
  batchSize?: number;
  /** Clock for envelope checks (default now). */
  now?: () => Date;
}

/**
 * States, each committed (fsynced) before the next step starts:
 * received → opened → delivered → matched | review → filed → done; or rejected → done-rejected;
 * or invalid (the envelope did not open: no receipt can be trusted to the sender).
 */
export type ImportState = 'received' | 'opened' | 'delivered' | 'review' | 'matched' | 'filed' | 'done' | 'rejected' | 'done-rejected' | 'invalid';

/** A letter's row in the state machine. */
export interface ImportRecord {
  inboxId: string;
  messageId: string | null;
  state: ImportState;
  patientId: string | null;
  reason: string | null;
}

/** Counts of one {@link ImportPipeline.runOnce} call. */
export interface ImportRunResult {
  fetched: number;
  filed: number;
  review: number;
  rejected: number;
  invalid: number;
}

/**
 * The import pipeline: inbox fetch → open and verify → delivered receipt → render → match →
 * file exactly once → imported (or rejected) receipt. Every step's result is committed to SQLite
 * before the next begins, and every step is safe to repeat, so a crash anywhere followed by a
 * restart neither loses nor duplicates a letter: the envelope is stored before the relay copy is
 * removed; filing relies on the target's idempotency per messageId; a re-open after a crash is not
 * a replay (the seen store is keyed to the inbox item), a second copy of a message is.
 */
export class ImportPipeline {
  readonly #db: Db;
  readonly #options: ImportPipelineOptions;
  readonly review: ReviewQueue;
  #current = '';

  constructor(options: ImportPipelineOptions) {
    this.#options = options;
    this.#db = openDb(options.path);
    this.#db.exec(`CREATE TABLE IF NOT EXISTS import_letters (
      inbox_id TEXT PRIMARY KEY, message_id TEXT, state TEXT NOT NULL, envelope BLOB NOT NULL,
      patient_id TEXT, reason TEXT, updated_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS import_seen (signer TEXT NOT NULL, message_id TEXT NOT NULL, inbox_id TEXT NOT NULL, expires_at TEXT NOT NULL, PRIMARY KEY (signer, message_id))`);
    this.review = new ReviewQueue(options.path, { db: this.#db });
  }

  /** The seen store `openEnvelope` uses: a messageId is new for the inbox item that first brought it, a replay for any other. */
  readonly #seen: SeenStore = {
    remember: (signer, messageId, expiresAt) => {
      this.#db.prepare('INSERT INTO import_seen (signer, message_id, inbox_id, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING').run(signer, messageId, this.#current, expiresAt.toISOString());
      const row = this.#db.prepare('SELECT inbox_id FROM import_seen WHERE signer = ? AND message_id = ?').get(signer, messageId) as { inbox_id: string };
      return Promise.resolve(row.inbox_id === this.#current);
    },
  };

  /** A letter's state. */
  record(inboxId: string): ImportRecord | undefined {
    return this.#db.prepare('SELECT inbox_id AS inboxId, message_id AS messageId, state, patient_id AS patientId, reason FROM import_letters WHERE inbox_id = ?').get(inboxId) as ImportRecord | undefined;
  }

  /** All letters in a state. */
  list(state: ImportState): ImportRecord[] {
    return this.#db.prepare('SELECT inbox_id AS inboxId, message_id AS messageId, state, patient_id AS patientId, reason FROM import_letters WHERE state = ? ORDER BY rowid').all(state) as ImportRecord[];
  }

  #set(inboxId: string, state: ImportState, fields: { messageId?: string; patientId?: string; reason?: string } = {}): void {
    guard('import state', () =>
      this.#db
        .prepare('UPDATE import_letters SET state = ?, message_id = COALESCE(?, message_id), patient_id = COALESCE(?, patient_id), reason = COALESCE(?, reason), updated_at = ? WHERE inbox_id = ?')
        .run(state, fields.messageId ?? null, fields.patientId ?? null, fields.reason ?? null, new Date().toISOString(), inboxId),
    );
  }

  /** Fetches one batch from the inbox and advances every unfinished letter (including earlier ones after a restart, and review decisions). */
  async runOnce(): Promise<ImportRunResult> {
    const result: ImportRunResult = { fetched: 0, filed: 0, review: 0, rejected: 0, invalid: 0 };
    const items = await this.#options.source.fetch(this.#options.batchSize ?? 50);
    const insert = this.#db.prepare("INSERT INTO import_letters (inbox_id, state, envelope, updated_at) VALUES (?, 'received', ?, ?) ON CONFLICT(inbox_id) DO NOTHING");
    guard('import receive', () => this.#db.transaction(() => items.forEach((item) => insert.run(item.id, item.envelope, new Date().toISOString())))());
    for (const item of items) await this.#options.source.remove(item.id);
    result.fetched = items.length;
    const open = this.#db.prepare("SELECT inbox_id AS inboxId, envelope FROM import_letters WHERE state NOT IN ('done', 'done-rejected', 'invalid') ORDER BY rowid").all() as { inboxId: string; envelope: Uint8Array }[];
    for (const row of open) {
      const end = await this.#advance(row.inboxId, new Uint8Array(row.envelope));
      if (end === 'done') result.filed++;
      else if (end === 'review') result.review++;
      else if (end === 'done-rejected') result.rejected++;
      else if (end === 'invalid') result.invalid++;
    }
    return result;
  }

  async #advance(inboxId: string, envelope: Uint8Array): Promise<ImportState> {
    let record = this.record(inboxId)!;
    let opened: OpenResult;
    this.#current = inboxId;
    try {
      opened = await openEnvelope(envelope, { identity: this.#options.identity, trust: this.#options.trust, seenStore: this.#seen, at: this.#options.now?.() ?? new Date() });
    } catch (error) {
      if (!(error instanceof EnvelopeError)) throw error;
      this.#set(inboxId, 'invalid', { reason: `${error.code}: ${error.message}` });
      return 'invalid';
    }
    const messageId = opened.header?.messageId ?? inboxId;
    const receipt = async (status: ReceiptStatus, reason?: string): Promise<void> => {
      if (!opened.receiptRequest) return;
      const bytes = await createReceipt(opened, { identity: this.#options.identity, status, ...(reason ? { reason } : {}) });
      await this.#options.receipts.send(bytes, { messageId, status, ...(reason ? { reason } : {}) });
    };
    if (record.state === 'received') this.#set(inboxId, (record = { ...record, state: 'opened' }).state, { messageId });
    if (record.state === 'opened') {
      await receipt('delivered');
      this.#set(inboxId, (record = { ...record, state: 'delivered' }).state);
    }
    let letter: RenderedLetter | undefined;
    const rendered = async (): Promise<RenderedLetter | undefined> => {
      if (letter) return letter;
      try {
        return (letter = await this.#options.render(opened.payload, opened));
      } catch (error) {
        this.#set(inboxId, (record = { ...record, state: 'rejected' }).state, { reason: `cannot read the letter: ${(error as Error).message}` });
        return undefined;
      }
    };
    if (record.state === 'delivered') {
      const l = await rendered();
      if (l) {
        const match = matchPatient(l.patient, await this.#options.target.findPatients(l.patient), this.#options.match);
        if (match.outcome === 'matched') {
          this.#set(inboxId, (record = { ...record, state: 'matched', patientId: match.patientId }).state, { patientId: match.patientId });
        } else {
          this.review.add(messageId, { reason: match.reason, query: l.patient, candidates: match.candidates });
          this.#set(inboxId, (record = { ...record, state: 'review' }).state, { reason: match.reason });
        }
      }
    }
    if (record.state === 'review') {
      const item = this.review.byMessageId(messageId);
      if (!item || item.state === 'pending') return 'review';
      if (item.state === 'matched') this.#set(inboxId, (record = { ...record, state: 'matched', patientId: item.patientId }).state, { patientId: item.patientId! });
      else this.#set(inboxId, (record = { ...record, state: 'rejected' }).state, { reason: item.rejectReason ?? 'patient not found' });
    }
    if (record.state === 'matched') {
      const l = await rendered();
      if (l) {
        await this.#options.target.file(l, record.patientId!, messageId);
        this.#set(inboxId, (record = { ...record, state: 'filed' }).state);
      }
    }
    if (record.state === 'filed') {
      await receipt('imported');
      this.#set(inboxId, 'done');
      return 'done';
    }
    if (record.state === 'rejected') {
      await receipt('rejected', this.record(inboxId)?.reason ?? 'rejected');
      this.#set(inboxId, 'done-rejected');
      return 'done-rejected';
    }
    throw new AdapterError('ERR_IMPORT_STATE', `letter ${inboxId} stopped in state '${record.state}'`);
  }

  close(): void {
    this.#db.close();
  }
}
