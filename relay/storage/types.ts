/**
 * The relay's storage contract. SQLite (embedded default) and PostgreSQL (several relay processes
 * on one database) implement it; test/relay/store-contract.ts runs the same suite against both.
 *
 * Invariants every implementation keeps (they are what a 201 promises):
 * - `submit` resolves only after the message row, its content and its deliveries are durably
 *   committed in ONE transaction; before that commit nothing of the submission is visible.
 * - `messageId` is unique across the relay: a second submit with the same digest returns the
 *   stored first answer, with another digest (or another sender) `conflict`.
 * - Content lives in `blob_chunks` rows of at most a few MiB, so nothing ever holds a whole
 *   submission in memory; blobs not referenced by a message or an upload are garbage.
 * Times are milliseconds since the epoch.
 */

/** A mailbox: an address bound to an identity certificate. */
export interface Mailbox {
  address: string;
  /** DER of the identity certificate that authenticates the mailbox. */
  certificate: Uint8Array;
  createdAt: number;
}

/** What the relay answered when it accepted a message; returned again to an identical retry. */
export interface SubmitAnswer {
  messageId: string;
  /** `sha-256=:BASE64:` (RFC 9530 Content-Digest form) of the submission. */
  digest: string;
  size: number;
  recipients: string[];
  acceptedAt: string;
  expiresAt: string;
}

/** A submission ready to be committed: its content is either inline (small) or an existing blob. */
export interface NewSubmission {
  messageId: string;
  sender: string;
  recipients: string[];
  digest: string;
  size: number;
  submittedAt: number;
  expiresAt: number;
  /** Inline content, written in the same transaction (one chunk row). */
  data?: Uint8Array;
  /** A blob written beforehand with `writeChunk` (large or chunked submissions). */
  blobId?: string;
  /**
   * Recipients on other relays (also listed in `recipients`): each goes into the outbound queue
   * in the same transaction as the message, so a 201 implies the forward will happen.
   */
  forward?: { recipient: string; peer: string }[];
  /** Relay hops this message has already made (0 for a client submission). */
  hops?: number;
  /**
   * The relay that forwarded this message here (its domain), undefined for a client submission.
   * Timeline events recorded here for the message are queued back to it.
   */
  origin?: string;
  /** Timeline events committed with the message (the home relay's `accepted`, a peer's `forwarded`), only when it is created. */
  events?: NewTimelineEvent[];
}

/** Timeline event kinds (design.md §6). */
export type EventKind = 'accepted' | 'forwarded' | 'delivered' | 'imported' | 'read' | 'rejected' | 'expired' | 'undeliverable';

/** How an event's `signed` bytes are to be read: a relay JWS, a recipient's receipt CMS, or nothing (relay without identity, or not yet signed). */
export type EventFormat = 'jws' | 'cms' | 'unsigned';

/** A timeline event to record. Unique per (messageId, kind, actor, recipient): a repeat is ignored. */
export interface NewTimelineEvent {
  kind: EventKind;
  at: number;
  /** Relay domain (relay events) or recipient address (receipts). */
  actor: string;
  /** The recipient the event concerns; '' (or undefined) for message-wide events (accepted). */
  recipient?: string;
  reason?: string;
  format: EventFormat;
  /** JWS compact (jws), receipt CMS (cms), or the claims JSON (unsigned). */
  signed: Uint8Array | null;
  /**
   * When the event already went back to the relay it would be carried to (a `forwarded` sent in
   * the answer to the forward itself): it is stored as returned, not queued.
   */
  returnedAt?: number;
}

/** A stored timeline event. */
export interface TimelineEvent {
  seq: number;
  messageId: string;
  /** The message's sender (who may read the timeline). */
  sender: string;
  kind: EventKind;
  at: number;
  /** '' for an expiry recorded by `purge` that is not yet signed (see `unsignedEvents`). */
  actor: string;
  /** '' for message-wide events. */
  recipient: string;
  reason: string | null;
  /** The message digest, kept only on events recorded unsigned by `purge` (the message may be gone when they are signed). */
  digest: string | null;
  format: EventFormat;
  signed: Uint8Array | null;
  /** The relay this event is carried back to (the message's origin), or null. */
  returnTo: string | null;
  attempts: number;
  nextAttemptAt: number;
  returnedAt: number | null;
  failedAt: number | null;
  lastError: string | null;
}

/** The outcome of one attempt to carry a timeline event back to its origin relay. */
export interface EventUpdate {
  returnedAt?: number;
  failedAt?: number;
  nextAttemptAt?: number;
  lastError?: string;
}

/** One queued forward of a message to a recipient on another relay. */
export interface OutboundItem {
  messageId: string;
  recipient: string;
  /** The peer relay's domain (its URL comes from the relay config). */
  peer: string;
  sender: string;
  digest: string;
  size: number;
  blobId: string;
  /** Hops the message had made when it reached this relay. */
  hops: number;
  attempts: number;
  nextAttemptAt: number;
  /** Set once the peer accepted it. */
  forwardedAt: number | null;
  /** Set when the peer refused it for good (4xx); `lastError` says why. */
  failedAt: number | null;
  lastError: string | null;
}

/** The outcome of one forward attempt: forwarded, failed for good (with its `undeliverable` event), or to be retried. */
export interface OutboundUpdate {
  forwardedAt?: number;
  failedAt?: number;
  nextAttemptAt?: number;
  lastError?: string;
  /** Recorded in the same transaction (the signed `undeliverable`). */
  event?: NewTimelineEvent;
}

/** {@link OutboundUpdate} of one queued forward. */
export interface OutboundOutcome extends OutboundUpdate {
  messageId: string;
  recipient: string;
}

export type SubmitOutcome =
  | { kind: 'created'; answer: SubmitAnswer }
  | { kind: 'replayed'; answer: SubmitAnswer }
  | { kind: 'conflict'; answer: SubmitAnswer };

/** One entry of a mailbox's inbox. `seq` orders the inbox and is the paging cursor. */
export interface InboxItem {
  seq: number;
  messageId: string;
  sender: string;
  digest: string;
  size: number;
  submittedAt: number;
  expiresAt: number;
  acknowledgedAt: number | null;
}

/** A delivery with the blob that holds its content. */
export interface StoredDelivery extends InboxItem {
  blobId: string;
}

/** A resumable upload session (chunked submission). */
export interface Upload {
  uploadId: string;
  messageId: string;
  sender: string;
  recipients: string[];
  size: number;
  chunkSize: number;
  digest: string;
  blobId: string;
  /** Chunks received so far: the next expected chunk index. */
  nextIndex: number;
  received: number;
  createdAt: number;
  expiresAt: number;
}

export type ChunkOutcome = { kind: 'stored' | 'repeated'; upload: Upload } | { kind: 'out-of-order' | 'digest-differs'; upload: Upload };

export interface PurgeResult {
  /** Acknowledged deliveries removed after the retention period. */
  purged: number;
  /** Unacknowledged deliveries past their expiry. */
  expired: number;
  /** Uploads abandoned past their expiry. */
  uploads: number;
  /** Blobs no longer referenced (messages gone, failed streaming writes). */
  blobs: number;
}

/** A single-use invite code for self-registration. */
export interface Invite {
  codeHash: string;
  /** The address the invite is for, or null (the registrant picks one in the relay's domain). */
  address: string | null;
  expiresAt: number;
}

/** Storage behind the relay. All methods reject with `StoreError` for database failures. */
export interface RelayStore {
  /** `sqlite` or `postgres`, for logs and metrics. */
  readonly kind: 'sqlite' | 'postgres';
  /** Creates or upgrades the schema (idempotent; safe with several processes on PostgreSQL). */
  migrate(): Promise<void>;
  /** Checks that the database answers (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** A 32-byte secret shared by every relay process on this database (token MACs); created once. */
  secret(): Promise<Uint8Array>;

  addMailbox(mailbox: Mailbox): Promise<'created' | 'exists'>;
  getMailbox(address: string): Promise<Mailbox | undefined>;
  createInvite(invite: Invite): Promise<void>;
  /** Uses an invite (once) and creates the mailbox in one transaction. */
  redeemInvite(codeHash: string, mailbox: Mailbox, now: number): Promise<'created' | 'invalid' | 'exists'>;

  /** Commits a submission (see the invariants above). Recipients must exist (checked by the caller). */
  submit(submission: NewSubmission): Promise<SubmitOutcome>;
  /** The stored answer for a messageId, if committed, with the relay it came from (null: a local client). */
  getAnswer(messageId: string): Promise<{ sender: string; origin: string | null; answer: SubmitAnswer } | undefined>;

  /** Starts a blob for streamed content; chunks become visible only through a later `submit`. */
  createBlob(now: number): Promise<string>;
  /** Durably writes one chunk of a blob. `seq` counts from 0; `offset` is its first byte. */
  writeChunk(blobId: string, seq: number, offset: number, data: Uint8Array, sha256?: string): Promise<void>;
  /** Streams `[start, end]` (inclusive) of a blob, chunk by chunk. */
  readBlob(blobId: string, start: number, end: number): AsyncIterable<Uint8Array>;

  createUpload(upload: Upload): Promise<void>;
  getUpload(uploadId: string): Promise<Upload | undefined>;
  /**
   * Stores chunk `index` of an upload if it is the next one; a repeat of a stored chunk with the
   * same digest is `repeated`, with another digest `digest-differs`; a gap is `out-of-order`.
   */
  putUploadChunk(uploadId: string, index: number, data: Uint8Array, sha256: string): Promise<ChunkOutcome | undefined>;
  /** Turns a complete upload into a message (same guarantees as `submit`) and deletes the session. */
  completeUpload(upload: Upload, submission: NewSubmission): Promise<SubmitOutcome>;

  /**
   * Deliveries of a mailbox after `afterSeq`, oldest first, unexpired, at most `limit`;
   * `unacknowledged` leaves out acknowledged ones (the collecting client's view, which does not
   * grow with the acknowledged messages kept through retention).
   */
  listInbox(mailbox: string, afterSeq: number, limit: number, now: number, options?: { unacknowledged?: boolean }): Promise<InboxItem[]>;
  getDelivery(mailbox: string, messageId: string, now: number): Promise<StoredDelivery | undefined>;
  /**
   * The whole content of some deliveries of a mailbox, messageId → bytes, read for an inbox page
   * that carries its envelopes (docs/protocol.md §7, `include=envelope`). Ids the mailbox does not
   * hold (any more, or expired at `now`) are left out. The caller bounds the total size: this
   * reads every byte it is asked for into memory.
   */
  readContents(mailbox: string, messageIds: readonly string[], now: number): Promise<Map<string, Uint8Array>>;
  /** Marks a delivery acknowledged (idempotent); undefined when the mailbox has no such message. */
  acknowledge(mailbox: string, messageId: string, now: number): Promise<number | undefined>;
  /**
   * {@link acknowledge} for several deliveries of one mailbox in ONE transaction (one durable
   * commit): answers in the order of `messageIds`, each the time that stands (the first
   * acknowledgement's) or undefined when the mailbox has no such message (or it expired).
   */
  acknowledgeMany(mailbox: string, messageIds: readonly string[], now: number): Promise<(number | undefined)[]>;
  /** Queued forwards whose next attempt is due (not forwarded, not failed), oldest first. */
  dueOutbound(now: number, limit: number): Promise<OutboundItem[]>;
  /** Every outbound row (tests and operators). */
  listOutbound(): Promise<OutboundItem[]>;
  /**
   * Takes up to `limit` due forwards to send now (not forwarded, not failed, unexpired), oldest due
   * first, none for the peers in `skipPeers`, and hides them from every other claim until they are
   * settled (`settleOutbound`, `updateOutbound`) or until `leaseUntil`, when the items of a claimer
   * that died come back. On PostgreSQL the claim holds across relay processes (locked rows are
   * skipped, the lease is written into the row); on SQLite, whose database one relay process
   * serves, it holds within this store object and costs no commit.
   */
  claimOutbound(now: number, limit: number, options: { leaseUntil: number; skipPeers?: readonly string[] }): Promise<OutboundItem[]>;
  /** Records the outcome of one forward attempt; `event` (undeliverable) is recorded in the same transaction. */
  updateOutbound(messageId: string, recipient: string, update: OutboundUpdate): Promise<void>;
  /** Records the outcomes of several forward attempts in one transaction (one durable commit) and ends their claims. */
  settleOutbound(outcomes: readonly OutboundOutcome[]): Promise<void>;
  /** Pending forwards (not forwarded, not failed) of messages submitted at or before `before`: federation gives up on them. */
  stalledOutbound(before: number, limit: number): Promise<OutboundItem[]>;

  /**
   * Records a timeline event for a message (idempotent: a repeat of messageId+kind+actor+recipient
   * is `exists`). `sender` is the message's sender; `returnTo` the relay to carry it back to.
   */
  addEvent(messageId: string, sender: string, returnTo: string | null, event: NewTimelineEvent): Promise<'created' | 'exists'>;
  /** {@link addEvent} for several events in one transaction (one durable commit); answers in the same order. */
  addEvents(entries: readonly { messageId: string; sender: string; returnTo: string | null; event: NewTimelineEvent }[]): Promise<('created' | 'exists')[]>;
  /** A message's timeline, oldest first (empty when there is none). */
  listTimeline(messageId: string): Promise<TimelineEvent[]>;
  /** Relay events recorded without a signature by `purge` (expiries), to be signed; at most `limit`, of one message when `messageId` is given. */
  unsignedEvents(limit: number, messageId?: string): Promise<TimelineEvent[]>;
  /** Signs an unsigned event: sets its actor, format and bytes (only while it is still unsigned). */
  signEvent(seq: number, actor: string, format: EventFormat, signed: Uint8Array | null): Promise<void>;
  /** Signed events to carry back to their origin relay whose next attempt is due. */
  dueEvents(now: number, limit: number): Promise<TimelineEvent[]>;
  /** Records the outcome of carrying one event back. */
  updateEvent(seq: number, update: EventUpdate): Promise<void>;
  /** Records the outcomes of carrying several events back, in one transaction (one durable commit). */
  settleEvents(outcomes: readonly ({ seq: number } & EventUpdate)[]): Promise<void>;
  /**
   * Removes what retention and expiry allow. Each unacknowledged delivery that expires gets an
   * `expired` timeline event in the same transaction (unsigned, actor ''; see `unsignedEvents`).
   */
  purge(now: number, options: { retentionMs: number; orphanBlobAgeMs: number; timelineRetentionMs?: number }): Promise<PurgeResult>;
}
