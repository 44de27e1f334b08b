import type { TrustStore } from '../crypto/index.js';
import { fromPem } from '../crypto/index.js';
import { certInfo } from '../crypto/internal/cert.js';
import { DirectoryError } from './errors.js';
import { SIGNATURE_HEADER } from './names.js';
import { verifyAnswer } from './verify-answer.js';
import type { VerifiedAnswer } from './verify-answer.js';

/** Options for {@link discoverRelay}. */
export interface DiscoverRelayOptions {
  /** Anchors the relay certificate must chain to (the signature of the document is checked against it). */
  trust: TrustStore;
  /** Check the document's signature. Default true; false only for development relays. */
  requireSignature?: boolean;
  fetch?: typeof fetch;
  /** Per-request timeout, ms. Default 10 s. */
  timeoutMs?: number;
  now?: () => Date;
}

/** What a relay says about itself at `/.well-known/sealpost` (docs/protocol.md, Discovery). */
export interface RelayDiscovery {
  domain: string;
  /** Relay API base URL. */
  relay: string;
  /** Its FHIR directory base URL, when it serves one. */
  directory: string | undefined;
  /** The relay certificate (DER), when published. */
  certificate: Uint8Array | undefined;
  /** Its pinned peers and their directories. */
  peers: { domain: string; relay: string; directory: string }[];
  /** Who signed the document (undefined when not checked). */
  signature: VerifiedAnswer | undefined;
}

const isUrl = (v: unknown): v is string => typeof v === 'string' && /^https?:\/\/[^/\s]+(\/\S*)?$/.test(v);
const isDomain = (v: unknown): v is string => typeof v === 'string' && /^[a-z0-9.-]{1,253}$/.test(v);

/** True when the certificate names the relay of `domain` (rfc822Name `relay@DOMAIN`). */
export function namesRelay(certificate: Uint8Array, domain: string): boolean {
  try {
    return certInfo(certificate).emails.includes(`relay@${domain.toLowerCase()}`);
  } catch {
    return false;
  }
}

/**
 * Reads a relay's `/.well-known/sealpost`: its domain, relay and directory URLs, relay certificate
 * and pinned peers. The document must be signed by the certificate it publishes, which must name
 * `relay@DOMAIN` and chain to `trust`. Throws DirectoryError: `ERR_DIRECTORY_HTTP` (unreachable,
 * error status), `ERR_DIRECTORY_RESPONSE` (not a discovery document), `ERR_DIRECTORY_SIGNATURE` /
 * `ERR_DIRECTORY_UNTRUSTED` (signature missing, wrong or by another relay).
 */
export async function discoverRelay(relayUrl: string, options: DiscoverRelayOptions): Promise<RelayDiscovery> {
  const base = relayUrl.replace(/\/$/, '');
  const url = `${base}/.well-known/sealpost`;
  const get = options.fetch ?? ((input: string, init?: RequestInit) => fetch(input, init));
  let response: Response;
  try {
    response = await get(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
  } catch (error) {
    throw new DirectoryError('ERR_DIRECTORY_HTTP', `relay ${base} is unreachable: ${(error as Error).message}`, { cause: error, directory: url });
  }
  if (!response.ok) throw new DirectoryError('ERR_DIRECTORY_HTTP', `relay ${base} answered ${response.status} for /.well-known/sealpost`, { directory: url });
  const bytes = new Uint8Array(await response.arrayBuffer());
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch (error) {
    throw new DirectoryError('ERR_DIRECTORY_RESPONSE', `relay ${base}: /.well-known/sealpost is not JSON`, { cause: error, directory: url });
  }
  if (!isDomain(body.domain) || !isUrl(body.relay) || (body.directory !== undefined && !isUrl(body.directory)) || !Array.isArray(body.peers)) {
    throw new DirectoryError('ERR_DIRECTORY_RESPONSE', `relay ${base}: /.well-known/sealpost is not a Sealpost discovery document`, { directory: url });
  }
  const domain = body.domain;
  let certificate: Uint8Array | undefined;
  if (typeof body.certificate === 'string') {
    try {
      certificate = fromPem(body.certificate, 'CERTIFICATE')[0];
    } catch (error) {
      throw new DirectoryError('ERR_DIRECTORY_RESPONSE', `relay ${base}: the published relay certificate is unreadable`, { cause: error, directory: url });
    }
  }
  let signature: VerifiedAnswer | undefined;
  if (options.requireSignature !== false) {
    signature = await verifyAnswer(bytes, response.headers.get(SIGNATURE_HEADER), { trust: options.trust, url, directory: url, ...(options.now ? { now: options.now() } : {}) });
    if (!namesRelay(signature.certificate, domain)) throw new DirectoryError('ERR_DIRECTORY_SIGNATURE', `relay ${base}: the discovery document is not signed by relay@${domain}`, { directory: url });
  }
  const peers = (body.peers as unknown[]).flatMap((p) => {
    const peer = p as Record<string, unknown>;
    return isDomain(peer.domain) && isUrl(peer.relay) && isUrl(peer.directory) ? [{ domain: peer.domain, relay: peer.relay, directory: peer.directory }] : [];
  });
  return { domain, relay: body.relay, directory: body.directory as string | undefined, certificate, peers, signature };
}
