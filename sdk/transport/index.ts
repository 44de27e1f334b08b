/**
 * @sealpost/sdk/transport — the relay client (design.md §5, docs/protocol.md): login with the
 * mailbox identity key, idempotent submit with retries and resumable chunked upload, inbox,
 * resumable download, acknowledge (one or many); small envelopes inline in the listing; the delivery timeline (timeline, sendReceipt, verifyTimeline). Isomorphic: fetch and WebCrypto only.
 */
export { RelayClient } from './relay-client.js';
export type { RelayClientOptions, SubmitOptions, SubmitResult, InboxEntry, InboxPage, ListInboxOptions, AcknowledgeManyResult, DownloadOptions, TransferProgress } from './relay-client.js';
export { registerMailbox } from './register-mailbox.js';
export type { RegisterMailboxOptions } from './register-mailbox.js';
export { TransportError } from './errors.js';
export type { TransportErrorKind, TransportErrorCode, Problem } from './errors.js';
export type { RetryPolicy } from './internal/retry.js';
export { RELAY_EVENT_KINDS, RECEIPT_KINDS } from './timeline-types.js';
export type { Timeline, TimelineEntry, TimelineEventKind, ReceiptKind, RelayEventClaims, SendReceiptOptions, SendReceiptResult } from './timeline-types.js';
export { verifyTimeline } from './verify-timeline.js';
export type { VerifyTimelineOptions, VerifiedTimelineEntry } from './verify-timeline.js';
