/**
 * PostgreSQL storage (pg): for scale-out, several relay processes on one database.
 *
 * Durability: every submission is one transaction committed with the server's default
 * synchronous_commit=on (WAL flushed before COMMIT returns); concurrent submissions on separate
 * pool connections share WAL flushes (PostgreSQL's own group commit).
 * Safety with several processes: messageId uniqueness is the primary key, inserted with
 * ON CONFLICT DO NOTHING, so concurrent submissions of one id from any process leave one message;
 * upload chunks take a row lock on their upload; migrations take an advisory lock.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import type { PoolClient } from 'pg';
import { StoreError, wrap } from './errors.js';
import { answerOf, DEFAULT_TIMELINE_RETENTION_MS, eventOf, OUTBOUND_SELECT, outboundOf } from './sqlite.js';
import type { EventRow, OutboundRow } from './sqlite.js';
import type { ChunkOutcome, EventFormat, InboxItem, Invite, Mailbox, NewSubmission, NewTimelineEvent, EventUpdate, OutboundItem, OutboundOutcome, OutboundUpdate, PurgeResult, RelayStore, StoredDelivery, SubmitAnswer, SubmitOutcome, TimelineEvent, Upload } from './types.js';

const MIGRATIONS: string[] = [
  `CREATE TABLE relay_secret (id INTEGER PRIMARY KEY CHECK (id = 1), value BYTEA NOT NULL);
   CREATE TABLE mailboxes (address TEXT PRIMARY KEY, certificate BYTEA NOT NULL, created_at BIGINT NOT NULL);
   CREATE TABLE invites (code_hash TEXT PRIMARY KEY, address TEXT, expires_at BIGINT NOT NULL, used_at BIGINT);
   CREATE TABLE blobs (blob_id TEXT PRIMARY KEY, created_at BIGINT NOT NULL);
   CREATE TABLE blob_chunks (blob_id TEXT NOT NULL, seq INTEGER NOT NULL, byte_offset BIGINT NOT NULL, data BYTEA NOT NULL, sha256 TEXT, PRIMARY KEY (blob_id, seq));
   ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
   CREATE TABLE messages (message_id TEXT PRIMARY KEY, sender TEXT NOT NULL, digest TEXT NOT NULL, size BIGINT NOT NULL, blob_id TEXT NOT NULL,
     submitted_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, answer TEXT NOT NULL, data BYTEA);
   CREATE TABLE deliveries (seq BIGSERIAL PRIMARY KEY, message_id TEXT NOT NULL REFERENCES messages(message_id), mailbox TEXT NOT NULL,
     acked_at BIGINT, expires_at BIGINT NOT NULL, UNIQUE (mailbox, message_id));
   CREATE INDEX messages_blob ON messages (blob_id);
   CREATE INDEX deliveries_mailbox ON deliveries (mailbox, seq);
   CREATE INDEX deliveries_message ON deliveries (message_id);
   CREATE INDEX deliveries_expiry ON deliveries (expires_at) WHERE acked_at IS NULL;
   CREATE INDEX deliveries_acked ON deliveries (acked_at) WHERE acked_at IS NOT NULL;
   CREATE TABLE uploads (upload_id TEXT PRIMARY KEY, message_id TEXT NOT NULL, sender TEXT NOT NULL, recipients TEXT NOT NULL, size BIGINT NOT NULL,
     chunk_size INTEGER NOT NULL, digest TEXT NOT NULL, blob_id TEXT NOT NULL, next_index INTEGER NOT NULL, received BIGINT NOT NULL,
     created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL);
   CREATE INDEX uploads_blob ON uploads (blob_id);`,
  // Federation: forwards to other relays, committed with the message (docs/protocol.md, Federation).
  `CREATE TABLE outbound (message_id TEXT NOT NULL REFERENCES messages(message_id), recipient TEXT NOT NULL, peer TEXT NOT NULL, hops INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at BIGINT NOT NULL, forwarded_at BIGINT, failed_at BIGINT, last_error TEXT, expires_at BIGINT NOT NULL,
     PRIMARY KEY (message_id, recipient));
   CREATE INDEX outbound_due ON outbound (next_attempt_at) WHERE forwarded_at IS NULL AND failed_at IS NULL;`,
  // The delivery timeline (docs/protocol.md, Timeline); see sqlite.ts.
  `ALTER TABLE messages ADD COLUMN origin TEXT;
   CREATE TABLE timeline_events (seq BIGSERIAL PRIMARY KEY, message_id TEXT NOT NULL, sender TEXT NOT NULL, kind TEXT NOT NULL, at BIGINT NOT NULL,
     actor TEXT NOT NULL, recipient TEXT NOT NULL DEFAULT '', reason TEXT, digest TEXT, format TEXT NOT NULL, signed BYTEA, return_to TEXT,
     attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at BIGINT NOT NULL DEFAULT 0, returned_at BIGINT, failed_at BIGINT, last_error TEXT);
   CREATE UNIQUE INDEX timeline_events_key ON timeline_events (message_id, kind, actor, recipient);
   CREATE INDEX timeline_events_message ON timeline_events (message_id, seq);
   CREATE INDEX timeline_events_at ON timeline_events (at);
   CREATE INDEX timeline_events_return ON timeline_events (next_attempt_at) WHERE return_to IS NOT NULL AND returned_at IS NULL AND failed_at IS NULL;
   CREATE INDEX timeline_events_unsigned ON timeline_events (seq) WHERE actor = '';`,
  // Listing only unacknowledged deliveries (docs/protocol.md §7); see sqlite.ts.
  `CREATE INDEX deliveries_unacknowledged ON deliveries (mailbox, seq) WHERE acked_at IS NULL;`,
];

const INSERT_EVENT = `INSERT INTO timeline_events (message_id, sender, kind, at, actor, recipient, reason, format, signed, return_to, next_attempt_at, returned_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $4, $11) ON CONFLICT (message_id, kind, actor, recipient) DO NOTHING`;

const eventParams = (messageId: string, sender: string, returnTo: string | null, e: NewTimelineEvent): unknown[] => [
  messageId,
  sender,
  e.kind,
  e.at,
  e.actor,
  e.recipient ?? '',
  e.reason ?? null,
  e.format,
  e.signed ? buf(e.signed) : null,
  returnTo,
  e.returnedAt ?? null,
];

/** blob_id of content stored in the message row. */
const INLINE = 'inline:';

/** Arbitrary constant for pg_advisory_xact_lock: serialises migrations across processes. */
const MIGRATION_LOCK = 7311_0005;

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

/** BIGINT (int8) as a JavaScript number: all our BIGINTs are times, sizes and sequence numbers below 2^53. */
const types = {
  getTypeParser: (oid: number, format?: string) => (oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')),
};

const bytes = (buffer: Buffer): Uint8Array => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
const buf = (data: Uint8Array): Buffer => Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/** Options for {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /** Pool size. Default 16. */
  maxConnections?: number;
}

/** Connects to PostgreSQL at `url` (`postgres://user@host:port/db`). Run `migrate()` before use. */
export function openPostgresStore(url: string, options: PostgresStoreOptions = {}): RelayStore {
  const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 16, types });
  // An idle client losing its connection (server restart) must not crash the relay.
  pool.on('error', () => undefined);
  return new PostgresStore(pool);
}

class PostgresStore implements RelayStore {
  readonly kind = 'postgres' as const;
  #pool: pg.Pool;
  #closed = false;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async #tx<T>(what: string, fn: (client: PoolClient) => Promise<T>): Promise<T> {
    return wrap(what, async () => {
      const client = await this.#pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    });
  }

  async migrate(): Promise<void> {
    await this.#tx('migrate', async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
      const applied = new Set((await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
      for (const [i, sql] of MIGRATIONS.entries()) {
        if (applied.has(i + 1)) continue;
        await c.query(sql);
        await c.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [i + 1, Date.now()]);
      }
      await c.query('INSERT INTO relay_secret (id, value) VALUES (1, $1) ON CONFLICT (id) DO NOTHING', [randomBytes(32)]);
    });
  }

  async ping(): Promise<void> {
    await wrap('ping', () => this.#pool.query('SELECT 1'));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }

  async secret(): Promise<Uint8Array> {
    return wrap('secret', async () => bytes((await this.#pool.query<{ value: Buffer }>('SELECT value FROM relay_secret WHERE id = 1')).rows[0]!.value));
  }

  async addMailbox(mailbox: Mailbox): Promise<'created' | 'exists'> {
    return wrap('addMailbox', async () => {
      const res = await this.#pool.query('INSERT INTO mailboxes (address, certificate, created_at) VALUES ($1, $2, $3) ON CONFLICT (address) DO NOTHING', [
        mailbox.address,
        buf(mailbox.certificate),
        mailbox.createdAt,
      ]);
      return res.rowCount === 1 ? 'created' : 'exists';
    });
  }

  async getMailbox(address: string): Promise<Mailbox | undefined> {
    return wrap('getMailbox', async () => {
      const row = (await this.#pool.query<{ address: string; certificate: Buffer; created_at: number }>('SELECT address, certificate, created_at FROM mailboxes WHERE address = $1', [address])).rows[0];
      return row ? { address: row.address, certificate: bytes(row.certificate), createdAt: row.created_at } : undefined;
    });
  }

  async createInvite(invite: Invite): Promise<void> {
    await wrap('createInvite', () => this.#pool.query('INSERT INTO invites (code_hash, address, expires_at) VALUES ($1, $2, $3)', [invite.codeHash, invite.address, invite.expiresAt]));
  }

  async redeemInvite(codeHash: string, mailbox: Mailbox, now: number): Promise<'created' | 'invalid' | 'exists'> {
    const exists = Symbol('exists');
    try {
      return await this.#tx('redeemInvite', async (c) => {
        const used = await c.query('UPDATE invites SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL AND expires_at > $1 AND (address IS NULL OR address = $3)', [now, codeHash, mailbox.address]);
        if (used.rowCount !== 1) return 'invalid' as const;
        const inserted = await c.query('INSERT INTO mailboxes (address, certificate, created_at) VALUES ($1, $2, $3) ON CONFLICT (address) DO NOTHING', [
          mailbox.address,
          buf(mailbox.certificate),
          mailbox.createdAt,
        ]);
        // Roll back so the invite stays usable.
        if (inserted.rowCount !== 1) throw exists;
        return 'created' as const;
      });
    } catch (error) {
      if (error instanceof StoreError && error.cause === exists) return 'exists';
      throw error;
    }
  }

  async submit(submission: NewSubmission): Promise<SubmitOutcome> {
    if (this.#closed) throw new StoreError('submit: the store is closed');
    // rowCount counts deliveries: with no recipient a new message would look like a replay.
    if (submission.recipients.length === 0) throw new RangeError('submit: no recipient');
    // With forwards, or from a peer (whose repeat may add a recipient), the general transaction path.
    if (submission.forward?.length || submission.origin !== undefined) return this.#tx('submit', (c) => this.#submitIn(c, submission));
    const events = submission.events ?? [];
    const answer = answerOf(submission);
    const inline = submission.blobId === undefined;
    const blobId = submission.blobId ?? `${INLINE}${submission.messageId}`;
    return wrap('submit', async () => {
      // ONE statement, so one round trip and one implicit transaction: the message row and its
      // deliveries commit together or not at all. On a messageId conflict the INSERT waits for
      // the other transaction, then inserts nothing, and no deliveries follow.
      const inserted = await this.#pool.query(
        `WITH m AS (
           INSERT INTO messages (message_id, sender, digest, size, blob_id, submitted_at, expires_at, answer, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (message_id) DO NOTHING RETURNING message_id),
         e AS (
           INSERT INTO timeline_events (message_id, sender, kind, at, actor, recipient, reason, format, signed, next_attempt_at)
           SELECT m.message_id, $2, x.kind, x.at, x.actor, x.recipient, x.reason, x.format, x.signed, x.at
           FROM m, unnest($11::text[], $12::bigint[], $13::text[], $14::text[], $15::text[], $16::text[], $17::bytea[]) AS x(kind, at, actor, recipient, reason, format, signed))
         INSERT INTO deliveries (message_id, mailbox, expires_at) SELECT m.message_id, r.mailbox, $7 FROM m, unnest($10::text[]) AS r(mailbox)`,
        [
          submission.messageId,
          submission.sender,
          submission.digest,
          submission.size,
          blobId,
          submission.submittedAt,
          submission.expiresAt,
          JSON.stringify(answer),
          inline ? buf(submission.data ?? new Uint8Array(0)) : null,
          submission.recipients,
          events.map((e) => e.kind),
          events.map((e) => e.at),
          events.map((e) => e.actor),
          events.map((e) => e.recipient ?? ''),
          events.map((e) => e.reason ?? null),
          events.map((e) => e.format),
          events.map((e) => (e.signed ? buf(e.signed) : null)),
        ],
      );
      if ((inserted.rowCount ?? 0) > 0) return { kind: 'created', answer } as const;
      const row = (await this.#pool.query<{ sender: string; digest: string; answer: string }>('SELECT sender, digest, answer FROM messages WHERE message_id = $1', [submission.messageId])).rows[0];
      if (!row) throw new StoreError(`submit: ${submission.messageId} neither inserted nor found`);
      const first = JSON.parse(row.answer) as SubmitAnswer;
      return row.digest === submission.digest && row.sender === submission.sender ? ({ kind: 'replayed', answer: first } as const) : ({ kind: 'conflict', answer: first } as const);
    });
  }

  /** The submission inside a transaction; a replay or conflict is returned for the caller to roll back. */
  async #submitIn(c: PoolClient, submission: NewSubmission): Promise<SubmitOutcome> {
    const answer = answerOf(submission);
    // Small content goes into the message row itself (fewer rows and index entries per commit).
    const inline = submission.blobId === undefined;
    const blobId = submission.blobId ?? `${INLINE}${submission.messageId}`;
    // Waits for a concurrent transaction inserting the same id, then does nothing if it committed.
    const inserted = await c.query(
      `INSERT INTO messages (message_id, sender, digest, size, blob_id, submitted_at, expires_at, answer, data, origin) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (message_id) DO NOTHING`,
      [
        submission.messageId,
        submission.sender,
        submission.digest,
        submission.size,
        blobId,
        submission.submittedAt,
        submission.expiresAt,
        JSON.stringify(answer),
        inline ? buf(submission.data ?? new Uint8Array(0)) : null,
        submission.origin ?? null,
      ],
    );
    if (inserted.rowCount !== 1) {
      const row = (await c.query<{ sender: string; digest: string; answer: string; origin: string | null }>('SELECT sender, digest, answer, origin FROM messages WHERE message_id = $1', [submission.messageId])).rows[0]!;
      const first = JSON.parse(row.answer) as SubmitAnswer;
      const same = row.digest === submission.digest && row.sender === submission.sender;
      // A peer forwarding the same message for another recipient (one recipient per forward): add what is new.
      if (same && submission.origin !== undefined && row.origin === submission.origin) await this.#route(c, { ...submission, expiresAt: Date.parse(first.expiresAt) });
      return same ? { kind: 'replayed', answer: first } : { kind: 'conflict', answer: first };
    }
    await this.#route(c, submission);
    return { kind: 'created', answer };
  }

  /** Deliveries, forwards and events of a submission; repeats are ignored. */
  async #route(c: PoolClient, submission: NewSubmission): Promise<void> {
    const remote = new Set((submission.forward ?? []).map((f) => f.recipient));
    const local = submission.recipients.filter((r) => !remote.has(r));
    if (local.length > 0) {
      await c.query('INSERT INTO deliveries (message_id, mailbox, expires_at) SELECT $1, unnest($2::text[]), $3 ON CONFLICT (mailbox, message_id) DO NOTHING', [submission.messageId, local, submission.expiresAt]);
    }
    for (const e of submission.events ?? []) await c.query(INSERT_EVENT, eventParams(submission.messageId, submission.sender, submission.origin ?? null, e));
    for (const f of submission.forward ?? []) {
      await c.query('INSERT INTO outbound (message_id, recipient, peer, hops, next_attempt_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (message_id, recipient) DO NOTHING', [
        submission.messageId,
        f.recipient,
        f.peer,
        submission.hops ?? 0,
        submission.submittedAt,
        submission.expiresAt,
      ]);
    }
  }

  async getAnswer(messageId: string): Promise<{ sender: string; origin: string | null; answer: SubmitAnswer } | undefined> {
    return wrap('getAnswer', async () => {
      const row = (await this.#pool.query<{ sender: string; answer: string; origin: string | null }>('SELECT sender, answer, origin FROM messages WHERE message_id = $1', [messageId])).rows[0];
      return row ? { sender: row.sender, origin: row.origin, answer: JSON.parse(row.answer) as SubmitAnswer } : undefined;
    });
  }

  async createBlob(now: number): Promise<string> {
    return wrap('createBlob', async () => {
      const blobId = randomUUID();
      await this.#pool.query('INSERT INTO blobs (blob_id, created_at) VALUES ($1, $2)', [blobId, now]);
      return blobId;
    });
  }

  async writeChunk(blobId: string, seq: number, offset: number, data: Uint8Array, sha256?: string): Promise<void> {
    await wrap('writeChunk', () => this.#pool.query('INSERT INTO blob_chunks (blob_id, seq, byte_offset, data, sha256) VALUES ($1, $2, $3, $4, $5)', [blobId, seq, offset, buf(data), sha256 ?? null]));
  }

  async *readBlob(blobId: string, start: number, end: number): AsyncIterable<Uint8Array> {
    if (blobId.startsWith(INLINE)) {
      const row = await wrap(
        'readBlob',
        async () => (await this.#pool.query<{ data: Buffer | null }>('SELECT substring(data FROM $2::int + 1 FOR $3::int) AS data FROM messages WHERE message_id = $1', [blobId.slice(INLINE.length), start, end - start + 1])).rows[0],
      );
      if (row?.data) yield bytes(row.data);
      return;
    }
    const index = await wrap(
      'readBlob',
      async () =>
        (
          await this.#pool.query<{ seq: number; byte_offset: number }>('SELECT seq, byte_offset FROM blob_chunks WHERE blob_id = $1 AND byte_offset + length(data) > $2 AND byte_offset <= $3 ORDER BY seq', [
            blobId,
            start,
            end,
          ])
        ).rows,
    );
    for (const chunk of index) {
      // Only the needed part of each chunk travels (substring on bytea is 1-based).
      const from = Math.max(0, start - chunk.byte_offset);
      const row = await wrap(
        'readBlob',
        async () => (await this.#pool.query<{ data: Buffer }>('SELECT substring(data FROM $3::int + 1 FOR $4::int) AS data FROM blob_chunks WHERE blob_id = $1 AND seq = $2', [blobId, chunk.seq, from, end - chunk.byte_offset - from + 1])).rows[0],
      );
      if (!row) throw new StoreError(`readBlob: chunk ${chunk.seq} of blob ${blobId} vanished (purged while reading)`);
      yield bytes(row.data);
    }
  }

  async createUpload(upload: Upload): Promise<void> {
    await this.#tx('createUpload', async (c) => {
      await c.query('INSERT INTO blobs (blob_id, created_at) VALUES ($1, $2)', [upload.blobId, upload.createdAt]);
      await c.query(
        `INSERT INTO uploads (upload_id, message_id, sender, recipients, size, chunk_size, digest, blob_id, next_index, received, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, 0, $9, $10)`,
        [upload.uploadId, upload.messageId, upload.sender, JSON.stringify(upload.recipients), upload.size, upload.chunkSize, upload.digest, upload.blobId, upload.createdAt, upload.expiresAt],
      );
    });
  }

  async getUpload(uploadId: string): Promise<Upload | undefined> {
    return wrap('getUpload', async () => {
      const row = (await this.#pool.query<UploadRow>('SELECT * FROM uploads WHERE upload_id = $1', [uploadId])).rows[0];
      return row ? toUpload(row) : undefined;
    });
  }

  async putUploadChunk(uploadId: string, index: number, data: Uint8Array, sha256: string): Promise<ChunkOutcome | undefined> {
    return this.#tx('putUploadChunk', async (c): Promise<ChunkOutcome | undefined> => {
      const row = (await c.query<UploadRow>('SELECT * FROM uploads WHERE upload_id = $1 FOR UPDATE', [uploadId])).rows[0];
      if (!row) return undefined;
      const upload = toUpload(row);
      if (index < upload.nextIndex) {
        const stored = (await c.query<{ sha256: string }>('SELECT sha256 FROM blob_chunks WHERE blob_id = $1 AND seq = $2', [upload.blobId, index])).rows[0];
        return { kind: stored?.sha256 === sha256 ? 'repeated' : 'digest-differs', upload };
      }
      if (index > upload.nextIndex) return { kind: 'out-of-order', upload };
      await c.query('INSERT INTO blob_chunks (blob_id, seq, byte_offset, data, sha256) VALUES ($1, $2, $3, $4, $5)', [upload.blobId, index, upload.received, buf(data), sha256]);
      await c.query('UPDATE uploads SET next_index = $1, received = $2 WHERE upload_id = $3', [index + 1, upload.received + data.length, uploadId]);
      return { kind: 'stored', upload: { ...upload, nextIndex: index + 1, received: upload.received + data.length } };
    });
  }

  async completeUpload(upload: Upload, submission: NewSubmission): Promise<SubmitOutcome> {
    return this.#tx('completeUpload', async (c) => {
      // Lock the session so two concurrent completes cannot both commit.
      const locked = await c.query('SELECT 1 FROM uploads WHERE upload_id = $1 FOR UPDATE', [upload.uploadId]);
      const outcome = await this.#submitIn(c, { ...submission, blobId: upload.blobId });
      if (outcome.kind === 'created') {
        if (locked.rowCount !== 1) throw new StoreError(`completeUpload: upload ${upload.uploadId} vanished`);
        await c.query('DELETE FROM uploads WHERE upload_id = $1', [upload.uploadId]);
      }
      return outcome;
    });
  }

  async listInbox(mailbox: string, afterSeq: number, limit: number, now: number, options: { unacknowledged?: boolean } = {}): Promise<InboxItem[]> {
    const visible = options.unacknowledged ? 'd.acked_at IS NULL AND d.expires_at > $3' : '(d.acked_at IS NOT NULL OR d.expires_at > $3)';
    return wrap('listInbox', async () =>
      (
        await this.#pool.query<DeliveryRow>(
          `SELECT d.seq, d.message_id, m.sender, m.digest, m.size, m.submitted_at, d.expires_at, d.acked_at, m.blob_id
           FROM deliveries d JOIN messages m ON m.message_id = d.message_id
           WHERE d.mailbox = $1 AND d.seq > $2 AND ${visible} ORDER BY d.seq LIMIT $4`,
          [mailbox, afterSeq, now, limit],
        )
      ).rows.map(toItem),
    );
  }

  async getDelivery(mailbox: string, messageId: string, now: number): Promise<StoredDelivery | undefined> {
    return wrap('getDelivery', async () => {
      const row = (
        await this.#pool.query<DeliveryRow>(
          `SELECT d.seq, d.message_id, m.sender, m.digest, m.size, m.submitted_at, d.expires_at, d.acked_at, m.blob_id
           FROM deliveries d JOIN messages m ON m.message_id = d.message_id
           WHERE d.mailbox = $1 AND d.message_id = $2 AND (d.acked_at IS NOT NULL OR d.expires_at > $3)`,
          [mailbox, messageId, now],
        )
      ).rows[0];
      return row ? { ...toItem(row), blobId: row.blob_id } : undefined;
    });
  }

  async acknowledge(mailbox: string, messageId: string, now: number): Promise<number | undefined> {
    return wrap('acknowledge', async () => {
      // One statement: set acked_at unless already set, and return the value that stands.
      const updated = await this.#pool.query<{ acked_at: number }>(
        'UPDATE deliveries SET acked_at = COALESCE(acked_at, $3) WHERE mailbox = $1 AND message_id = $2 AND (acked_at IS NOT NULL OR expires_at > $3) RETURNING acked_at',
        [mailbox, messageId, now],
      );
      return updated.rows[0]?.acked_at;
    });
  }

  async readContents(mailbox: string, messageIds: readonly string[], now: number): Promise<Map<string, Uint8Array>> {
    const contents = new Map<string, Uint8Array>();
    if (messageIds.length === 0) return contents;
    const rows = await wrap(
      'readContents',
      async () =>
        (
          await this.#pool.query<{ message_id: string; blob_id: string; size: number; data: Buffer | null }>(
            `SELECT m.message_id, m.blob_id, m.size, m.data FROM deliveries d JOIN messages m ON m.message_id = d.message_id
             WHERE d.mailbox = $1 AND d.message_id = ANY($2::text[]) AND (d.acked_at IS NOT NULL OR d.expires_at > $3)`,
            [mailbox, messageIds, now],
          )
        ).rows,
    );
    for (const row of rows) {
      if (row.data || row.size === 0) {
        contents.set(row.message_id, row.data ? bytes(row.data) : new Uint8Array(0));
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

  async acknowledgeMany(mailbox: string, messageIds: readonly string[], now: number): Promise<(number | undefined)[]> {
    if (messageIds.length === 0) return [];
    const rows = await wrap(
      'acknowledgeMany',
      async () =>
        (
          // One statement, one commit. The rows are locked in seq order first, so two relay
          // processes acknowledging overlapping sets wait for each other instead of deadlocking.
          await this.#pool.query<{ message_id: string; acked_at: number }>(
            `WITH locked AS (
               SELECT seq FROM deliveries WHERE mailbox = $1 AND message_id = ANY($2::text[]) AND (acked_at IS NOT NULL OR expires_at > $3) ORDER BY seq FOR UPDATE
             )
             UPDATE deliveries d SET acked_at = COALESCE(d.acked_at, $3) FROM locked WHERE d.seq = locked.seq RETURNING d.message_id, d.acked_at`,
            [mailbox, messageIds, now],
          )
        ).rows,
    );
    const at = new Map(rows.map((r) => [r.message_id, r.acked_at]));
    return messageIds.map((id) => at.get(id));
  }

  async dueOutbound(now: number, limit: number): Promise<OutboundItem[]> {
    return wrap('dueOutbound', async () =>
      (
        await this.#pool.query<OutboundRow>(
          `${OUTBOUND_SELECT} WHERE o.forwarded_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= $1 AND o.expires_at > $1 ORDER BY o.next_attempt_at LIMIT $2`,
          [now, limit],
        )
      ).rows.map(outboundOf),
    );
  }

  async listOutbound(): Promise<OutboundItem[]> {
    return wrap('listOutbound', async () => (await this.#pool.query<OutboundRow>(`${OUTBOUND_SELECT} ORDER BY o.message_id, o.recipient`)).rows.map(outboundOf));
  }

  async claimOutbound(now: number, limit: number, options: { leaseUntil: number; skipPeers?: readonly string[] }): Promise<OutboundItem[]> {
    return this.#tx('claimOutbound', async (c) => {
      // The lease need not survive a database crash (the rows are simply due again, and the peer
      // dedupes a repeated forward by messageId), so the claim does not wait for a WAL flush.
      await c.query('SET LOCAL synchronous_commit = off');
      // SKIP LOCKED: relay processes claiming at once each take other rows instead of queueing on
      // the same ones; the lease then keeps the rows out of later claims until settled.
      const claimed = await c.query<OutboundRow>(
        `WITH picked AS (
           SELECT message_id, recipient FROM outbound
           WHERE forwarded_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 AND expires_at > $1 AND NOT (peer = ANY($3::text[]))
           ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
         UPDATE outbound o SET next_attempt_at = $4 FROM picked p, messages m
         WHERE o.message_id = p.message_id AND o.recipient = p.recipient AND m.message_id = o.message_id
         RETURNING o.message_id, o.recipient, o.peer, m.sender, m.digest, m.size, m.blob_id, o.hops, o.attempts, o.next_attempt_at, o.forwarded_at, o.failed_at, o.last_error`,
        [now, limit, [...(options.skipPeers ?? [])], options.leaseUntil],
      );
      return claimed.rows.map(outboundOf);
    });
  }

  async updateOutbound(messageId: string, recipient: string, update: OutboundUpdate): Promise<void> {
    await this.settleOutbound([{ ...update, messageId, recipient }]);
  }

  async settleOutbound(outcomes: readonly OutboundOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    await this.#tx('settleOutbound', async (c) => {
      const updated = await c.query<{ message_id: string; recipient: string }>(
        `UPDATE outbound o SET attempts = o.attempts + 1, forwarded_at = COALESCE(u.forwarded_at, o.forwarded_at), failed_at = COALESCE(u.failed_at, o.failed_at),
           next_attempt_at = COALESCE(u.next_attempt_at, o.next_attempt_at), last_error = COALESCE(u.last_error, o.last_error)
         FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[]) AS u(message_id, recipient, forwarded_at, failed_at, next_attempt_at, last_error)
         WHERE o.message_id = u.message_id AND o.recipient = u.recipient AND o.forwarded_at IS NULL AND o.failed_at IS NULL
         RETURNING o.message_id, o.recipient`,
        [
          outcomes.map((o) => o.messageId),
          outcomes.map((o) => o.recipient),
          outcomes.map((o) => o.forwardedAt ?? null),
          outcomes.map((o) => o.failedAt ?? null),
          outcomes.map((o) => o.nextAttemptAt ?? null),
          outcomes.map((o) => o.lastError ?? null),
        ],
      );
      // A forward already settled for good (forwarded, or given up by a racing pass) stays as it is.
      const changed = new Set(updated.rows.map((r) => `${r.message_id}\n${r.recipient}`));
      for (const o of outcomes) {
        if (!o.event || !changed.has(`${o.messageId}\n${o.recipient}`)) continue;
        const message = (await c.query<{ sender: string; origin: string | null }>('SELECT sender, origin FROM messages WHERE message_id = $1', [o.messageId])).rows[0];
        if (message) await c.query(INSERT_EVENT, eventParams(o.messageId, message.sender, message.origin, o.event));
      }
    });
  }

  async stalledOutbound(before: number, limit: number): Promise<OutboundItem[]> {
    return wrap('stalledOutbound', async () =>
      (await this.#pool.query<OutboundRow>(`${OUTBOUND_SELECT} WHERE o.forwarded_at IS NULL AND o.failed_at IS NULL AND m.submitted_at <= $1 ORDER BY m.submitted_at LIMIT $2`, [before, limit])).rows.map(outboundOf),
    );
  }

  async addEvent(messageId: string, sender: string, returnTo: string | null, event: NewTimelineEvent): Promise<'created' | 'exists'> {
    return wrap('addEvent', async () => ((await this.#pool.query(INSERT_EVENT, eventParams(messageId, sender, returnTo, event))).rowCount === 1 ? 'created' : 'exists'));
  }

  async addEvents(entries: readonly { messageId: string; sender: string; returnTo: string | null; event: NewTimelineEvent }[]): Promise<('created' | 'exists')[]> {
    if (entries.length === 0) return [];
    return this.#tx('addEvents', async (c) => {
      const answers: ('created' | 'exists')[] = [];
      for (const e of entries) answers.push((await c.query(INSERT_EVENT, eventParams(e.messageId, e.sender, e.returnTo, e.event))).rowCount === 1 ? 'created' : 'exists');
      return answers;
    });
  }

  async listTimeline(messageId: string): Promise<TimelineEvent[]> {
    return wrap('listTimeline', async () => (await this.#pool.query<EventRow>('SELECT * FROM timeline_events WHERE message_id = $1 ORDER BY seq', [messageId])).rows.map(eventOf));
  }

  async unsignedEvents(limit: number, messageId?: string): Promise<TimelineEvent[]> {
    return wrap('unsignedEvents', async () =>
      (await this.#pool.query<EventRow>("SELECT * FROM timeline_events WHERE actor = '' AND ($2::text IS NULL OR message_id = $2) ORDER BY seq LIMIT $1", [limit, messageId ?? null])).rows.map(eventOf),
    );
  }

  async signEvent(seq: number, actor: string, format: EventFormat, signed: Uint8Array | null): Promise<void> {
    await wrap('signEvent', () => this.#pool.query("UPDATE timeline_events SET actor = $1, format = $2, signed = $3 WHERE seq = $4 AND actor = ''", [actor, format, signed ? buf(signed) : null, seq]));
  }

  async dueEvents(now: number, limit: number): Promise<TimelineEvent[]> {
    return wrap('dueEvents', async () =>
      (
        await this.#pool.query<EventRow>(
          "SELECT * FROM timeline_events WHERE return_to IS NOT NULL AND returned_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 AND actor <> '' ORDER BY next_attempt_at, seq LIMIT $2",
          [now, limit],
        )
      ).rows.map(eventOf),
    );
  }

  async updateEvent(seq: number, update: EventUpdate): Promise<void> {
    await this.settleEvents([{ ...update, seq }]);
  }

  async settleEvents(outcomes: readonly ({ seq: number } & EventUpdate)[]): Promise<void> {
    if (outcomes.length === 0) return;
    await wrap('settleEvents', () =>
      this.#pool.query(
        `UPDATE timeline_events e SET attempts = e.attempts + 1, returned_at = COALESCE(u.returned_at, e.returned_at), failed_at = COALESCE(u.failed_at, e.failed_at),
           next_attempt_at = COALESCE(u.next_attempt_at, e.next_attempt_at), last_error = COALESCE(u.last_error, e.last_error)
         FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[]) AS u(seq, returned_at, failed_at, next_attempt_at, last_error)
         WHERE e.seq = u.seq`,
        [
          outcomes.map((o) => o.seq),
          outcomes.map((o) => o.returnedAt ?? null),
          outcomes.map((o) => o.failedAt ?? null),
          outcomes.map((o) => o.nextAttemptAt ?? null),
          outcomes.map((o) => o.lastError ?? null),
        ],
      ),
    );
  }

  async purge(now: number, options: { retentionMs: number; orphanBlobAgeMs: number; timelineRetentionMs?: number }): Promise<PurgeResult> {
    return this.#tx('purge', async (c) => {
      const purged = (await c.query('DELETE FROM deliveries WHERE acked_at IS NOT NULL AND acked_at <= $1', [now - options.retentionMs])).rowCount ?? 0;
      // The non-delivery report: recorded with the expiry itself, signed afterwards (signing is async).
      await c.query(
        `INSERT INTO timeline_events (message_id, sender, kind, at, actor, recipient, digest, format, return_to, next_attempt_at)
         SELECT d.message_id, m.sender, 'expired', $1, '', d.mailbox, m.digest, 'unsigned', m.origin, $1 FROM deliveries d JOIN messages m ON m.message_id = d.message_id
         WHERE d.acked_at IS NULL AND d.expires_at <= $1 ON CONFLICT DO NOTHING`,
        [now],
      );
      await c.query('DELETE FROM timeline_events WHERE at <= $1', [now - (options.timelineRetentionMs ?? DEFAULT_TIMELINE_RETENTION_MS)]);
      const expired = (await c.query('DELETE FROM deliveries WHERE acked_at IS NULL AND expires_at <= $1', [now])).rowCount ?? 0;
      const uploads = (await c.query('DELETE FROM uploads WHERE expires_at <= $1', [now])).rowCount ?? 0;
      // Forwards done or refused leave after the retention period; pending ones a retention period
      // after expiry, so the forwarder has recorded them undeliverable first.
      await c.query('DELETE FROM outbound WHERE COALESCE(forwarded_at, failed_at) <= $1 OR expires_at <= $1', [now - options.retentionMs]);
      await c.query(
        'DELETE FROM messages m WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.message_id) AND NOT EXISTS (SELECT 1 FROM outbound o WHERE o.message_id = m.message_id)',
      );
      const orphans = `NOT EXISTS (SELECT 1 FROM messages m WHERE m.blob_id = b.blob_id) AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.blob_id = b.blob_id) AND b.created_at <= $1`;
      const gone = await c.query<{ blob_id: string }>(`DELETE FROM blobs b WHERE ${orphans} RETURNING blob_id`, [now - options.orphanBlobAgeMs]);
      if (gone.rows.length > 0) await c.query('DELETE FROM blob_chunks WHERE blob_id = ANY($1::text[])', [gone.rows.map((r) => r.blob_id)]);
      return { purged, expired, uploads, blobs: gone.rows.length };
    });
  }
}
