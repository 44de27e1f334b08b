/**
 * SQLite storage (better-sqlite3): the embedded default for one box.
 *
 * Durability: WAL with synchronous=FULL, so every COMMIT is fsynced before better-sqlite3 returns.
 * One fsync per submission would cap the relay at the disk's single-row commit rate, so `submit`
 * uses group commit: submissions that arrive in the same event-loop turn are written in ONE
 * transaction and all their
 * promises resolve after that single durable COMMIT. Nothing is answered before the commit.
 * Two submissions of one messageId in the same batch are handled in order inside the transaction
 * (the second sees the first's row), so they still yield one message.
 *
 * WAL checkpoints run on a worker thread with its own connection (sqlite-checkpointer.ts), not
 * inside whichever commit crosses SQLite's automatic threshold: a checkpoint on the event loop
 * stalled every request for tens to hundreds of ms. When the WAL passes its limit, group commits
 * wait (asynchronously) for one complete checkpoint, so that the next commit restarts the WAL.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { StoreError, wrap } from './errors.js';
import { WalCheckpointer } from './sqlite-checkpointer.js';
import type { ChunkOutcome, EventFormat, EventKind, InboxItem, Invite, Mailbox, NewSubmission, NewTimelineEvent, EventUpdate, OutboundItem, OutboundOutcome, OutboundUpdate, PurgeResult, RelayStore, StoredDelivery, SubmitAnswer, SubmitOutcome, TimelineEvent, Upload } from './types.js';

/** Schema versions, applied in order inside one transaction each. */
const MIGRATIONS: string[] = [
  `CREATE TABLE relay_secret (id INTEGER PRIMARY KEY CHECK (id = 1), value BLOB NOT NULL);
   CREATE TABLE mailboxes (address TEXT PRIMARY KEY, certificate BLOB NOT NULL, created_at INTEGER NOT NULL);
   CREATE TABLE invites (code_hash TEXT PRIMARY KEY, address TEXT, expires_at INTEGER NOT NULL, used_at INTEGER);
   CREATE TABLE blobs (blob_id TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
   CREATE TABLE blob_chunks (blob_id TEXT NOT NULL, seq INTEGER NOT NULL, byte_offset INTEGER NOT NULL, data BLOB NOT NULL, sha256 TEXT, PRIMARY KEY (blob_id, seq));
   CREATE TABLE messages (message_id TEXT PRIMARY KEY, sender TEXT NOT NULL, digest TEXT NOT NULL, size INTEGER NOT NULL, blob_id TEXT NOT NULL,
     submitted_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, answer TEXT NOT NULL, data BLOB);
   CREATE TABLE deliveries (seq INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT NOT NULL REFERENCES messages(message_id), mailbox TEXT NOT NULL,
     acked_at INTEGER, expires_at INTEGER NOT NULL, UNIQUE (mailbox, message_id));
   CREATE INDEX deliveries_mailbox ON deliveries (mailbox, seq);
   CREATE INDEX deliveries_expiry ON deliveries (expires_at) WHERE acked_at IS NULL;
   CREATE INDEX deliveries_acked ON deliveries (acked_at) WHERE acked_at IS NOT NULL;
   CREATE TABLE uploads (upload_id TEXT PRIMARY KEY, message_id TEXT NOT NULL, sender TEXT NOT NULL, recipients TEXT NOT NULL, size INTEGER NOT NULL,
     chunk_size INTEGER NOT NULL, digest TEXT NOT NULL, blob_id TEXT NOT NULL, next_index INTEGER NOT NULL, received INTEGER NOT NULL,
     created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);`,
  // Federation: forwards to other relays, committed with the message (docs/protocol.md, Federation).
  `CREATE TABLE outbound (message_id TEXT NOT NULL REFERENCES messages(message_id), recipient TEXT NOT NULL, peer TEXT NOT NULL, hops INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL, forwarded_at INTEGER, failed_at INTEGER, last_error TEXT, expires_at INTEGER NOT NULL,
     PRIMARY KEY (message_id, recipient));
   CREATE INDEX outbound_due ON outbound (next_attempt_at) WHERE forwarded_at IS NULL AND failed_at IS NULL;`,
  // The delivery timeline (docs/protocol.md, Timeline): events written with the state change they
  // record; the rows with a return_to are also the queue carrying them back to the origin relay.
  `ALTER TABLE messages ADD COLUMN origin TEXT;
   CREATE TABLE timeline_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT NOT NULL, sender TEXT NOT NULL, kind TEXT NOT NULL, at INTEGER NOT NULL,
     actor TEXT NOT NULL, recipient TEXT NOT NULL DEFAULT '', reason TEXT, digest TEXT, format TEXT NOT NULL, signed BLOB, return_to TEXT,
     attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL DEFAULT 0, returned_at INTEGER, failed_at INTEGER, last_error TEXT);
   CREATE UNIQUE INDEX timeline_events_key ON timeline_events (message_id, kind, actor, recipient);
   CREATE INDEX timeline_events_message ON timeline_events (message_id, seq);
   CREATE INDEX timeline_events_at ON timeline_events (at);
   CREATE INDEX timeline_events_return ON timeline_events (next_attempt_at) WHERE return_to IS NOT NULL AND returned_at IS NULL AND failed_at IS NULL;
   CREATE INDEX timeline_events_unsigned ON timeline_events (seq) WHERE actor = '';`,
  // Listing only unacknowledged deliveries (docs/protocol.md §7) without walking the acknowledged ones kept through retention.
  `CREATE INDEX deliveries_unacknowledged ON deliveries (mailbox, seq) WHERE acked_at IS NULL;`,
];

/** Timeline events are kept this long after they happened unless `purge` is told otherwise (90 days). */
export const DEFAULT_TIMELINE_RETENTION_MS = 90 * 86_400_000;

export interface EventRow {
  seq: number | string;
  message_id: string;
  sender: string;
  kind: string;
  at: number | string;
  actor: string;
  recipient: string;
  reason: string | null;
  digest: string | null;
  format: string;
  signed: Uint8Array | null;
  return_to: string | null;
  attempts: number;
  next_attempt_at: number | string;
  returned_at: number | string | null;
  failed_at: number | string | null;
  last_error: string | null;
}

/** Maps a timeline_events row (both stores). */
export function eventOf(r: EventRow): TimelineEvent {
  return {
    seq: Number(r.seq),
    messageId: r.message_id,
    sender: r.sender,
    kind: r.kind as EventKind,
    at: Number(r.at),
    actor: r.actor,
    recipient: r.recipient,
    reason: r.reason,
    digest: r.digest,
    format: r.format as EventFormat,
    signed: r.signed === null ? null : new Uint8Array(r.signed.buffer, r.signed.byteOffset, r.signed.byteLength),
    returnTo: r.return_to,
    attempts: r.attempts,
    nextAttemptAt: Number(r.next_attempt_at),
    returnedAt: num(r.returned_at),
    failedAt: num(r.failed_at),
    lastError: r.last_error,
  };
}

/** The outbound queue joined with its message (both stores use these column names). */
export const OUTBOUND_SELECT = `SELECT o.message_id, o.recipient, o.peer, m.sender, m.digest, m.size, m.blob_id, o.hops, o.attempts, o.next_attempt_at,
  o.forwarded_at, o.failed_at, o.last_error FROM outbound o JOIN messages m ON m.message_id = o.message_id`;

export interface OutboundRow {
  message_id: string;
  recipient: string;
  peer: string;
  sender: string;
  digest: string;
  size: number | string;
  blob_id: string;
  hops: number;
  attempts: number;
  next_attempt_at: number | string;
  forwarded_at: number | string | null;
  failed_at: number | string | null;
  last_error: string | null;
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

/** Maps an outbound row (BIGINTs arrive as strings from pg). */
export function outboundOf(r: OutboundRow): OutboundItem {
  return {
    messageId: r.message_id,
    recipient: r.recipient,
    peer: r.peer,
    sender: r.sender,
    digest: r.digest,
    size: Number(r.size),
    blobId: r.blob_id,
    hops: r.hops,
    attempts: r.attempts,
    nextAttemptAt: Number(r.next_attempt_at),
    forwardedAt: num(r.forwarded_at),
    failedAt: num(r.failed_at),
    lastError: r.last_error,
  };
}

/** blob_id of content stored in the message row (sqlite only). */
const INLINE = 'inline:';

interface MessageRow {
  sender: string;
  digest: string;
  answer: string;
  origin: string | null;
}

interface DeliveryRow {
  seq: number;
  message_id: string;
  sender: string;
  digest: string;
  size: number;
  submitted_at: number;
  expires_at: number;
  acked_at: number | null;
  blob_id: string;
}

interface UploadRow {
  upload_id: string;
  message_id: string;
  sender: string;
  recipients: string;
  size: number;
  chunk_size: number;
  digest: string;
  blob_id: string;
  next_index: number;
  received: number;
  created_at: number;
  expires_at: number;
}

const toItem = (row: DeliveryRow): InboxItem => ({
  seq: row.seq,
  messageId: row.message_id,
  sender: row.sender,
  digest: row.digest,
  size: row.size,
  submittedAt: row.submitted_at,
  expiresAt: row.expires_at,
  acknowledgedAt: row.acked_at,
});

const toUpload = (row: UploadRow): Upload => ({
  uploadId: row.upload_id,
  messageId: row.message_id,
  sender: row.sender,
  recipients: JSON.parse(row.recipients) as string[],
  size: row.size,
  chunkSize: row.chunk_size,
  digest: row.digest,
  blobId: row.blob_id,
  nextIndex: row.next_index,
  received: row.received,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
});

export function answerOf(submission: NewSubmission): SubmitAnswer {
  return {
    messageId: submission.messageId,
    digest: submission.digest,
    size: submission.size,
    recipients: submission.recipients,
    acceptedAt: new Date(submission.submittedAt).toISOString(),
    expiresAt: new Date(submission.expiresAt).toISOString(),
  };
}

interface Pending {
  submission: NewSubmission;
  resolve: (outcome: SubmitOutcome) => void;
  reject: (error: unknown) => void;
}

/** Options for {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** Largest number of submissions in one group commit. Default 512. */
  maxBatch?: number;
  /**
   * How long the first submission of a batch waits for others before the commit, ms. Default 2.
   * 0 commits at the end of the current event-loop turn. A few ms let one fsync serve many
   * concurrent submissions (fewer, larger commits) at the price of that much latency.
   */
  groupCommitMs?: number;
  /**
   * Who checkpoints the WAL. 'worker' (default for a database file): a worker thread, every
   * `checkpointIntervalMs`, never on the event loop. 'sqlite': SQLite's automatic checkpoint
   * inside the commit that crosses 1,000 pages (the behaviour before the worker; kept to compare).
   */
  checkpoint?: 'worker' | 'sqlite';
  /** Time between the worker's passive checkpoints, ms. Default 100. */
  checkpointIntervalMs?: number;
  /**
   * WAL size above which group commits wait (asynchronously) for the worker to copy all of it, so
   * that the next commit restarts the WAL; also the size the WAL file is cut back to. Default
   * 64 MiB.
   */
  walLimitBytes?: number;
  /**
   * Called after each group commit with the number of submissions in it and how long the
   * transaction held the event loop, ms (the COMMIT's fsync included): for metrics and benchmarks.
   */
  onCommit?: (commit: { submissions: number; ms: number }) => void;
}

/** Default {@link SqliteStoreOptions.walLimitBytes}: 64 MiB. */
export const DEFAULT_WAL_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Opens (creating if needed) a SQLite relay database at `path` (`:memory:` for throwaway tests).
 * Run `migrate()` before use.
 */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): RelayStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  let db: Db;
  try {
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // Another process (a CLI `mailbox add`) may hold the write lock briefly.
    db.pragma('busy_timeout = 5000');
  } catch (error) {
    throw new StoreError(`cannot open SQLite database '${path}': ${(error as Error).message}`, { cause: error });
  }
  const worker = path !== ':memory:' && (options.checkpoint ?? 'worker') === 'worker';
  const walLimitBytes = options.walLimitBytes ?? DEFAULT_WAL_LIMIT_BYTES;
  if (worker) {
    db.pragma('wal_autocheckpoint = 0');
    db.pragma(`journal_size_limit = ${Math.floor(walLimitBytes)}`);
  }
  const store = new SqliteStore(db, options.maxBatch ?? 512, options.groupCommitMs ?? 2, options.onCommit);
  if (worker) store.startCheckpointer({ path, intervalMs: options.checkpointIntervalMs ?? 100, walLimitBytes });
  return store;
}

class SqliteStore implements RelayStore {
  readonly kind = 'sqlite' as const;
  #db: Db;
  #maxBatch: number;
  #groupCommitMs: number;
  #queue: Pending[] = [];
  #scheduled = false;
  #closed = false;
  #stmts: Record<string, Statement> | undefined;
  #checkpointer: WalCheckpointer | undefined;
  /** Writers other than group commits (blob chunks) waiting for a checkpoint hold to end. */
  #holdWaiters: (() => void)[] = [];
  /** Forwards claimed by this process (`claimOutbound`), key `messageId\nrecipient` → lease end. */
  #outboundClaims = new Map<string, number>();
  /** The claim's query, prepared once: the forwarder runs it after nearly every commit. */
  #claimOutbound: Statement | undefined;

  #onCommit: SqliteStoreOptions['onCommit'];

  constructor(db: Db, maxBatch: number, groupCommitMs: number, onCommit?: SqliteStoreOptions['onCommit']) {
    this.#db = db;
    this.#onCommit = onCommit;
    this.#maxBatch = maxBatch;
    this.#groupCommitMs = groupCommitMs;
  }

  /** Hands WAL checkpoints to a worker thread (the connection's automatic checkpoint is off). */
  startCheckpointer(options: { path: string; intervalMs: number; walLimitBytes: number }): void {
    this.#checkpointer = new WalCheckpointer({
      ...options,
      onRelease: () => this.#released(),
      onFailure: (error) => {
        this.#checkpointer = undefined;
        // Without the worker nothing would checkpoint and the WAL would grow without end.
        if (!this.#closed) this.#db.pragma('wal_autocheckpoint = 1000');
        process.emitWarning(`SQLite store: ${error.message}; SQLite checkpoints the WAL itself from now on`, { code: 'SEALPOST_SQLITE_CHECKPOINT' });
      },
    });
  }

  /** False while the checkpoint worker holds commits so that the WAL can restart. */
  #mayCommit(): boolean {
    return this.#checkpointer?.mayCommit() ?? true;
  }

  #released(): void {
    for (const resume of this.#holdWaiters.splice(0)) resume();
    if (this.#queue.length > 0) this.#flush();
  }

  get #s(): Record<string, Statement> {
    if (this.#stmts) return this.#stmts;
    const p = (sql: string): Statement => this.#db.prepare(sql);
    this.#stmts = {
      getMessage: p('SELECT sender, digest, answer, origin FROM messages WHERE message_id = ?'),
      insertBlob: p('INSERT INTO blobs (blob_id, created_at) VALUES (?, ?)'),
      insertChunk: p('INSERT INTO blob_chunks (blob_id, seq, byte_offset, data, sha256) VALUES (?, ?, ?, ?, ?)'),
      insertMessage: p('INSERT INTO messages (message_id, sender, digest, size, blob_id, submitted_at, expires_at, answer, data, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      insertEvent: p(
        `INSERT INTO timeline_events (message_id, sender, kind, at, actor, recipient, reason, format, signed, return_to, next_attempt_at, returned_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id, kind, actor, recipient) DO NOTHING`,
      ),
      inlineData: p('SELECT substr(data, ?, ?) AS data FROM messages WHERE message_id = ?'),
      insertDelivery: p('INSERT INTO deliveries (message_id, mailbox, expires_at) VALUES (?, ?, ?)'),
      insertOutbound: p('INSERT INTO outbound (message_id, recipient, peer, hops, next_attempt_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)'),
      getMailbox: p('SELECT address, certificate, created_at FROM mailboxes WHERE address = ?'),
      listInbox: p(
        `SELECT d.seq, d.message_id, m.sender, m.digest, m.size, m.submitted_at, d.expires_at, d.acked_at, m.blob_id
         FROM deliveries d JOIN messages m ON m.message_id = d.message_id
         WHERE d.mailbox = ? AND d.seq > ? AND (d.acked_at IS NOT NULL OR d.expires_at > ?) ORDER BY d.seq LIMIT ?`,
      ),
      listUnacknowledged: p(
        `SELECT d.seq, d.message_id, m.sender, m.digest, m.size, m.submitted_at, d.expires_at, d.acked_at, m.blob_id
         FROM deliveries d JOIN messages m ON m.message_id = d.message_id
         WHERE d.mailbox = ? AND d.seq > ? AND d.acked_at IS NULL AND d.expires_at > ? ORDER BY d.seq LIMIT ?`,
      ),
      getDelivery: p(
        `SELECT d.seq, d.message_id, m.sender, m.digest, m.size, m.submitted_at, d.expires_at, d.acked_at, m.blob_id
         FROM deliveries d JOIN messages m ON m.message_id = d.message_id
         WHERE d.mailbox = ? AND d.message_id = ? AND (d.acked_at IS NOT NULL OR d.expires_at > ?)`,
      ),
      contentOf: p(
        `SELECT m.message_id, m.blob_id, m.size, m.data FROM deliveries d JOIN messages m ON m.message_id = d.message_id
         WHERE d.mailbox = ? AND d.message_id = ? AND (d.acked_at IS NOT NULL OR d.expires_at > ?)`,
      ),
      ackGet: p('SELECT acked_at, expires_at FROM deliveries WHERE mailbox = ? AND message_id = ?'),
      ackSet: p('UPDATE deliveries SET acked_at = ? WHERE mailbox = ? AND message_id = ?'),
      chunkIndex: p('SELECT seq, byte_offset FROM blob_chunks WHERE blob_id = ? AND byte_offset + length(data) > ? AND byte_offset <= ? ORDER BY seq'),
      chunkData: p('SELECT data FROM blob_chunks WHERE blob_id = ? AND seq = ?'),
    };
    return this.#stmts;
  }

  async migrate(): Promise<void> {
    await wrap('migrate', () => {
      this.#db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
      const applied = new Set((this.#db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
      MIGRATIONS.forEach((sql, i) => {
        const version = i + 1;
        if (applied.has(version)) return;
        this.#db.transaction(() => {
          this.#db.exec(sql);
          this.#db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(version, Date.now());
        }).immediate();
      });
      this.#db.prepare('INSERT OR IGNORE INTO relay_secret (id, value) VALUES (1, ?)').run(randomBytes(32));
    });
  }

  async ping(): Promise<void> {
    await wrap('ping', () => this.#db.prepare('SELECT 1').get());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // Stopping the worker ends any hold. A scheduled group commit then finishes first: its callers
    // were promised an answer.
    const stopped = this.#checkpointer?.stop();
    this.#checkpointer = undefined;
    while (this.#queue.length > 0) this.#flush();
    this.#closed = true;
    await stopped;
    // Last connection out: SQLite checkpoints the WAL into the database file and removes it.
    this.#db.close();
  }

  async secret(): Promise<Uint8Array> {
    return wrap('secret', () => new Uint8Array((this.#db.prepare('SELECT value FROM relay_secret WHERE id = 1').get() as { value: Buffer }).value));
  }

  async addMailbox(mailbox: Mailbox): Promise<'created' | 'exists'> {
    return wrap('addMailbox', () => {
      const info = this.#db.prepare('INSERT OR IGNORE INTO mailboxes (address, certificate, created_at) VALUES (?, ?, ?)').run(mailbox.address, mailbox.certificate, mailbox.createdAt);
      return info.changes === 1 ? 'created' : 'exists';
    });
  }

  async getMailbox(address: string): Promise<Mailbox | undefined> {
    return wrap('getMailbox', () => {
      const row = this.#s.getMailbox!.get(address) as { address: string; certificate: Buffer; created_at: number } | undefined;
      return row ? { address: row.address, certificate: new Uint8Array(row.certificate), createdAt: row.created_at } : undefined;
    });
  }

  async createInvite(invite: Invite): Promise<void> {
    await wrap('createInvite', () => this.#db.prepare('INSERT INTO invites (code_hash, address, expires_at) VALUES (?, ?, ?)').run(invite.codeHash, invite.address, invite.expiresAt));
  }

  async redeemInvite(codeHash: string, mailbox: Mailbox, now: number): Promise<'created' | 'invalid' | 'exists'> {
    return wrap('redeemInvite', () =>
      this.#db
        .transaction((): 'created' | 'invalid' | 'exists' => {
          const used = this.#db
            .prepare('UPDATE invites SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ? AND (address IS NULL OR address = ?)')
            .run(now, codeHash, now, mailbox.address);
          if (used.changes !== 1) return 'invalid';
          const info = this.#db.prepare('INSERT OR IGNORE INTO mailboxes (address, certificate, created_at) VALUES (?, ?, ?)').run(mailbox.address, mailbox.certificate, mailbox.createdAt);
          if (info.changes !== 1) throw new ExistsSignal();
          return 'created';
        })
        .immediate(),
    ).catch((error: unknown) => {
      // The invite stays unused when the address is taken: the transaction rolled back.
      if (error instanceof StoreError && error.cause instanceof ExistsSignal) return 'exists';
      throw error;
    });
  }

  submit(submission: NewSubmission): Promise<SubmitOutcome> {
    if (this.#closed) return Promise.reject(new StoreError('submit: the store is closed'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ submission, resolve, reject });
      if (this.#queue.length >= this.#maxBatch) this.#flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        if (this.#groupCommitMs > 0) setTimeout(() => this.#flush(), this.#groupCommitMs);
        else setImmediate(() => this.#flush());
      }
    });
  }

  /**
   * Writes up to `maxBatch` queued submissions in one transaction and settles their promises after
   * COMMIT. During a checkpoint hold it leaves the queue alone: `#released` calls it again.
   */
  #flush(): void {
    this.#scheduled = false;
    if (!this.#mayCommit() && !this.#closed) return;
    const batch = this.#queue.splice(0, Math.max(1, this.#maxBatch));
    // What queued beyond one batch during a hold goes in the next turn, not in one giant commit.
    if (this.#queue.length > 0 && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
    if (batch.length === 0 || this.#closed) {
      for (const item of batch) item.reject(new StoreError('submit: the store is closed'));
      return;
    }
    // No savepoint per item: an item cannot fail on its own (existence is checked before the
    // inserts), so any error is the database's and fails the whole batch, whose callers all get a
    // StoreError (503) and retry. Two statements per item fewer than savepoints would cost.
    let outcomes: SubmitOutcome[];
    const started = this.#onCommit ? performance.now() : 0;
    try {
      outcomes = this.#db.transaction(() => batch.map((item) => this.#submitOne(item.submission))).immediate();
    } catch (error) {
      const wrapped = new StoreError(`submit: ${(error as Error).message}`, { cause: error });
      for (const item of batch) item.reject(wrapped);
      return;
    }
    const ms = performance.now() - started;
    batch.forEach((item, i) => item.resolve(outcomes[i]!));
    // After the answers, and contained: an observer that throws must neither fail committed
    // submissions nor escape into the timer that called this.
    try {
      this.#onCommit?.({ submissions: batch.length, ms });
    } catch (error) {
      process.emitWarning(`SQLite store: onCommit threw: ${(error as Error).message}`, { code: 'SEALPOST_SQLITE_ON_COMMIT' });
    }
  }

  #submitOne(submission: NewSubmission): SubmitOutcome {
    const s = this.#s;
    const existing = s.getMessage!.get(submission.messageId) as MessageRow | undefined;
    if (existing) {
      const answer = JSON.parse(existing.answer) as SubmitAnswer;
      const same = existing.digest === submission.digest && existing.sender === submission.sender;
      if (same && submission.origin !== undefined && existing.origin === submission.origin) this.#route({ ...submission, expiresAt: Date.parse(answer.expiresAt) }, true);
      return same ? { kind: 'replayed', answer } : { kind: 'conflict', answer };
    }
    // Small content goes into the message row itself: two rows per submission instead of four,
    // and no random-key inserts into the blob tables (what an fsync of the batch pays for).
    const inline = submission.blobId === undefined;
    const blobId = submission.blobId ?? `${INLINE}${submission.messageId}`;
    const answer = answerOf(submission);
    s.insertMessage!.run(
      submission.messageId,
      submission.sender,
      submission.digest,
      submission.size,
      blobId,
      submission.submittedAt,
      submission.expiresAt,
      JSON.stringify(answer),
      inline ? (submission.data ?? new Uint8Array(0)) : null,
      submission.origin ?? null,
    );
    this.#route(submission, false);
    return { kind: 'created', answer };
  }

  /**
   * Deliveries, forwards and events of a submission. `again` is a peer forwarding the same message
   * for another recipient (the forwarder sends one recipient per request): what is new is added.
   */
  #route(submission: NewSubmission, again: boolean): void {
    const s = this.#s;
    const remote = new Set((submission.forward ?? []).map((f) => f.recipient));
    const delivery = again ? this.#db.prepare('INSERT OR IGNORE INTO deliveries (message_id, mailbox, expires_at) VALUES (?, ?, ?)') : s.insertDelivery!;
    const outbound = again ? this.#db.prepare('INSERT OR IGNORE INTO outbound (message_id, recipient, peer, hops, next_attempt_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)') : s.insertOutbound!;
    for (const recipient of submission.recipients) if (!remote.has(recipient)) delivery.run(submission.messageId, recipient, submission.expiresAt);
    for (const f of submission.forward ?? []) outbound.run(submission.messageId, f.recipient, f.peer, submission.hops ?? 0, submission.submittedAt, submission.expiresAt);
    for (const e of submission.events ?? []) this.#insertEvent(submission.messageId, submission.sender, submission.origin ?? null, e);
  }

  #insertEvent(messageId: string, sender: string, returnTo: string | null, e: NewTimelineEvent): boolean {
    return (
      this.#s.insertEvent!.run(messageId, sender, e.kind, e.at, e.actor, e.recipient ?? '', e.reason ?? null, e.format, e.signed, returnTo, e.at, e.returnedAt ?? null).changes === 1
    );
  }

  async getAnswer(messageId: string): Promise<{ sender: string; origin: string | null; answer: SubmitAnswer } | undefined> {
    return wrap('getAnswer', () => {
      const row = this.#s.getMessage!.get(messageId) as MessageRow | undefined;
      return row ? { sender: row.sender, origin: row.origin, answer: JSON.parse(row.answer) as SubmitAnswer } : undefined;
    });
  }

  async createBlob(now: number): Promise<string> {
    return wrap('createBlob', () => {
      const blobId = randomUUID();
      this.#s.insertBlob!.run(blobId, now);
      return blobId;
    });
  }

  async writeChunk(blobId: string, seq: number, offset: number, data: Uint8Array, sha256?: string): Promise<void> {
    // Large bodies are most of what fills the WAL: they wait out a checkpoint hold too.
    if (!this.#mayCommit()) await new Promise<void>((resume) => this.#holdWaiters.push(resume));
    await wrap('writeChunk', () => this.#s.insertChunk!.run(blobId, seq, offset, data, sha256 ?? null));
  }

  async *readBlob(blobId: string, start: number, end: number): AsyncIterable<Uint8Array> {
    if (blobId.startsWith(INLINE)) {
      const row = await wrap('readBlob', () => this.#s.inlineData!.get(start + 1, end - start + 1, blobId.slice(INLINE.length)) as { data: Buffer | null } | undefined);
      if (row?.data) yield new Uint8Array(row.data.buffer, row.data.byteOffset, row.data.byteLength);
      return;
    }
    // One chunk per query, so a 1 GiB message is never in memory at once. (An open better-sqlite3
    // iterator would keep the connection busy across the awaits of a slow reader.)
    const index = await wrap('readBlob', () => this.#s.chunkIndex!.all(blobId, start, end) as { seq: number; byte_offset: number }[]);
    for (const chunk of index) {
      const row = await wrap('readBlob', () => this.#s.chunkData!.get(blobId, chunk.seq) as { data: Buffer } | undefined);
      if (!row) throw new StoreError(`readBlob: chunk ${chunk.seq} of blob ${blobId} vanished (purged while reading)`);
      const from = Math.max(0, start - chunk.byte_offset);
      const to = Math.min(row.data.length, end - chunk.byte_offset + 1);
      yield new Uint8Array(row.data.buffer, row.data.byteOffset + from, to - from);
    }
  }

  async createUpload(upload: Upload): Promise<void> {
    await wrap('createUpload', () =>
      this.#db.transaction(() => {
        this.#s.insertBlob!.run(upload.blobId, upload.createdAt);
        this.#db
          .prepare(
            `INSERT INTO uploads (upload_id, message_id, sender, recipients, size, chunk_size, digest, blob_id, next_index, received, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(upload.uploadId, upload.messageId, upload.sender, JSON.stringify(upload.recipients), upload.size, upload.chunkSize, upload.digest, upload.blobId, 0, 0, upload.createdAt, upload.expiresAt);
      })(),
    );
  }

  async getUpload(uploadId: string): Promise<Upload | undefined> {
    return wrap('getUpload', () => {
      const row = this.#db.prepare('SELECT * FROM uploads WHERE upload_id = ?').get(uploadId) as UploadRow | undefined;
      return row ? toUpload(row) : undefined;
    });
  }

  async putUploadChunk(uploadId: string, index: number, data: Uint8Array, sha256: string): Promise<ChunkOutcome | undefined> {
    return wrap('putUploadChunk', () =>
      this.#db
        .transaction((): ChunkOutcome | undefined => {
          const row = this.#db.prepare('SELECT * FROM uploads WHERE upload_id = ?').get(uploadId) as UploadRow | undefined;
          if (!row) return undefined;
          const upload = toUpload(row);
          if (index < upload.nextIndex) {
            const stored = this.#db.prepare('SELECT sha256 FROM blob_chunks WHERE blob_id = ? AND seq = ?').get(upload.blobId, index) as { sha256: string } | undefined;
            return { kind: stored?.sha256 === sha256 ? 'repeated' : 'digest-differs', upload };
          }
          if (index > upload.nextIndex) return { kind: 'out-of-order', upload };
          this.#s.insertChunk!.run(upload.blobId, index, upload.received, data, sha256);
          this.#db.prepare('UPDATE uploads SET next_index = ?, received = ? WHERE upload_id = ?').run(index + 1, upload.received + data.length, uploadId);
          return { kind: 'stored', upload: { ...upload, nextIndex: index + 1, received: upload.received + data.length } };
        })
        .immediate(),
    );
  }

  async completeUpload(upload: Upload, submission: NewSubmission): Promise<SubmitOutcome> {
    return wrap('completeUpload', () =>
      this.#db
        .transaction((): SubmitOutcome => {
          const outcome = this.#submitOne({ ...submission, blobId: upload.blobId });
          if (outcome.kind === 'created') this.#db.prepare('DELETE FROM uploads WHERE upload_id = ?').run(upload.uploadId);
          return outcome;
        })
        .immediate(),
    );
  }

  async listInbox(mailbox: string, afterSeq: number, limit: number, now: number, options: { unacknowledged?: boolean } = {}): Promise<InboxItem[]> {
    const query = options.unacknowledged ? this.#s.listUnacknowledged! : this.#s.listInbox!;
    return wrap('listInbox', () => (query.all(mailbox, afterSeq, now, limit) as DeliveryRow[]).map(toItem));
  }

  async getDelivery(mailbox: string, messageId: string, now: number): Promise<StoredDelivery | undefined> {
    return wrap('getDelivery', () => {
      const row = this.#s.getDelivery!.get(mailbox, messageId, now) as DeliveryRow | undefined;
      return row ? { ...toItem(row), blobId: row.blob_id } : undefined;
    });
  }

  async readContents(mailbox: string, messageIds: readonly string[], now: number): Promise<Map<string, Uint8Array>> {
    const contents = new Map<string, Uint8Array>();
    const rows = await wrap('readContents', () =>
      messageIds.map((id) => this.#s.contentOf!.get(mailbox, id, now) as { message_id: string; blob_id: string; size: number; data: Buffer | null } | undefined),
    );
    for (const row of rows) {
      if (!row) continue;
      if (row.data || row.size === 0) {
        contents.set(row.message_id, row.data ? new Uint8Array(row.data.buffer, row.data.byteOffset, row.data.byteLength) : new Uint8Array(0));
        continue;
      }
      // Content in blob chunks (a chunked upload, or a body larger than one chunk when it came).
      const whole = new Uint8Array(row.size);
      let at = 0;
      for await (const piece of this.readBlob(row.blob_id, 0, row.size - 1)) {
        whole.set(piece, at);
        at += piece.length;
      }
      if (at === row.size) contents.set(row.message_id, whole);
    }
    return contents;
  }

  async acknowledge(mailbox: string, messageId: string, now: number): Promise<number | undefined> {
    return (await this.#acknowledge('acknowledge', mailbox, [messageId], now))[0];
  }

  async acknowledgeMany(mailbox: string, messageIds: readonly string[], now: number): Promise<(number | undefined)[]> {
    return this.#acknowledge('acknowledgeMany', mailbox, messageIds, now);
  }

  #acknowledge(what: string, mailbox: string, messageIds: readonly string[], now: number): Promise<(number | undefined)[]> {
    return wrap(what, () =>
      this.#db
        .transaction(() =>
          messageIds.map((messageId): number | undefined => {
            const row = this.#s.ackGet!.get(mailbox, messageId) as { acked_at: number | null; expires_at: number } | undefined;
            if (!row) return undefined;
            if (row.acked_at !== null) return row.acked_at;
            if (row.expires_at <= now) return undefined;
            this.#s.ackSet!.run(now, mailbox, messageId);
            return now;
          }),
        )
        .immediate(),
    );
  }

  async dueOutbound(now: number, limit: number): Promise<OutboundItem[]> {
    return wrap('dueOutbound', () =>
      (this.#db.prepare(`${OUTBOUND_SELECT} WHERE o.forwarded_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= ? AND o.expires_at > ? ORDER BY o.next_attempt_at LIMIT ?`).all(now, now, limit) as OutboundRow[]).map(outboundOf),
    );
  }

  async listOutbound(): Promise<OutboundItem[]> {
    return wrap('listOutbound', () => (this.#db.prepare(`${OUTBOUND_SELECT} ORDER BY o.message_id, o.recipient`).all() as OutboundRow[]).map(outboundOf));
  }

  async claimOutbound(now: number, limit: number, options: { leaseUntil: number; skipPeers?: readonly string[] }): Promise<OutboundItem[]> {
    return wrap('claimOutbound', () => {
      const claims = this.#outboundClaims;
      for (const [key, until] of claims) if (until <= now) claims.delete(key);
      // Claimed rows are still due in the table: read past them (there are at most as many as the
      // forwarder keeps in flight) instead of writing a lease, which would cost a commit per claim.
      this.#claimOutbound ??= this.#db.prepare(
        `${OUTBOUND_SELECT} WHERE o.forwarded_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= ? AND o.expires_at > ?
           AND o.peer NOT IN (SELECT value FROM json_each(?)) ORDER BY o.next_attempt_at LIMIT ?`,
      );
      const rows = this.#claimOutbound
        .all(now, now, JSON.stringify(options.skipPeers ?? []), limit + claims.size) as OutboundRow[];
      const claimed: OutboundItem[] = [];
      for (const row of rows) {
        const key = `${row.message_id}\n${row.recipient}`;
        if (claimed.length === limit || claims.has(key)) continue;
        claims.set(key, options.leaseUntil);
        claimed.push(outboundOf(row));
      }
      return claimed;
    });
  }

  async updateOutbound(messageId: string, recipient: string, update: OutboundUpdate): Promise<void> {
    await this.settleOutbound([{ ...update, messageId, recipient }]);
  }

  async settleOutbound(outcomes: readonly OutboundOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    await wrap('settleOutbound', () =>
      this.#db
        .transaction(() => {
          const update = this.#db.prepare(
            `UPDATE outbound SET attempts = attempts + 1, forwarded_at = COALESCE(?, forwarded_at), failed_at = COALESCE(?, failed_at),
               next_attempt_at = COALESCE(?, next_attempt_at), last_error = COALESCE(?, last_error)
             WHERE message_id = ? AND recipient = ? AND forwarded_at IS NULL AND failed_at IS NULL`,
          );
          for (const o of outcomes) {
            // A forward already settled for good (forwarded, or given up by a racing pass) stays as it is.
            const changed = update.run(o.forwardedAt ?? null, o.failedAt ?? null, o.nextAttemptAt ?? null, o.lastError ?? null, o.messageId, o.recipient).changes === 1;
            if (!changed || !o.event) continue;
            const message = this.#s.getMessage!.get(o.messageId) as MessageRow | undefined;
            if (message) this.#insertEvent(o.messageId, message.sender, message.origin, o.event);
          }
        })
        .immediate(),
    );
    // Only after the commit: until then the rows still look due, and a claim must not take them.
    for (const o of outcomes) this.#outboundClaims.delete(`${o.messageId}\n${o.recipient}`);
  }

  async stalledOutbound(before: number, limit: number): Promise<OutboundItem[]> {
    return wrap('stalledOutbound', () =>
      (this.#db.prepare(`${OUTBOUND_SELECT} WHERE o.forwarded_at IS NULL AND o.failed_at IS NULL AND m.submitted_at <= ? ORDER BY m.submitted_at LIMIT ?`).all(before, limit) as OutboundRow[]).map(outboundOf),
    );
  }

  async addEvent(messageId: string, sender: string, returnTo: string | null, event: NewTimelineEvent): Promise<'created' | 'exists'> {
    return wrap('addEvent', () => (this.#insertEvent(messageId, sender, returnTo, event) ? 'created' : 'exists'));
  }

  async addEvents(entries: readonly { messageId: string; sender: string; returnTo: string | null; event: NewTimelineEvent }[]): Promise<('created' | 'exists')[]> {
    if (entries.length === 0) return [];
    return wrap('addEvents', () =>
      this.#db.transaction(() => entries.map((e): 'created' | 'exists' => (this.#insertEvent(e.messageId, e.sender, e.returnTo, e.event) ? 'created' : 'exists'))).immediate(),
    );
  }

  async listTimeline(messageId: string): Promise<TimelineEvent[]> {
    return wrap('listTimeline', () => (this.#db.prepare('SELECT * FROM timeline_events WHERE message_id = ? ORDER BY seq').all(messageId) as EventRow[]).map(eventOf));
  }

  async unsignedEvents(limit: number, messageId?: string): Promise<TimelineEvent[]> {
    return wrap('unsignedEvents', () =>
      (
        (messageId === undefined
          ? this.#db.prepare("SELECT * FROM timeline_events WHERE actor = '' ORDER BY seq LIMIT ?").all(limit)
          : this.#db.prepare("SELECT * FROM timeline_events WHERE message_id = ? AND actor = '' ORDER BY seq LIMIT ?").all(messageId, limit)) as EventRow[]
      ).map(eventOf),
    );
  }

  async signEvent(seq: number, actor: string, format: EventFormat, signed: Uint8Array | null): Promise<void> {
    await wrap('signEvent', () => this.#db.prepare("UPDATE OR IGNORE timeline_events SET actor = ?, format = ?, signed = ? WHERE seq = ? AND actor = ''").run(actor, format, signed, seq));
  }

  async dueEvents(now: number, limit: number): Promise<TimelineEvent[]> {
    return wrap('dueEvents', () =>
      (
        this.#db
          .prepare("SELECT * FROM timeline_events WHERE return_to IS NOT NULL AND returned_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ? AND actor <> '' ORDER BY next_attempt_at, seq LIMIT ?")
          .all(now, limit) as EventRow[]
      ).map(eventOf),
    );
  }

  async updateEvent(seq: number, update: EventUpdate): Promise<void> {
    await this.settleEvents([{ ...update, seq }]);
  }

  async settleEvents(outcomes: readonly ({ seq: number } & EventUpdate)[]): Promise<void> {
    if (outcomes.length === 0) return;
    await wrap('settleEvents', () =>
      this.#db
        .transaction(() => {
          const update = this.#db.prepare(
            `UPDATE timeline_events SET attempts = attempts + 1, returned_at = COALESCE(?, returned_at), failed_at = COALESCE(?, failed_at),
               next_attempt_at = COALESCE(?, next_attempt_at), last_error = COALESCE(?, last_error) WHERE seq = ?`,
          );
          for (const o of outcomes) update.run(o.returnedAt ?? null, o.failedAt ?? null, o.nextAttemptAt ?? null, o.lastError ?? null, o.seq);
        })
        .immediate(),
    );
  }

  async purge(now: number, options: { retentionMs: number; orphanBlobAgeMs: number; timelineRetentionMs?: number }): Promise<PurgeResult> {
    return wrap('purge', () =>
      this.#db
        .transaction((): PurgeResult => {
          const purged = this.#db.prepare('DELETE FROM deliveries WHERE acked_at IS NOT NULL AND acked_at <= ?').run(now - options.retentionMs).changes;
          // The non-delivery report: recorded with the expiry itself, signed afterwards (signing is async).
          this.#db
            .prepare(
              `INSERT INTO timeline_events (message_id, sender, kind, at, actor, recipient, digest, format, return_to, next_attempt_at)
               SELECT d.message_id, m.sender, 'expired', ?, '', d.mailbox, m.digest, 'unsigned', m.origin, ? FROM deliveries d JOIN messages m ON m.message_id = d.message_id
               WHERE d.acked_at IS NULL AND d.expires_at <= ? ON CONFLICT DO NOTHING`,
            )
            .run(now, now, now);
          this.#db.prepare('DELETE FROM timeline_events WHERE at <= ?').run(now - (options.timelineRetentionMs ?? DEFAULT_TIMELINE_RETENTION_MS));
          const expired = this.#db.prepare('DELETE FROM deliveries WHERE acked_at IS NULL AND expires_at <= ?').run(now).changes;
          const uploads = this.#db.prepare('DELETE FROM uploads WHERE expires_at <= ?').run(now).changes;
          // The answer row outlives its deliveries only until they are all gone: a retry after
          // that is a new message (documented in docs/protocol.md, "Idempotency window").
          // Forwards done or refused leave after the retention period; pending ones a retention
          // period after expiry, so the forwarder has recorded them undeliverable first.
          this.#db.prepare('DELETE FROM outbound WHERE COALESCE(forwarded_at, failed_at) <= ? OR expires_at <= ?').run(now - options.retentionMs, now - options.retentionMs);
          this.#db
            .prepare(
              'DELETE FROM messages WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = messages.message_id) AND NOT EXISTS (SELECT 1 FROM outbound o WHERE o.message_id = messages.message_id)',
            )
            .run();
          const orphans = `blob_id NOT IN (SELECT blob_id FROM messages) AND blob_id NOT IN (SELECT blob_id FROM uploads) AND created_at <= ?`;
          this.#db.prepare(`DELETE FROM blob_chunks WHERE blob_id IN (SELECT blob_id FROM blobs WHERE ${orphans})`).run(now - options.orphanBlobAgeMs);
          const blobs = this.#db.prepare(`DELETE FROM blobs WHERE ${orphans}`).run(now - options.orphanBlobAgeMs).changes;
          return { purged, expired, uploads, blobs };
        })
        .immediate(),
    );
  }
}

class ExistsSignal extends Error {}
