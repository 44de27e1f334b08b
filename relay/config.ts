import type { Identity } from '@sealpost/sdk/crypto';
import type { DirectoryPluginOptions } from './directory/plugin.js';
import type { RelayStore } from './storage/types.js';

/** Everything the relay app needs, passed explicitly (no globals, no environment reads). */
export interface RelayConfig {
  /** The storage, already migrated. The app does not close it; the server does. */
  store: RelayStore;
  /** Mail domain this relay serves (mailboxes must be `name@domain`). Undefined: any domain. */
  domain?: string;
  /** Largest single-request envelope (simple submit), bytes. Default 64 MiB (design.md §4). */
  maxEnvelopeBytes?: number;
  /** Largest submission (chunked uploads), bytes. Default 1 GiB. */
  maxSubmissionBytes?: number;
  /** Chunk size the relay proposes for uploads and stores content in, bytes. Default 4 MiB. */
  chunkBytes?: number;
  /** Largest envelope an inbox page carries inline (`include=envelope`), bytes. Default 256 KiB. */
  inlineEnvelopeBytes?: number;
  /** Most envelope bytes one inbox page carries inline, bytes. Default 8 MiB. */
  inlinePageBytes?: number;
  /** Unacknowledged messages expire after this long, ms. Default 5 days. */
  expiryMs?: number;
  /** Acknowledged messages are purged after this long, ms. Default 7 days. */
  retentionMs?: number;
  /** Lifetime of an auth token, ms. Default 15 minutes. */
  tokenTtlMs?: number;
  /** Lifetime of a challenge, ms. Default 2 minutes. */
  challengeTtlMs?: number;
  /** Abandoned chunked uploads are dropped after this long, ms. Default 24 hours. */
  uploadTtlMs?: number;
  /** Requests per minute per client IP (unauthenticated and authenticated). Default 6000; 0 disables. */
  rateLimitPerIp?: number;
  /** Requests per minute per authenticated mailbox. Default 3000; 0 disables. */
  rateLimitPerMailbox?: number;
  /** Clock, injectable for expiry tests. Default `Date.now`. */
  now?: () => number;
  /** pino logger options, or false for no logs (tests). Default: info level to stdout. */
  logger?: boolean | { level?: string };
  /** Time allowed to read a request body before the socket is dropped, ms. Default 60 s. */
  requestTimeoutMs?: number;
  /** TLS key and certificate (PEM). Without them the server only listens on loopback. */
  tls?: { key: string | Uint8Array; cert: string | Uint8Array };
  /** Serve the provider directory under /fhir (relay/directory), signed with `directory.signer`. Default: not served. */
  directory?: DirectoryPluginOptions;
  /**
   * Pinned peer relays, mail domain → base URL (`--peer DOMAIN=URL`). Submissions for these
   * domains are queued and forwarded; only these relays may forward to this one. Default none.
   */
  peers?: Record<string, string>;
  /** The relay's own identity (certificate naming `relay@DOMAIN` or DNS:DOMAIN, and its key): signs forwards. */
  identity?: Identity;
  /** Highest `Sealpost-Hops` accepted from a peer; more is a loop (508 ERR_RELAY_LOOP). Default 8. */
  maxHops?: number;
  /** This relay's public base URL (Endpoints of its mailboxes, `/.well-known/sealpost`). Default: from each request's Host. */
  publicUrl?: string;
  /**
   * Forward to relays of domains that are not pinned, found through the directory or
   * `https://DOMAIN/.well-known/sealpost` (federation/resolve-peer.ts); needs `domain` and
   * `identity`. Pinned `peers` always win. Default false (pinned peers only).
   */
  discoverPeers?: boolean;
  /**
   * Browser origins allowed to read answers (CORS): exact origins such as `https://app.example` or
   * `chrome-extension://<id>`, or `'*'`. Default none (no CORS headers; non-browser clients and
   * extensions with host permissions do not need them).
   */
  corsOrigins?: string[];
  /** Replaces the discovery lookup (loopback tests, closed networks): domain → relay base URL, or undefined when unknown. */
  peerResolver?: (domain: string) => Promise<string | undefined>;
}

type OptionalKeys = 'domain' | 'tls' | 'logger' | 'directory' | 'identity' | 'publicUrl' | 'peerResolver';
export type ResolvedConfig = Required<Omit<RelayConfig, OptionalKeys>> & Pick<RelayConfig, OptionalKeys>;

export function resolveConfig(config: RelayConfig): ResolvedConfig {
  return {
    maxEnvelopeBytes: 64 * 1024 * 1024,
    maxSubmissionBytes: 1024 * 1024 * 1024,
    chunkBytes: 4 * 1024 * 1024,
    inlineEnvelopeBytes: 256 * 1024,
    inlinePageBytes: 8 * 1024 * 1024,
    expiryMs: 5 * 86_400_000,
    retentionMs: 7 * 86_400_000,
    tokenTtlMs: 15 * 60_000,
    challengeTtlMs: 2 * 60_000,
    uploadTtlMs: 86_400_000,
    rateLimitPerIp: 6000,
    rateLimitPerMailbox: 3000,
    now: Date.now,
    requestTimeoutMs: 60_000,
    peers: {},
    maxHops: 8,
    discoverPeers: false,
    corsOrigins: [],
    ...config,
  };
}
