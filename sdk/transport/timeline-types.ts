/**
 * The delivery timeline as the relay serves it (docs/protocol.md, Timeline): the wire types shared
 * by {@link RelayClient.timeline}, {@link RelayClient.sendReceipt} and {@link verifyTimeline}.
 */

/** What happened (design.md §6). Relay events: accepted, forwarded, expired, undeliverable; recipient receipts: delivered, imported, read, rejected. */
export type TimelineEventKind = 'accepted' | 'forwarded' | 'delivered' | 'imported' | 'read' | 'rejected' | 'expired' | 'undeliverable';

/** The statuses a recipient reports with a signed receipt. */
export type ReceiptKind = 'delivered' | 'imported' | 'read' | 'rejected';

/** Kinds that are relay events (signed JWS by the relay named as actor). */
export const RELAY_EVENT_KINDS: readonly TimelineEventKind[] = ['accepted', 'forwarded', 'expired', 'undeliverable'];

/** Kinds that are recipient receipts (CMS sealed to the sender). */
export const RECEIPT_KINDS: readonly ReceiptKind[] = ['delivered', 'imported', 'read', 'rejected'];

/**
 * One timeline entry. `signed` is base64url: for relay events the JWS compact serialisation
 * (ASCII), for receipts the receipt envelope (CMS, sealed to the sender), null when the relay has
 * no identity and could not sign (`format: 'unsigned'`).
 */
export interface TimelineEntry {
  /** Position in the relay's timeline (ascending = the order the relay recorded them). */
  seq: number;
  kind: TimelineEventKind;
  /** ISO 8601, when the relay recorded it. */
  at: string;
  /** The relay's domain (relay events) or the recipient's address (receipts). */
  actor: string;
  /** The recipient the event is about (null for `accepted`, which covers all of them). */
  recipient: string | null;
  reason: string | null;
  format: 'jws' | 'cms' | 'unsigned';
  signed: string | null;
}

/** `GET /v1/messages/{id}/timeline`. */
export interface Timeline {
  messageId: string;
  events: TimelineEntry[];
}

/** The payload of a relay event JWS (docs/protocol.md, Timeline). */
export interface RelayEventClaims {
  v: 1;
  messageId: string;
  kind: 'accepted' | 'forwarded' | 'expired' | 'undeliverable';
  /** ISO 8601. */
  at: string;
  /** The signing relay's mail domain. */
  actor: string;
  sender: string;
  /** Content digest of the submission (`sha-256=:…:`). */
  digest: string;
  /** For per-recipient events. */
  recipient?: string;
  /** For `accepted`: every recipient. */
  recipients?: string[];
  reason?: string;
}

/** Options for {@link RelayClient.sendReceipt}. */
export interface SendReceiptOptions {
  status: ReceiptKind;
  /** Why (required for `rejected`). */
  reason?: string;
  signal?: AbortSignal;
}

/** The relay's answer to a posted receipt. */
export interface SendReceiptResult {
  messageId: string;
  kind: ReceiptKind;
  at: string;
  /** `created` the first time, `exists` for a repeat (stored once). */
  stored: 'created' | 'exists';
}
