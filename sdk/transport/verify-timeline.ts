import type { Identity } from '../crypto/identity.js';
import { certInfo, importSpki } from '../crypto/internal/cert.js';
import { OID } from '../crypto/internal/oids.js';
import { singleAttribute } from '../crypto/internal/signed-data.js';
import { decryptAndVerify } from '../crypto/open.js';
import type { TrustStore } from '../crypto/trust-store.js';
import { validateChain } from '../crypto/trust-store.js';
import { verifyReceipt } from '../crypto/verify-receipt.js';
import type { VerifiedReceipt } from '../crypto/verify-receipt.js';
import { contentDigest, fromBase64Url } from './internal/base64.js';
import { RELAY_EVENT_KINDS } from './timeline-types.js';
import type { RelayEventClaims, Timeline, TimelineEntry } from './timeline-types.js';
import { subtle } from '../crypto/internal/subtle.js';

/** Options for {@link verifyTimeline}. */
export interface VerifyTimelineOptions {
  /** Relay certificates (DER) by relay domain; used before anything is fetched. */
  relayCertificates?: Record<string, Uint8Array>;
  /** Base URLs of relays by domain, to fetch `/v1/relay/identity` from for actors not in `relayCertificates`. */
  relayUrls?: Record<string, string>;
  /** When given, each relay certificate must chain to it (at `at`). Default: not validated (the pinned URL or map is the trust). */
  relayTrust?: TrustStore;
  /** The sender's identity: receipts are sealed to it. Without it receipts cannot be checked. */
  identity?: Identity;
  /** Trust for the receipt signers (recipients). Required to check receipts. */
  trust?: TrustStore;
  /** The sender's own sealed copy of the message: binds receipts to it and checks relay events' digests. */
  original?: Uint8Array;
  /** Time for chain validation. Default now. */
  at?: Date;
  /** fetch to use. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

/** One timeline entry with the result of checking it. */
export interface VerifiedTimelineEntry extends TimelineEntry {
  /** True when the signature is valid and made by the actor (relay identity or recipient certificate). */
  verified: boolean;
  /**
   * Receipts: whether the receipt binds to the sender's copy of the message (`unknown` when it was
   * not supplied). Relay events: whether the signed digest equals the copy's (`unknown` likewise).
   */
  bound: boolean | 'unknown';
  /** Why `verified` is false or `bound` is not true. */
  problem?: string;
  /** The relay event's signed claims. */
  claims?: RelayEventClaims;
  /** The receipt's signed status and signer (when it could be opened). */
  receipt?: Pick<VerifiedReceipt, 'status' | 'signer'>;
}

const text = (bytes: Uint8Array): string => new TextDecoder('utf-8', { fatal: true }).decode(bytes);

const JWS_ALGORITHMS: Record<string, { hash: string; ec: boolean }> = {
  ES256: { hash: 'SHA-256', ec: true },
  ES384: { hash: 'SHA-384', ec: true },
  RS256: { hash: 'SHA-256', ec: false },
};

/**
 * Checks every entry of a delivery timeline (docs/protocol.md, Timeline). Relay events: the JWS
 * signature against the relay certificate of the actor (from `relayCertificates`, else fetched from
 * `relayUrls[actor]` + `/v1/relay/identity`), which must name `relay@ACTOR` and, with
 * `relayTrust`, chain to it; and the claims must match the entry. Receipts: opened with
 * `identity`, the signer checked against `trust`, and with `original` bound to the message by
 * `verifyReceipt`; without it the signature is checked and `bound` is `unknown`. Never throws for
 * a bad entry: each gets `verified: false` and a `problem`.
 */
export async function verifyTimeline(timeline: Timeline, options: VerifyTimelineOptions = {}): Promise<VerifiedTimelineEntry[]> {
  const keys = new Map<string, Promise<{ key: CryptoKey | undefined; problem?: string; curve?: string; kind?: string }>>();
  const originalDigest = options.original ? await contentDigest(options.original) : undefined;
  const relayKey = (actor: string) => {
    let found = keys.get(actor);
    if (!found) keys.set(actor, (found = loadRelayKey(actor, options)));
    return found;
  };
  const out: VerifiedTimelineEntry[] = [];
  for (const entry of timeline.events) {
    if ((RELAY_EVENT_KINDS as readonly string[]).includes(entry.kind)) out.push(await checkRelayEvent(timeline.messageId, entry, relayKey, originalDigest));
    else out.push(await checkReceipt(timeline.messageId, entry, options));
  }
  return out;
}

async function loadRelayKey(actor: string, options: VerifyTimelineOptions): Promise<{ key: CryptoKey | undefined; problem?: string; kind?: string }> {
  let der = options.relayCertificates?.[actor];
  if (!der) {
    const base = options.relayUrls?.[actor];
    if (!base) return { key: undefined, problem: `no certificate or URL known for relay ${actor}` };
    const f = options.fetch ?? globalThis.fetch;
    try {
      const res = await f(`${base.replace(/\/+$/, '')}/v1/relay/identity`, { headers: { accept: 'application/json' } });
      if (!res.ok) return { key: undefined, problem: `relay ${actor} identity: HTTP ${res.status}` };
      const body = (await res.json()) as { domain?: unknown; certificate?: unknown };
      if (body.domain !== actor || typeof body.certificate !== 'string') return { key: undefined, problem: `${base} does not speak for ${actor}` };
      der = fromBase64Url(body.certificate);
    } catch (error) {
      return { key: undefined, problem: `relay ${actor} identity: ${(error as Error).message}` };
    }
  }
  try {
    const info = certInfo(der);
    if (!info.emails.includes(`relay@${actor}`)) return { key: undefined, problem: `the relay certificate does not name relay@${actor}` };
    const at = options.at ?? new Date();
    if (at < info.notBefore || at > info.notAfter) return { key: undefined, problem: `the relay certificate of ${actor} is not valid at ${at.toISOString()}` };
    if (options.relayTrust) await validateChain(der, options.relayTrust, { at, use: 'sign' });
    const key = await importSpki(info.spki, info.kind, 'verify', info.curve ? { curve: info.curve } : {});
    return { key, kind: info.kind };
  } catch (error) {
    return { key: undefined, problem: `relay certificate of ${actor} refused: ${(error as Error).message}` };
  }
}

async function checkRelayEvent(
  messageId: string,
  entry: TimelineEntry,
  relayKey: (actor: string) => Promise<{ key: CryptoKey | undefined; problem?: string; kind?: string }>,
  originalDigest: string | undefined,
): Promise<VerifiedTimelineEntry> {
  const fail = (problem: string, claims?: RelayEventClaims): VerifiedTimelineEntry => ({ ...entry, verified: false, bound: 'unknown', problem, ...(claims ? { claims } : {}) });
  if (entry.format === 'unsigned' || entry.signed === null) return fail(`unsigned: relay ${entry.actor} has no relay identity`);
  if (entry.format !== 'jws') return fail(`a ${entry.kind} event must be a JWS, not ${entry.format}`);
  let header: { alg?: string };
  let claims: RelayEventClaims;
  let parts: string[];
  try {
    parts = text(fromBase64Url(entry.signed)).split('.');
    if (parts.length !== 3) return fail('not a compact JWS');
    header = JSON.parse(text(fromBase64Url(parts[0]!))) as { alg?: string };
    claims = JSON.parse(text(fromBase64Url(parts[1]!))) as RelayEventClaims;
  } catch {
    return fail('unreadable JWS');
  }
  const alg = JWS_ALGORITHMS[header.alg ?? ''];
  if (!alg) return fail(`unsupported JWS alg '${String(header.alg)}'`, claims);
  const mismatch =
    claims.messageId !== messageId ? 'messageId' : claims.kind !== entry.kind ? 'kind' : claims.actor !== entry.actor ? 'actor' : (claims.recipient ?? null) !== entry.recipient ? 'recipient' : undefined;
  if (mismatch) return fail(`the signed ${mismatch} differs from the entry`, claims);
  const { key, problem, kind } = await relayKey(entry.actor);
  if (!key) return fail(problem ?? 'no relay key', claims);
  if ((kind === 'ec') !== alg.ec) return fail(`JWS alg ${String(header.alg)} does not fit the relay key`, claims);
  let ok: boolean;
  try {
    const params = alg.ec ? { name: 'ECDSA', hash: alg.hash } : { name: 'RSASSA-PKCS1-v1_5' };
    ok = await subtle().verify(params, key, fromBase64Url(parts[2]!) as Uint8Array<ArrayBuffer>, new TextEncoder().encode(`${parts[0]}.${parts[1]}`));
  } catch {
    ok = false;
  }
  if (!ok) return fail(`the signature is not ${entry.actor}'s`, claims);
  if (originalDigest === undefined) return { ...entry, verified: true, bound: 'unknown', claims, problem: 'no copy of the message to compare the digest with' };
  if (claims.digest !== originalDigest) return { ...entry, verified: true, bound: false, claims, problem: `signed for content ${claims.digest}, not this message (${originalDigest})` };
  return { ...entry, verified: true, bound: true, claims };
}

async function checkReceipt(messageId: string, entry: TimelineEntry, options: VerifyTimelineOptions): Promise<VerifiedTimelineEntry> {
  const fail = (problem: string): VerifiedTimelineEntry => ({ ...entry, verified: false, bound: 'unknown', problem });
  if (entry.format !== 'cms' || entry.signed === null) return fail(`a ${entry.kind} receipt must be CMS, not ${entry.format}`);
  if (!options.identity || !options.trust) return fail('receipts need the sender identity and a trust store to be checked');
  let bytes: Uint8Array;
  try {
    bytes = fromBase64Url(entry.signed);
  } catch {
    return fail('unreadable receipt bytes');
  }
  const common = { identity: options.identity, trust: options.trust, ...(options.at ? { at: options.at } : {}) };
  try {
    let receipt: Pick<VerifiedReceipt, 'status' | 'signer'>;
    if (options.original) receipt = await verifyReceipt(bytes, options.original, common);
    else {
      const opened = await decryptAndVerify(bytes, common, OID.receipt);
      const value = singleAttribute(opened.signer, OID.sealpostReceiptStatus);
      if (!value || value.tag !== 0x0c) return fail('no Sealpost status in the receipt');
      receipt = { status: JSON.parse(text(value.value)) as VerifiedReceipt['status'], signer: { certificate: opened.certificate.der, subject: opened.certificate.subject, addresses: opened.certificate.emails } };
    }
    const problem =
      receipt.status.status !== entry.kind
        ? `the signed status is ${receipt.status.status}, the relay says ${entry.kind}`
        : !receipt.signer.addresses.includes(entry.actor)
          ? `signed by ${receipt.signer.subject}, not ${entry.actor}`
          : receipt.status.messageId !== undefined && receipt.status.messageId !== messageId
            ? `the receipt is for message ${receipt.status.messageId}`
            : undefined;
    if (problem) return { ...entry, verified: false, bound: options.original ? false : 'unknown', problem, receipt };
    if (!options.original) return { ...entry, verified: true, bound: 'unknown', problem: 'signature checked; no copy of the message to bind the receipt to', receipt };
    return { ...entry, verified: true, bound: true, receipt };
  } catch (error) {
    return fail(`${(error as { code?: string }).code ?? 'error'}: ${(error as Error).message}`);
  }
}
