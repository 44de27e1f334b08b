/**
 * Which relay serves a mail domain (docs/protocol.md, Federation, "Finding a peer"): a pinned peer
 * (`--peer DOMAIN=URL`) always wins; otherwise, when discovery is on, the relay Endpoint for that
 * domain in this relay's directory, then `https://DOMAIN/.well-known/sealpost`. Answers are cached
 * (found: 5 minutes, not found: 30 s) so the forwarder's retries do not hammer DNS or the peer.
 */
import type { ResolvedConfig } from '../config.js';
import { findRelayUrl } from '../directory/publish-relay.js';

const FOUND_TTL_MS = 5 * 60_000;
const MISSING_TTL_MS = 30_000;
const DOMAIN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** True when mail for `domain` leaves this relay: another domain, pinned or (with discovery) any. */
export function forwardsTo(config: ResolvedConfig, domain: string): boolean {
  if (domain === config.domain) return false;
  if (Object.hasOwn(config.peers, domain)) return true;
  return config.discoverPeers && config.domain !== undefined;
}

/**
 * Reads `https://DOMAIN/.well-known/sealpost` and returns the relay URL it names, checking that it
 * speaks for DOMAIN. Undefined when there is none.
 */
export async function wellKnownRelay(domain: string, options: { fetch?: typeof fetch; timeoutMs?: number } = {}): Promise<string | undefined> {
  if (!DOMAIN.test(domain)) return undefined;
  const get = options.fetch ?? fetch;
  try {
    const res = await get(`https://${domain}/.well-known/sealpost`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { domain?: unknown; relay?: unknown };
    if (body.domain !== domain || typeof body.relay !== 'string' || !/^https?:\/\/[^/]+/.test(body.relay)) return undefined;
    return body.relay.replace(/\/$/, '');
  } catch {
    return undefined;
  }
}

const caches = new WeakMap<ResolvedConfig, Map<string, { url: string | undefined; until: number }>>();

/**
 * The base URL of the relay serving `domain`, or undefined when none is pinned or found. Never
 * throws: a lookup failure is "not found" (the forwarder retries later).
 */
export async function resolvePeer(config: ResolvedConfig, domain: string): Promise<string | undefined> {
  if (Object.hasOwn(config.peers, domain)) return config.peers[domain];
  if (!forwardsTo(config, domain)) return undefined;
  let cache = caches.get(config);
  if (!cache) caches.set(config, (cache = new Map()));
  const now = Date.now();
  const hit = cache.get(domain);
  if (hit && hit.until > now) return hit.url;
  let url: string | undefined;
  try {
    if (config.peerResolver) url = await config.peerResolver(domain);
    else url = (config.directory ? await findRelayUrl(config.directory.store, domain) : undefined) ?? (await wellKnownRelay(domain));
  } catch {
    url = undefined;
  }
  if (cache.size > 10_000) cache.clear();
  cache.set(domain, { url, until: now + (url ? FOUND_TTL_MS : MISSING_TTL_MS) });
  return url;
}
