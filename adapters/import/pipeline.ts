import { EnvelopeError } from '@sealpost/sdk/crypto';
import type { Identity, OpenResult, ReceiptStatus, SeenStore, TrustStore } from '@sealpost/sdk/crypto';
import { AdapterError } from '../errors.js';
import { mapLimited, settleLimited } from '../internal/limit.js';
import { guard, openDb } from '../internal/sqlite.js';
import type { Db } from '../internal/sqlite.js';
import { matchPatient } from '../match/match-patient.js';
import type { MatchPatientOptions, PatientCandidate, PatientDemographics } from '../match/match-patient.js';
import { ReviewQueue } from '../match/review-queue.js';
import { inProcessCrypto } from './envelope-crypto.js';
import type { EnvelopeCrypto } from './envelope-crypto.js';

/** One item of the relay inbox. `id` is the relay's id of the item (stable across fetches). */
export interface InboxItem {
  id: string;
  envelope: Uint8Array;
}

/** Where letters come from (sdk/transport's relay client, a folder of `.p7m` files, a test). */
export interface InboxSource {
  /**
   * Up to `limit` items not yet removed. `skip`: items the pipeline has stored and is removing
   * (the removal may still be on its way); a source should leave them out rather than fetch them
   * again. One that returns them anyway costs a wasted download, nothing else.
   */
  fetch(limit: number, options?: { skip?: ReadonlySet<string> }): Promise<InboxItem[]>;
  /** Removes an item; called only once the envelope is durable in the pipeline's store. */
  remove(id: string): Promise<void>;
  /**
   * Optional: removes several items at once (the relay's bulk acknowledgement: one request, one
   * commit), under the same condition as `remove`; the pipeline then uses it instead. When it
   * rejects, none of them counts as removed in this run (they are fetched again later and
   * ignored as already stored).
   */
  removeMany?(ids: readonly string[]): Promise<void>;
}

/** A letter rendered into the form the EMR takes. */
export interface RenderedLetter {
  content: Uint8Array;
  mediaType: string;
  /** What the letter says about its patient, for matching. */
  patient: PatientDemographics;
}

/** One letter handed to {@link EmrTarget.fileBatch}. */
export interface FileRequest {
  letter: RenderedLetter;
  patientId: string;
  messageId: string;
}

/** The EMR side: patient search and filing. `file` must be idempotent by messageId (ImportFolder, conditional create). */
export interface EmrTarget {
  findPatients(query: PatientDemographics): Promise<PatientCandidate[]>;
  file(letter: RenderedLetter, patientId: string, messageId: string): Promise<void>;
  /**
   * Optional: files a whole batch behind one durability barrier (e.g. `ImportFolder.fileMany`:
   * one folder fsync per step for the batch). Same idempotency per messageId as `file`; when it
   * resolves, every letter is filed. Without it the pipeline calls `file` for each letter, up to
   * `concurrency` at once.
   */
  fileBatch?(letters: FileRequest[]): Promise<void>;
}

/** Where signed receipts go back to the sender (the relay, later). Receipts may be sent more than once after a crash; they are idempotent per messageId and status. */
export interface ReceiptSink {
  send(receipt: Uint8Array, info: ReceiptInfo): Promise<void>;
  /**
   * Optional: takes a whole step's receipts at once (e.g. one transaction for a durable queue).
   * Without it the pipeline calls `send` for each, up to `concurrency` at once.
   */
  sendMany?(receipts: { receipt: Uint8Array; info: ReceiptInfo }[]): Promise<void>;
}

/** What a receipt says, beside its signed bytes. */
export interface ReceiptInfo {
  messageId: string;
  status: ReceiptStatus;
  reason?: string;
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
  /**
   * Items fetched per round (default 50); also the size of a group commit: each step's state
   * changes for a batch are one SQLite transaction (one fsync), not one per letter.
   */
  batchSize?: number;
  /** Relay removals, receipts handed to the sink, EMR calls and (unless `crypto` says otherwise) opens and receipt signatures at once within a batch (default 8). */
  concurrency?: number;
  /**
   * Where envelopes are opened and receipts signed (default on this thread with `identity` and
   * `trust`). A `CryptoWorkerPool` spreads the work over worker threads; it must hold the same
   * identity and trust. The caller closes it.
   */
  crypto?: EnvelopeCrypto;
  /** Clock for envelope checks (default now). */
  now?: () => Date;
}

/**
 * States, each committed (fsynced) once the steps leading to it are done:
 * received → matched | review | rejected | invalid (opened, delivered receipt handed over,
 * matched) → done | done-rejected (filed, final receipt handed over); review → matched | rejected
 * once staff decide. `invalid`: the envelope did not open, so no receipt can be trusted to the
 * sender. `opened`, `delivered` and `filed` are intermediate states of earlier versions, which
 * committed after every step; rows left in them advance as usual.
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

/** Options of {@link ImportPipeline.run}. */
export interface ImportRunOptions {
  /** Inbox pages fetched in this run at most (default: until a page comes back short, that is, the inbox is empty). */
  maxBatches?: number;
  /** Once aborted no further page is fetched; the batches already fetched complete. */
  signal?: AbortSignal;
}

/** Counts of one {@link ImportPipeline.run} call. */
export interface ImportRunResult {
  fetched: number;
  filed: number;
  review: number;
  rejected: number;
  invalid: number;
}

/** A letter while a batch advances it: its record as committed, plus what this run learned. */
interface Work {
  inboxId: string;
  envelope: Uint8Array;
  state: ImportState;
  messageId: string;
  patientId: string | null;
  reason: string | null;
  opened?: OpenResult;
  /** The delivered receipt signed with the open, sent once the open is committed. */
  delivered?: Uint8Array;
  letter?: RenderedLetter;
  /**
   * When the envelope first opened and verified. A letter reopened later (after a restart, or
   * once staff decide in the review queue) is checked at this time, not now: it was accepted
   * then, and a letter that waited for a person past its expiry must still reach the chart or
   * the sender's timeline, not turn `invalid` and lose the decision.
   */
  verifiedAt: Date | null;
}

/**
 * Batches in flight at once in a run. A batch starts opening only once the previous one has
 * committed its open step (the seen store must know every earlier claim), so the next batch's
 * cryptography overlaps this one's commits, filing and receipts; a third is being fetched.
 */
const BATCHES_IN_FLIGHT = 3;

const SEEN_PURGE_INTERVAL_MS = 3600_000;
const SEEN_GRACE_MS = 24 * 3600_000;

const TERMINAL: readonly ImportState[] = ['done', 'done-rejected', 'invalid'];

/**
 * The import pipeline: inbox fetch → open and verify → delivered receipt → render → match →
 * file exactly once → imported (or rejected) receipt.
 *
 * Letters advance a batch at a time (group commit), with three SQLite transactions (one fsync
 * each) per batch: the envelopes as fetched; the decisions (replay claims, matched / review /
 * rejected / invalid) once the batch is opened, matched and its delivered receipts handed over;
 * `done` once it is filed and its final receipts handed over. Within a step the letters' crypto
 * runs at once (on worker threads with a `CryptoWorkerPool`), receipts and EMR calls up to
 * `concurrency`; batches overlap (see `run`). Every step is safe to repeat, so a crash anywhere
 * followed by a restart neither loses nor duplicates a letter: the envelopes are stored before the
 * relay copies are removed; filing relies on the target's idempotency per messageId; receipts may
 * be handed over again (idempotent per messageId and status); a re-open after a crash is not a
 * replay (the seen store is keyed to the inbox item, committed with the batch's decisions), a
 * second copy of a message is — also within one batch.
 */
export class ImportPipeline {
  readonly #db: Db;
  readonly #options: ImportPipelineOptions;
  readonly #concurrency: number;
  readonly #crypto: EnvelopeCrypto;
  readonly #update;
  readonly #seenInsert;
  readonly #seenGet;
  readonly #seenPurge;
  readonly #verified;
  #purgedAt = 0;
  readonly review: ReviewQueue;

  constructor(options: ImportPipelineOptions) {
    this.#options = options;
    this.#concurrency = options.concurrency ?? 8;
    if (!Number.isInteger(this.#concurrency) || this.#concurrency < 1) throw new RangeError('ImportPipeline: concurrency must be a positive integer');
    this.#crypto = options.crypto ?? inProcessCrypto(options.identity, options.trust);
    this.#db = openDb(options.path);
    this.#db.exec(`CREATE TABLE IF NOT EXISTS import_letters (
      inbox_id TEXT PRIMARY KEY, message_id TEXT, state TEXT NOT NULL, envelope BLOB NOT NULL,
      patient_id TEXT, reason TEXT, updated_at TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS import_letters_unfinished ON import_letters (state) WHERE state NOT IN ('done', 'done-rejected', 'invalid');
      CREATE TABLE IF NOT EXISTS import_seen (signer TEXT NOT NULL, message_id TEXT NOT NULL, inbox_id TEXT NOT NULL, expires_at TEXT NOT NULL, PRIMARY KEY (signer, message_id));
      CREATE INDEX IF NOT EXISTS import_seen_expiry ON import_seen (expires_at)`);
    // Added after the first release of this table: older agent databases gain the column here.
    const columns = this.#db.prepare('PRAGMA table_info(import_letters)').all() as { name: string }[];
    if (!columns.some((c) => c.name === 'verified_at')) this.#db.exec('ALTER TABLE import_letters ADD COLUMN verified_at TEXT');
    this.review = new ReviewQueue(options.path, { db: this.#db });
    this.#update = this.#db.prepare(
      'UPDATE import_letters SET state = ?, message_id = COALESCE(?, message_id), patient_id = COALESCE(?, patient_id), reason = COALESCE(?, reason), updated_at = ? WHERE inbox_id = ?',
    );
    this.#seenInsert = this.#db.prepare('INSERT INTO import_seen (signer, message_id, inbox_id, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
    this.#seenGet = this.#db.prepare('SELECT inbox_id FROM import_seen WHERE signer = ? AND message_id = ?');
    this.#seenPurge = this.#db.prepare('DELETE FROM import_seen WHERE expires_at < ?');
    this.#verified = this.#db.prepare('UPDATE import_letters SET verified_at = COALESCE(verified_at, ?) WHERE inbox_id = ?');
  }

  /** A letter's state. */
  record(inboxId: string): ImportRecord | undefined {
    return this.#db.prepare('SELECT inbox_id AS inboxId, message_id AS messageId, state, patient_id AS patientId, reason FROM import_letters WHERE inbox_id = ?').get(inboxId) as ImportRecord | undefined;
  }

  /** All letters in a state. */
  list(state: ImportState): ImportRecord[] {
    return this.#db.prepare('SELECT inbox_id AS inboxId, message_id AS messageId, state, patient_id AS patientId, reason FROM import_letters WHERE state = ? ORDER BY rowid').all(state) as ImportRecord[];
  }

  /** Moves `w` to `state` in memory and in the open transaction. */
  #set(w: Work, state: ImportState, fields: { messageId?: string; patientId?: string; reason?: string } = {}): void {
    w.state = state;
    if (fields.patientId !== undefined) w.patientId = fields.patientId;
    if (fields.reason !== undefined) w.reason = fields.reason;
    this.#update.run(state, fields.messageId ?? null, fields.patientId ?? null, fields.reason ?? null, new Date().toISOString(), w.inboxId);
  }

  /**
   * Forgets replay claims of messages that expired over a day ago, at most once an hour (within a
   * commit that happens anyway). A copy arriving later fails the envelope's expiry check, so the
   * claim protects nothing any more; the day covers clocks that disagree. Without this the table
   * would grow by one row per letter for ever.
   */
  #purgeSeen(): void {
    const now = (this.#options.now?.() ?? new Date()).getTime();
    if (now - this.#purgedAt < SEEN_PURGE_INTERVAL_MS) return;
    this.#purgedAt = now;
    this.#seenPurge.run(new Date(now - SEEN_GRACE_MS).toISOString());
  }

  /** One transaction, one fsync: a step's results for the whole batch. */
  #commit(what: string, fn: () => void): void {
    guard(what, () => this.#db.transaction(fn)());
  }

  /** Fetches one batch from the inbox and advances every unfinished letter (including earlier ones after a restart, and review decisions): `run({ maxBatches: 1 })`. */
  runOnce(): Promise<ImportRunResult> {
    return this.run({ maxBatches: 1 });
  }

  /**
   * Fetches inbox pages until one comes back short (or `maxBatches`, or `signal`) and advances
   * every unfinished letter (earlier ones after a restart, and review decisions, first), a batch
   * at a time. Batches overlap: the next page is fetched and opened while the previous batch is
   * committed, filed and receipted (see {@link BATCHES_IN_FLIGHT}). The first failure ends the
   * fetching; the batches in flight complete, then it is thrown.
   */
  async run(options: ImportRunOptions = {}): Promise<ImportRunResult> {
    const result: ImportRunResult = { fetched: 0, filed: 0, review: 0, rejected: 0, invalid: 0 };
    const batchSize = this.#options.batchSize ?? 50;
    const maxBatches = options.maxBatches ?? Number.POSITIVE_INFINITY;
    const insert = this.#db.prepare("INSERT INTO import_letters (inbox_id, state, envelope, updated_at) VALUES (?, 'received', ?, ?) ON CONFLICT(inbox_id) DO NOTHING");
    // Literal states, as in the partial index: finished letters stay in the table, and a round must not scan them.
    const unfinished = this.#db.prepare(
      "SELECT inbox_id AS inboxId, message_id AS messageId, state, patient_id AS patientId, reason, envelope, verified_at AS verifiedAt FROM import_letters INDEXED BY import_letters_unfinished WHERE state NOT IN ('done', 'done-rejected', 'invalid') ORDER BY rowid",
    );
    const taken = new Set<string>(); // letters this run has already handed to a batch
    const running: Promise<void>[] = [];
    const failures: unknown[] = [];
    let opened: Promise<void> = Promise.resolve();
    const start = (rows: (ImportRecord & { envelope: Uint8Array; verifiedAt: string | null })[]): void => {
      for (let at = 0; at < rows.length; at += batchSize) {
        const batch = rows.slice(at, at + batchSize).map((r): Work => ({ inboxId: r.inboxId, envelope: new Uint8Array(r.envelope), state: r.state, messageId: r.messageId ?? r.inboxId, patientId: r.patientId, reason: r.reason, verifiedAt: r.verifiedAt ? new Date(r.verifiedAt) : null }));
        const previous = opened;
        let signal = (): void => {};
        opened = new Promise<void>((resolve) => (signal = resolve));
        running.push(
          (async () => {
            await previous;
            await this.#advance(batch, result, signal);
          })()
            .catch((error: unknown) => void failures.push(error))
            .finally(() => signal()),
        );
      }
    };
    // Items stored and being removed from the inbox: the next page is fetched without waiting for
    // these removals (each is a relay round trip), and leaves them out.
    const removing = new Set<string>();
    const removals: Promise<void>[] = [];
    try {
      for (let fetches = 0; fetches < maxBatches && !options.signal?.aborted && failures.length === 0; fetches++) {
        while (running.length >= BATCHES_IN_FLIGHT) await running.shift();
        while (removals.length >= BATCHES_IN_FLIGHT) await removals.shift();
        const items = await this.#options.source.fetch(batchSize, { skip: removing });
        this.#commit('import receive', () => {
          items.forEach((item) => insert.run(item.id, item.envelope, new Date().toISOString()));
          this.#purgeSeen();
        });
        result.fetched += items.length;
        // Only now, with every envelope on disk, may the inbox forget them. The removals overlap
        // the batches' work; an item whose removal failed ends the run with that error, is
        // fetched again next run and ignored as already stored.
        const toRemove = items.filter((item) => !removing.has(item.id));
        for (const item of toRemove) removing.add(item.id);
        const { source } = this.#options;
        removals.push(
          source.removeMany && toRemove.length > 0
            ? source.removeMany(toRemove.map((item) => item.id)).then(
                () => toRemove.forEach((item) => removing.delete(item.id)),
                (error: unknown) => void failures.push(error),
              )
            : settleLimited(toRemove, this.#concurrency, (item) => source.remove(item.id)).then((settled) =>
                settled.forEach((r, i) => {
                  if (r.status === 'fulfilled') removing.delete(toRemove[i]!.id);
                  else failures.push(r.reason);
                }),
              ),
        );
        const rows = (unfinished.all() as (ImportRecord & { envelope: Uint8Array; verifiedAt: string | null })[]).filter((r) => !taken.has(r.inboxId));
        for (const r of rows) taken.add(r.inboxId);
        start(rows);
        if (items.length < batchSize || rows.length === 0) break;
      }
    } catch (error) {
      failures.push(error);
    }
    await Promise.all(removals);
    await Promise.all(running);
    if (failures.length > 0) throw failures[0];
    return result;
  }

  /**
   * Advances one batch in three commits: (1) open, match and hand over the delivered receipts,
   * then commit the replay claims and every letter's decision (matched, review, rejected,
   * invalid); (2) file and hand over the imported/rejected receipts, then commit `done`. A crash
   * before a commit repeats its steps, each safe to repeat: a re-open is not a replay (the claim
   * is keyed to the inbox item), filing is idempotent per messageId, receipts are idempotent per
   * messageId and status. `opened` is called after the first commit (the next batch may then open).
   */
  async #advance(batch: Work[], result: ImportRunResult, opened: () => void): Promise<void> {
    const c = this.#concurrency;
    // Letters waiting for a person are not opened again until the person has decided.
    const active = batch.filter((w) => {
      if (w.state !== 'review') return true;
      const item = this.review.byMessageId(w.messageId);
      if (item && item.state !== 'pending') return true;
      result.review++;
      return false;
    });

    // Open and verify. The seen store answers from committed rows and from this batch's claims;
    // the claims are committed with the batch's decisions.
    const claims = new Map<string, { signer: string; messageId: string; inboxId: string; expiresAt: string }>();
    const seenFor = (inboxId: string): SeenStore => ({
      remember: (signer, messageId, expiresAt) => {
        const row = guard('import seen', () => this.#seenGet.get(signer, messageId) as { inbox_id: string } | undefined);
        if (row) return Promise.resolve(row.inbox_id === inboxId);
        const key = `${signer}\n${messageId}`;
        const claim = claims.get(key);
        if (claim) return Promise.resolve(claim.inboxId === inboxId);
        claims.set(key, { signer, messageId, inboxId, expiresAt: expiresAt.toISOString() });
        return Promise.resolve(true);
      },
    });
    const at = this.#options.now?.() ?? new Date();
    const undelivered = (w: Work): boolean => w.state === 'received' || w.state === 'opened';
    // The delivered receipt is signed with the open where one is due. Crypto calls in flight are
    // bounded by the crypto's own concurrency (see EnvelopeCrypto.concurrency).
    const openedAll = await settleLimited(active, this.#crypto.concurrency ?? c, (w) => this.#crypto.open({ envelope: w.envelope, seenStore: seenFor(w.inboxId), at: w.verifiedAt ?? at, delivered: undelivered(w) }));
    const unexpected = openedAll.find((o) => o.status === 'rejected' && !(o.reason instanceof EnvelopeError));
    if (unexpected) throw (unexpected as PromiseRejectedResult).reason;
    const invalid: { w: Work; reason: string }[] = [];
    active.forEach((w, i) => {
      const o = openedAll[i]!;
      if (o.status === 'rejected') {
        const error = o.reason as EnvelopeError;
        invalid.push({ w, reason: `${error.code}: ${error.message}` });
        return;
      }
      w.opened = o.value.opened;
      if (o.value.delivered) w.delivered = o.value.delivered;
      w.messageId = w.opened.header?.messageId ?? w.inboxId;
    });
    const live = active.filter((w) => w.opened);
    result.invalid += invalid.length;

    // Render and match the letters not yet decided; hand over their delivered receipts.
    const toMatch = live.filter((w) => undelivered(w) || w.state === 'delivered');
    const found = await mapLimited(toMatch, c, async (w) => {
      const letter = await this.#render(w);
      return letter ? { letter, candidates: await this.#options.target.findPatients(letter.patient) } : undefined;
    });
    await this.#receipts(live.filter(undelivered), () => 'delivered');
    this.#commit('import decide', () => {
      for (const s of claims.values()) this.#seenInsert.run(s.signer, s.messageId, s.inboxId, s.expiresAt);
      for (const { w, reason } of invalid) this.#set(w, 'invalid', { reason });
      for (const w of live) {
        if (w.verifiedAt) continue;
        w.verifiedAt = at;
        this.#verified.run(at.toISOString(), w.inboxId);
      }
      toMatch.forEach((w, i) => {
        const f = found[i];
        const messageId = w.messageId;
        if (!f) return this.#set(w, 'rejected', { messageId, reason: w.reason! });
        const match = matchPatient(f.letter.patient, f.candidates, this.#options.match);
        if (match.outcome === 'matched') return this.#set(w, 'matched', { messageId, patientId: match.patientId });
        this.review.add(messageId, { reason: match.reason, query: f.letter.patient, candidates: match.candidates });
        this.#set(w, 'review', { messageId, reason: match.reason });
      });
      // Review decisions taken since the last run.
      for (const w of live.filter((x) => x.state === 'review' && !toMatch.includes(x))) {
        const item = this.review.byMessageId(w.messageId);
        if (!item || item.state === 'pending') continue;
        if (item.state === 'matched') this.#set(w, 'matched', { patientId: item.patientId! });
        else this.#set(w, 'rejected', { reason: item.rejectReason ?? 'patient not found' });
      }
    });
    opened();
    result.review += toMatch.filter((w) => w.state === 'review').length;

    // File, exactly once per messageId (the target's idempotency covers a crash before `done` is committed).
    const toFile = live.filter((w) => w.state === 'matched');
    const letters = await mapLimited(toFile, c, (w) => this.#render(w));
    toFile.forEach((w, i) => {
      // A letter decided in an earlier run that cannot be read now.
      if (!letters[i]) w.state = 'rejected';
    });
    const ready = toFile.filter((_, i) => letters[i]);
    const target = this.#options.target;
    let filed: Work[] = ready;
    let failure: unknown;
    if (target.fileBatch) {
      if (ready.length > 0) await target.fileBatch(ready.map((w) => ({ letter: w.letter!, patientId: w.patientId!, messageId: w.messageId })));
    } else {
      const settled = await settleLimited(ready, c, (w) => target.file(w.letter!, w.patientId!, w.messageId));
      filed = ready.filter((_, i) => settled[i]!.status === 'fulfilled');
      failure = (settled.find((s) => s.status === 'rejected') as PromiseRejectedResult | undefined)?.reason;
    }
    for (const w of filed) w.state = 'filed';

    // Final receipts, then `done`. Letters the EMR refused stay `matched` and are retried on the next run.
    const toFinish = live.filter((w) => w.state === 'filed' || w.state === 'rejected');
    await this.#receipts(toFinish, (w) => (w.state === 'filed' ? 'imported' : 'rejected'));
    this.#commit('import done', () => toFinish.forEach((w) => (w.state === 'filed' ? this.#set(w, 'done') : this.#set(w, 'done-rejected', { reason: w.reason ?? 'rejected' }))));
    for (const w of toFinish) {
      if (w.state === 'done') result.filed++;
      else result.rejected++;
    }
    if (failure !== undefined) throw failure;
    const stuck = live.find((w) => !TERMINAL.includes(w.state) && w.state !== 'review');
    if (stuck) throw new AdapterError('ERR_IMPORT_STATE', `letter ${stuck.inboxId} stopped in state '${stuck.state}'`);
  }

  /** The rendered letter, once per run; `undefined` (with the reason on `w`) when it cannot be read. */
  async #render(w: Work): Promise<RenderedLetter | undefined> {
    if (w.letter) return w.letter;
    try {
      return (w.letter = await this.#options.render(w.opened!.payload, w.opened!));
    } catch (error) {
      w.reason = `cannot read the letter: ${(error as Error).message}`;
      return undefined;
    }
  }

  /** Signs (unless signed with the open) and hands over one receipt per letter that asked for receipts: one `sendMany` when the sink has it. */
  async #receipts(letters: Work[], statusOf: (w: Work) => ReceiptStatus): Promise<void> {
    const asked = letters.filter((w) => w.opened!.receiptRequest);
    const made = await mapLimited(asked, this.#crypto.concurrency ?? this.#concurrency, async (w) => {
      const status = statusOf(w);
      const reason = status === 'rejected' ? (w.reason ?? 'rejected') : undefined;
      const receipt = status === 'delivered' && w.delivered ? w.delivered : await this.#crypto.receipt(w.opened!, { status, ...(reason ? { reason } : {}) });
      return { receipt, info: { messageId: w.messageId, status, ...(reason ? { reason } : {}) } };
    });
    const sink = this.#options.receipts;
    if (sink.sendMany) {
      if (made.length > 0) await sink.sendMany(made);
    } else await mapLimited(made, this.#concurrency, (r) => sink.send(r.receipt, r.info));
  }

  close(): void {
    this.#db.close();
  }
}
