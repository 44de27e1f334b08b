/**
 * Relay timeline events (docs/protocol.md, Timeline): a relay states what it did with a message as
 * a JWS (compact serialisation) signed with its relay identity — ES256 for a P-256 key, ES384 for
 * P-384, RS256 for RSA — over JSON claims `{v, messageId, kind, at, actor, sender, digest,
 * recipient?, recipients?, reason?}`. The sender's client verifies it with the certificate the
 * actor relay serves at `/v1/relay/identity`. A relay without an identity records the claims
 * unsigned (`format: 'unsigned'`), and the client says so.
 */
import type { Identity } from '@sealpost/sdk/crypto';
import type { ResolvedConfig } from '../config.js';
import type { NewTimelineEvent, TimelineEvent } from '../storage/types.js';

/** The claims a relay signs for one event. */
export interface RelayEventClaims {
  v: 1;
  messageId: string;
  kind: 'accepted' | 'forwarded' | 'expired' | 'undeliverable';
  at: string;
  actor: string;
  sender: string;
  digest: string;
  recipient?: string;
  recipients?: string[];
  reason?: string;
}

const b64u = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64url');

/** JWS algorithm and WebCrypto parameters for a relay identity key. */
function algorithmOf(key: CryptoKey): { alg: string; params: AlgorithmIdentifier | EcdsaParams } {
  if (key.algorithm.name === 'ECDSA') {
    const curve = (key.algorithm as EcKeyAlgorithm).namedCurve;
    if (curve === 'P-384') return { alg: 'ES384', params: { name: 'ECDSA', hash: 'SHA-384' } };
    return { alg: 'ES256', params: { name: 'ECDSA', hash: 'SHA-256' } };
  }
  return { alg: 'RS256', params: { name: 'RSASSA-PKCS1-v1_5' } };
}

/** Signs claims as a compact JWS with the relay identity. */
export async function signClaims(identity: Identity, claims: RelayEventClaims): Promise<string> {
  const { alg, params } = algorithmOf(identity.signingKey);
  const input = `${b64u(JSON.stringify({ alg, typ: 'sealpost-event+jws' }))}.${b64u(JSON.stringify(claims))}`;
  const signature = await crypto.subtle.sign(params, identity.signingKey, new TextEncoder().encode(input));
  return `${input}.${b64u(new Uint8Array(signature))}`;
}

/** The name this relay signs events as: its mail domain (or `relay` when it has none). */
export const actorOf = (config: ResolvedConfig): string => config.domain ?? 'relay';

/**
 * Makes a relay event ready to store: signed when the relay has an identity, else the claims as
 * unsigned JSON. `at` is ms since the epoch.
 */
export async function relayEvent(
  config: ResolvedConfig,
  facts: { messageId: string; kind: RelayEventClaims['kind']; at: number; sender: string; digest: string; recipient?: string; recipients?: string[]; reason?: string },
): Promise<NewTimelineEvent> {
  const actor = actorOf(config);
  const claims: RelayEventClaims = {
    v: 1,
    messageId: facts.messageId,
    kind: facts.kind,
    at: new Date(facts.at).toISOString(),
    actor,
    sender: facts.sender,
    digest: facts.digest,
    ...(facts.recipient !== undefined ? { recipient: facts.recipient } : {}),
    ...(facts.recipients !== undefined ? { recipients: facts.recipients } : {}),
    ...(facts.reason !== undefined ? { reason: facts.reason } : {}),
  };
  const base = { kind: facts.kind, at: facts.at, actor, recipient: facts.recipient ?? '', ...(facts.reason !== undefined ? { reason: facts.reason } : {}) };
  if (!config.identity) return { ...base, format: 'unsigned', signed: new TextEncoder().encode(JSON.stringify(claims)) };
  return { ...base, format: 'jws', signed: new TextEncoder().encode(await signClaims(config.identity, claims)) };
}

/** The claims of a stored relay event (JWS payload or unsigned JSON), without checking any signature. */
export function claimsOf(event: Pick<TimelineEvent, 'format' | 'signed'>): RelayEventClaims | undefined {
  if (!event.signed || event.format === 'cms') return undefined;
  try {
    const text = new TextDecoder().decode(event.signed);
    const json = event.format === 'jws' ? Buffer.from(text.split('.')[1] ?? '', 'base64url').toString('utf8') : text;
    return JSON.parse(json) as RelayEventClaims;
  } catch {
    return undefined;
  }
}

/**
 * Signs the events `purge` recorded unsigned (expiries: purge runs in one synchronous transaction,
 * signing is asynchronous). Only rows still unsigned are updated, so two passes never conflict.
 * Returns how many were signed. `messageId` limits the pass to one message.
 */
export async function signPendingEvents(config: ResolvedConfig, options: { limit?: number; messageId?: string } = {}): Promise<number> {
  const pending = await config.store.unsignedEvents(options.limit ?? 200, options.messageId);
  for (const e of pending) {
    const event = await relayEvent(config, {
      messageId: e.messageId,
      kind: e.kind as RelayEventClaims['kind'],
      at: e.at,
      sender: e.sender,
      digest: e.digest ?? '',
      ...(e.recipient ? { recipient: e.recipient } : {}),
      ...(e.reason !== null ? { reason: e.reason } : {}),
    });
    await config.store.signEvent(e.seq, event.actor, event.format, event.signed);
  }
  return pending.length;
}
