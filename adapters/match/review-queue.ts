import { AdapterError } from '../errors.js';
import { guard, openDb } from '../internal/sqlite.js';
import type { Db } from '../internal/sqlite.js';
import type { PatientDemographics, ScoredCandidate } from './match-patient.js';

/** A letter waiting for a person to choose its patient. */
export interface ReviewItem {
  id: number;
  messageId: string;
  state: 'pending' | 'matched' | 'rejected';
  reason: string;
  query: PatientDemographics;
  candidates: ScoredCandidate[];
  /** Set once matched. */
  patientId: string | null;
  /** Set once rejected: what the sender's timeline shows. */
  rejectReason: string | null;
  decidedBy: string | null;
  createdAt: string;
  decidedAt: string | null;
}

interface Row {
  id: number;
  message_id: string;
  state: ReviewItem['state'];
  reason: string;
  query: string;
  candidates: string;
  patient_id: string | null;
  reject_reason: string | null;
  decided_by: string | null;
  created_at: string;
  decided_at: string | null;
}

const toItem = (r: Row): ReviewItem => ({
  id: r.id,
  messageId: r.message_id,
  state: r.state,
  reason: r.reason,
  query: JSON.parse(r.query) as PatientDemographics,
  candidates: JSON.parse(r.candidates) as ScoredCandidate[],
  patientId: r.patient_id,
  rejectReason: r.reject_reason,
  decidedBy: r.decided_by,
  createdAt: r.created_at,
  decidedAt: r.decided_at,
});

/**
 * Persistent review queue (SQLite, one row per letter, keyed by messageId). Staff `match` a
 * pending letter to a patient or `reject` it; a decision is final and recorded with who made it.
 * Errors: `ERR_STORE`, `ERR_MATCH_REVIEW_STATE` (no such pending item).
 */
export class ReviewQueue {
  readonly #db: Db;
  readonly #owned: boolean;

  constructor(path: string, options: { db?: Db } = {}) {
    this.#db = options.db ?? openDb(path);
    this.#owned = !options.db;
    this.#db.exec(`CREATE TABLE IF NOT EXISTS review_queue (
      id INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT NOT NULL UNIQUE, state TEXT NOT NULL DEFAULT 'pending',
      reason TEXT NOT NULL, query TEXT NOT NULL, candidates TEXT NOT NULL, patient_id TEXT, reject_reason TEXT,
      decided_by TEXT, created_at TEXT NOT NULL, decided_at TEXT)`);
  }

  /** Queues a letter; adding the same messageId again returns the existing item unchanged (idempotent across restarts). */
  add(messageId: string, entry: { reason: string; query: PatientDemographics; candidates: ScoredCandidate[] }): ReviewItem {
    guard('review add', () =>
      this.#db
        .prepare('INSERT INTO review_queue (message_id, reason, query, candidates, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(message_id) DO NOTHING')
        .run(messageId, entry.reason, JSON.stringify(entry.query), JSON.stringify(entry.candidates), new Date().toISOString()),
    );
    return this.byMessageId(messageId)!;
  }

  /** Item by its messageId. */
  byMessageId(messageId: string): ReviewItem | undefined {
    const row = this.#db.prepare('SELECT * FROM review_queue WHERE message_id = ?').get(messageId) as Row | undefined;
    return row && toItem(row);
  }

  /** Item by id. */
  get(id: number): ReviewItem | undefined {
    const row = this.#db.prepare('SELECT * FROM review_queue WHERE id = ?').get(id) as Row | undefined;
    return row && toItem(row);
  }

  /** Items in a state (default `pending`), oldest first. */
  list(state: ReviewItem['state'] = 'pending'): ReviewItem[] {
    return (this.#db.prepare('SELECT * FROM review_queue WHERE state = ? ORDER BY id').all(state) as Row[]).map(toItem);
  }

  /** Staff chose the patient. Throws `ERR_MATCH_REVIEW_STATE` unless the item is pending. */
  match(id: number, patientId: string, decidedBy: string): ReviewItem {
    if (!patientId) throw new TypeError('ReviewQueue.match: patientId is required');
    return this.#decide(id, 'matched', decidedBy, patientId, null);
  }

  /** Staff rejected the letter; `reason` goes to the sender (default "patient not found"). Throws `ERR_MATCH_REVIEW_STATE` unless pending. */
  reject(id: number, decidedBy: string, reason = 'patient not found'): ReviewItem {
    return this.#decide(id, 'rejected', decidedBy, null, reason);
  }

  #decide(id: number, state: 'matched' | 'rejected', by: string, patientId: string | null, rejectReason: string | null): ReviewItem {
    const changed = guard('review decide', () =>
      this.#db
        .prepare("UPDATE review_queue SET state = ?, patient_id = ?, reject_reason = ?, decided_by = ?, decided_at = ? WHERE id = ? AND state = 'pending'")
        .run(state, patientId, rejectReason, by, new Date().toISOString(), id).changes,
    );
    if (changed !== 1) throw new AdapterError('ERR_MATCH_REVIEW_STATE', `review item ${id} is not pending`);
    return this.get(id)!;
  }

  close(): void {
    if (this.#owned) this.#db.close();
  }
}
