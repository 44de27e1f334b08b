/**
 * Carrying timeline events back across federation (docs/protocol.md, Timeline): a relay that
 * recorded an event for a message a peer forwarded to it (its `forwarded`, an `expired`, a
 * recipient's receipt) posts it to that peer with `POST /v1/relay/events`, signed with its relay
 * identity like a forward. The peer stores it once (unique per message, kind, actor and
 * recipient), so a repeat after a lost answer is harmless.
 */
import { createHash } from 'node:crypto';
import type { Identity } from '@sealpost/sdk/crypto';
import type { TimelineEvent } from '../storage/types.js';

/** The JSON body of `POST /v1/relay/events`. */
export interface WireEvent {
  messageId: string;
  kind: string;
  at: string;
  actor: string;
  recipient: string;
  reason: string | null;
  format: 'jws' | 'cms' | 'unsigned';
  /** base64url of the signed bytes. */
  signed: string;
}

export function wireEventOf(e: TimelineEvent): WireEvent {
  return {
    messageId: e.messageId,
    kind: e.kind,
    at: new Date(e.at).toISOString(),
    actor: e.actor,
    recipient: e.recipient,
    reason: e.reason,
    format: e.format,
    signed: Buffer.from(e.signed ?? new Uint8Array(0)).toString('base64url'),
  };
}

/** The bytes a relay signs for one carried event: every field, the signed bytes by their SHA-256. */
export function eventSigningInput(relay: string, e: WireEvent): Uint8Array {
  const digest = createHash('sha256').update(Buffer.from(e.signed, 'base64url')).digest('base64url');
  return new TextEncoder().encode(['sealpost-relay-event-v1', relay, e.messageId, e.kind, e.at, e.actor, e.recipient, e.reason ?? '', e.format, digest].join('\n'));
}

/** Signs a carried event with the relay identity (same algorithms as forwards), base64url. */
export async function signEventRequest(identity: Identity, relay: string, e: WireEvent): Promise<string> {
  const algorithm = identity.signingKey.algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' };
  const signature = await crypto.subtle.sign(algorithm, identity.signingKey, eventSigningInput(relay, e) as Uint8Array<ArrayBuffer>);
  return Buffer.from(signature).toString('base64url');
}
