import type { Identity } from '../crypto/identity.js';
import { TransportError, kindOfStatus } from './errors.js';
import type { Problem } from './errors.js';
import { contentDigest, fromBase64Url, toBase64Url } from './internal/base64.js';
import { DEFAULT_RETRY, backoffDelay, sleep as defaultSleep } from './internal/retry.js';
import type { RetryPolicy } from './internal/retry.js';
import type { SendReceiptOptions, SendReceiptResult, Timeline } from './timeline-types.js';
import { subtle } from '../crypto/internal/subtle.js';

/** Bytes done so far and in all, for progress bars. */
export interface TransferProgress {
  loaded: number;
  total: number;
}

/** Options for {@link RelayClient}. */
export interface RelayClientOptions {
  /** Base URL of the home relay, e.g. `https://relay.example` (no trailing path). */
  relayUrl: string;
  /** The mailbox address this client acts for. */
  address: string;
  /** The mailbox identity; only its signing key is used (to answer login challenges). */
  identity: Pick<Identity, 'signingKey'>;
  /** fetch to use. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Retries for network errors, 408, 429 and 5xx. Default 5 attempts, 200 ms base, 10 s cap. */
  retry?: Partial<RetryPolicy>;
  /** Random source for jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** Waits between retries. Default a timer (injectable so tests need not wait). */
  sleep?: (ms: number) => Promise<void>;
  /** Envelopes above this size go up in resumable chunks. Default 8 MiB. */
  chunkThresholdBytes?: number;
  /** Time allowed for one HTTP request, ms. Default 120 000. */
  timeoutMs?: number;
}

/** The relay's answer to an accepted submission (the same for an identical retry). */
export interface SubmitResult {
  messageId: string;
  /** `sha-256=:BASE64:` of the submission. */
  digest: string;
  size: number;
  recipients: string[];
  acceptedAt: string;
  expiresAt: string;
}

/** Options for {@link RelayClient.submit}. */
export interface SubmitOptions {
  /** Idempotency key; the envelope's Sealpost header messageId. */
  messageId: string;
  /** Recipient addresses (mailboxes on this relay). */
  to: string[];
  onProgress?: (progress: TransferProgress) => void;
  signal?: AbortSignal;
}

/** An inbox entry. */
export interface InboxEntry {
  messageId: string;
  from: string;
  size: number;
  digest: string;
  submittedAt: string;
  expiresAt: string;
  acknowledgedAt: string | null;
  /**
   * The envelope itself, when the page carries it (`include: 'envelope'`: the relay inlines
   * unacknowledged envelopes up to a size, within a budget per page); checked against `digest`.
   * Absent: {@link RelayClient.download} it.
   */
  envelope?: Uint8Array;
}

/** Options for {@link RelayClient.listInbox}. */
export interface ListInboxOptions {
  /** Where to go on (`nextCursor` of the previous page); absent or null: the first page. */
  cursor?: string | null;
  /** Items per page, 1–1000. Default the relay's (100). */
  limit?: number;
  /** `'envelope'`: the page carries small envelopes inline, saving their downloads. Default none. */
  include?: 'envelope';
  /** `'unacknowledged'`: acknowledged messages are left out (they stay listed through the relay's retention otherwise). Default none. */
  only?: 'unacknowledged';
  signal?: AbortSignal;
}

/** The answer to {@link RelayClient.acknowledgeMany}. */
export interface AcknowledgeManyResult {
  /** Acknowledged messages, each with the time that stands (the first acknowledgement's), in the order asked. */
  acknowledged: { messageId: string; acknowledgedAt: string }[];
  /** Messages not in this mailbox (never were, purged, or expired unacknowledged), in the order asked. */
  notFound: string[];
}

/** Most messageIds the relay takes in one bulk acknowledgement (docs/protocol.md §8). */
const BULK_ACKS = 1000;

/** One page of the inbox; pass `nextCursor` back for the next one (null: the end). */
export interface InboxPage {
  items: InboxEntry[];
  nextCursor: string | null;
}

/** Options for {@link RelayClient.download}. */
export interface DownloadOptions {
  onProgress?: (progress: TransferProgress) => void;
  signal?: AbortSignal;
  /** Refuse messages larger than this. Default 1 GiB. */
  maxBytes?: number;
}

const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);

interface RequestOptions {
  body?: Uint8Array | string;
  headers?: Record<string, string>;
  auth?: boolean;
  signal?: AbortSignal | undefined;
  /** Statuses the caller handles itself (not turned into errors). */
  accept?: number[];
}

/**
 * Client for a Sealpost relay (docs/protocol.md): logs in with the mailbox identity key, submits
 * envelopes (retrying with exponential backoff and jitter — safe because the messageId is the
 * idempotency key; large ones in resumable chunks), lists the inbox, downloads (resuming with HTTP
 * Range after a broken connection) and acknowledges, one message or many at once; a listing may
 * carry small envelopes inline (`include: 'envelope'`). Runs in browsers, MV3 workers and Node.
 * Failures are {@link TransportError}s whose `kind` is network, auth, quota, conflict, not-found,
 * rejected, server or digest.
 *
 * @example
 * const client = new RelayClient({ relayUrl: 'http://127.0.0.1:7311', address: 'jane@gp.example', identity });
 * const { envelope, header } = await sealEnvelope(payload, { sender: identity, recipients: [bobCert] });
 * await client.submit(envelope, { messageId: header.messageId, to: ['bob@gp.example'] });
 * for await (const entry of client.inbox()) console.log(entry.messageId);
 */
export class RelayClient {
  readonly #base: string;
  readonly #address: string;
  readonly #signingKey: CryptoKey;
  readonly #fetch: typeof fetch;
  readonly #retry: RetryPolicy;
  readonly #random: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #threshold: number;
  readonly #timeoutMs: number;
  #token: { value: string; expiresAt: number } | undefined;
  #login: Promise<string> | undefined;

  constructor(options: RelayClientOptions) {
    if (!/^https?:\/\//.test(options.relayUrl)) throw new TypeError(`RelayClient: relayUrl must be an http(s) URL, got '${options.relayUrl}'`);
    this.#base = options.relayUrl.replace(/\/+$/, '');
    this.#address = options.address.toLowerCase();
    this.#signingKey = options.identity.signingKey;
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== 'function') throw new TypeError('RelayClient: no fetch available; pass options.fetch');
    // Called as a plain function: browsers throw "Illegal invocation" when fetch gets another `this`.
    this.#fetch = (input, init) => f(input, init);
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? ((ms) => defaultSleep(ms));
    this.#threshold = options.chunkThresholdBytes ?? 8 * 1024 * 1024;
    this.#timeoutMs = options.timeoutMs ?? 120_000;
  }

  /** The mailbox address, lower-cased. */
  get address(): string {
    return this.#address;
  }

  /** Logs in (challenge → signature → token) unless a token is still fresh, and returns the token. */
  async login(): Promise<string> {
    if (this.#token && this.#token.expiresAt - 30_000 > Date.now()) return this.#token.value;
    this.#login ??= this.#doLogin().finally(() => {
      this.#login = undefined;
    });
    return this.#login;
  }

  async #doLogin(): Promise<string> {
    const { challenge } = await this.#json<{ challenge: string }>('POST', '/v1/auth/challenge', { body: JSON.stringify({ address: this.#address }), auth: false });
    const text = new TextEncoder().encode(`sealpost-auth-v1\n${this.#address}\n${challenge}`);
    const algorithm = this.#signingKey.algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: this.#signingKey.algorithm.name };
    const signature = new Uint8Array(await subtle().sign(algorithm, this.#signingKey, text));
    const { token, expiresAt } = await this.#json<{ token: string; expiresAt: string }>('POST', '/v1/auth/token', {
      body: JSON.stringify({ address: this.#address, challenge, signature: toBase64Url(signature) }),
      auth: false,
    });
    this.#token = { value: token, expiresAt: Date.parse(expiresAt) };
    return token;
  }

  /**
   * Submits an envelope and resolves once the relay has durably accepted it. Retries are safe:
   * the relay answers a repeat of the same messageId and content with its first answer. Envelopes
   * above `chunkThresholdBytes` go up in chunks, each with its SHA-256, resuming where the relay
   * says after a failure. Throws TransportError (`conflict` when the messageId was already used
   * for other content, `quota` when too large).
   */
  async submit(envelope: Uint8Array, options: SubmitOptions): Promise<SubmitResult> {
    if (options.to.length === 0) throw new TypeError('submit: no recipient');
    const total = envelope.length;
    const digest = await contentDigest(envelope);
    if (total <= this.#threshold) {
      options.onProgress?.({ loaded: 0, total });
      const result = await this.#json<SubmitResult>('PUT', `/v1/messages/${encodeURIComponent(options.messageId)}`, {
        body: envelope,
        headers: { 'content-type': 'application/octet-stream', 'sealpost-to': options.to.join(','), 'content-digest': digest },
        signal: options.signal,
      });
      options.onProgress?.({ loaded: total, total });
      return result;
    }
    return this.#upload(envelope, digest, options);
  }

  async #upload(envelope: Uint8Array, digest: string, options: SubmitOptions): Promise<SubmitResult> {
    const total = envelope.length;
    const open = async (): Promise<{ message?: SubmitResult; uploadId?: string; chunkSize?: number; nextIndex?: number }> =>
      this.#json('POST', '/v1/uploads', { body: JSON.stringify({ messageId: options.messageId, to: options.to, size: total, digest }), signal: options.signal });
    const opened = await open();
    if (opened.message) {
      options.onProgress?.({ loaded: total, total });
      return opened.message;
    }
    const uploadId = opened.uploadId!;
    const chunkSize = opened.chunkSize!;
    let index = opened.nextIndex ?? 0;
    options.onProgress?.({ loaded: Math.min(total, index * chunkSize), total });
    while (index * chunkSize < total) {
      const chunk = envelope.subarray(index * chunkSize, Math.min(total, (index + 1) * chunkSize));
      const res = await this.#request('PUT', `/v1/uploads/${uploadId}/chunks/${index}`, {
        body: chunk,
        headers: { 'content-type': 'application/octet-stream', 'content-digest': await contentDigest(chunk) },
        signal: options.signal,
        accept: [409],
      });
      if (res.status === 409) {
        // The relay says where it stands (a retried chunk it already had, or one it lost): go on from there.
        const problem = (await res.json().catch(() => ({}))) as Problem;
        if (problem.code !== 'ERR_RELAY_CHUNK_ORDER' || typeof problem.nextIndex !== 'number') throw this.#error(409, problem);
        if (problem.nextIndex === index) throw this.#error(409, problem);
        index = problem.nextIndex;
      } else {
        const state = (await res.json()) as { nextIndex: number; received: number };
        index = state.nextIndex;
        options.onProgress?.({ loaded: state.received, total });
      }
    }
    const done = await this.#request('POST', `/v1/uploads/${uploadId}/complete`, { signal: options.signal, accept: [404] });
    if (done.status !== 404) return (await done.json()) as SubmitResult;
    // A retried complete whose first attempt committed finds the session gone: the relay's first
    // answer is then available by messageId.
    const again = await open();
    if (again.message) return again.message;
    throw new TransportError('not-found', `upload ${uploadId} vanished before it was committed`, { status: 404 });
  }

  /**
   * One page of the inbox, oldest first. With `include: 'envelope'` entries the relay inlined carry
   * their `envelope` bytes, each checked against its `digest` (TransportError `digest` when they
   * differ); download the others.
   */
  async listInbox(options: ListInboxOptions = {}): Promise<InboxPage> {
    const query = new URLSearchParams();
    if (options.cursor) query.set('cursor', options.cursor);
    if (options.limit) query.set('limit', String(options.limit));
    if (options.include) query.set('include', options.include);
    if (options.only) query.set('only', options.only);
    const qs = query.size > 0 ? `?${query}` : '';
    const page = await this.#json<{ items: (Omit<InboxEntry, 'envelope'> & { envelope?: string })[]; nextCursor: string | null }>('GET', `/v1/mailboxes/${encodeURIComponent(this.#address)}/messages${qs}`, {
      signal: options.signal,
    });
    if (!page.items.some((item) => item.envelope !== undefined)) return page as InboxPage;
    const items = await Promise.all(page.items.map((item) => (item.envelope === undefined ? (item as InboxEntry) : this.#inlined(item as typeof item & { envelope: string }))));
    return { items, nextCursor: page.nextCursor };
  }

  /** An entry whose envelope came inline: decoded, and held to the same checks as a download. */
  async #inlined(item: Omit<InboxEntry, 'envelope'> & { envelope: string }): Promise<InboxEntry> {
    let envelope: Uint8Array;
    try {
      envelope = fromBase64Url(item.envelope);
    } catch (error) {
      throw new TransportError('rejected', `listInbox: the envelope of ${item.messageId} is not base64url`, { status: 200, cause: error });
    }
    if (envelope.length !== item.size || (await contentDigest(envelope)) !== item.digest) {
      throw new TransportError('digest', `listInbox: the inline envelope of ${item.messageId} does not match its size ${item.size} and digest ${item.digest}`);
    }
    return { ...item, envelope };
  }

  /** Every inbox entry, page by page (`include` and `only` as in {@link listInbox}). */
  async *inbox(options: Omit<ListInboxOptions, 'cursor'> = {}): AsyncIterable<InboxEntry> {
    let cursor: string | null = null;
    do {
      const page: InboxPage = await this.listInbox({ ...options, cursor });
      yield* page.items;
      cursor = page.nextCursor;
    } while (cursor !== null);
  }

  /**
   * Downloads a message. A connection that breaks mid-body is resumed with `Range: bytes=N-`
   * (If-Range on the relay's ETag); the result is checked against the relay's Content-Digest
   * (`digest` error on mismatch).
   */
  async download(messageId: string, options: DownloadOptions = {}): Promise<Uint8Array> {
    const path = `/v1/mailboxes/${encodeURIComponent(this.#address)}/messages/${encodeURIComponent(messageId)}`;
    const maxBytes = options.maxBytes ?? 1024 * 1024 * 1024;
    let buffer: Uint8Array | undefined;
    let received = 0;
    let etag: string | undefined;
    let digest: string | undefined;
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = {};
      if (buffer && received > 0 && etag) {
        headers.range = `bytes=${received}-`;
        headers['if-range'] = etag;
      }
      const res = await this.#request('GET', path, { headers, signal: options.signal });
      if (res.status === 200) {
        // Fresh whole body (first request, or the relay ignored the range).
        const total = Number(res.headers.get('content-length'));
        if (!Number.isSafeInteger(total) || total < 0) throw new TransportError('rejected', 'download: the relay sent no Content-Length', { status: 200 });
        if (total > maxBytes) throw new TransportError('quota', `download: ${total} bytes over maxBytes ${maxBytes}`, { status: 200 });
        buffer = new Uint8Array(total);
        received = 0;
      } else if (!buffer) throw new TransportError('rejected', `download: unexpected status ${res.status}`, { status: res.status });
      etag = res.headers.get('etag') ?? etag;
      digest = res.headers.get('content-digest') ?? digest;
      const state = { at: received };
      try {
        await readInto(res, buffer, state, (loaded) => options.onProgress?.({ loaded, total: buffer!.length }));
        received = state.at;
      } catch (error) {
        // Keep what arrived: the next request asks only for the rest.
        received = state.at;
        if (options.signal?.aborted || error instanceof TransportError) throw error;
        // Lost after the last byte but before the end of the stream: nothing is left to ask for
        // (a Range from the end would be 416); the digest check below decides.
        if (received === buffer.length) break;
        if (attempt >= this.#retry.attempts) throw new TransportError('network', `download of ${messageId} broke off at byte ${received}`, { cause: error });
        await this.#sleep(backoffDelay(this.#retry, attempt, this.#random));
        continue;
      }
      if (received < buffer.length) continue;
      break;
    }
    if (digest && (await contentDigest(buffer)) !== digest) throw new TransportError('digest', `download of ${messageId}: the bytes do not match the relay's digest ${digest}`);
    return buffer;
  }

  /** Acknowledges a message (the caller has stored it). Idempotent. */
  async acknowledge(messageId: string, options: { signal?: AbortSignal } = {}): Promise<{ messageId: string; acknowledgedAt: string }> {
    return this.#json('POST', `/v1/mailboxes/${encodeURIComponent(this.#address)}/messages/${encodeURIComponent(messageId)}/ack`, { signal: options.signal });
  }

  /**
   * Acknowledges several messages (the caller has stored them) in one request per 1000, each one
   * commit on the relay. Idempotent, like {@link acknowledge}; repeated ids are sent once. A
   * message the mailbox does not hold is listed in `notFound` instead of failing the others.
   * Throws TypeError for an empty or malformed messageId (the relay would refuse the whole call).
   */
  async acknowledgeMany(messageIds: readonly string[], options: { signal?: AbortSignal } = {}): Promise<AcknowledgeManyResult> {
    const ids = [...new Set(messageIds)];
    const bad = ids.find((id) => !/^[A-Za-z0-9._~-]{1,128}$/.test(id));
    if (bad !== undefined) throw new TypeError(`acknowledgeMany: '${bad}' is not a messageId`);
    const result: AcknowledgeManyResult = { acknowledged: [], notFound: [] };
    for (let at = 0; at < ids.length; at += BULK_ACKS) {
      const part = await this.#json<AcknowledgeManyResult>('POST', `/v1/mailboxes/${encodeURIComponent(this.#address)}/acks`, {
        body: JSON.stringify({ messageIds: ids.slice(at, at + BULK_ACKS) }),
        signal: options.signal,
      });
      result.acknowledged.push(...part.acknowledged);
      result.notFound.push(...part.notFound);
    }
    return result;
  }

  /**
   * The delivery timeline of a message this mailbox sent (docs/protocol.md, Timeline): relay
   * events and recipient receipts in the order the relay recorded them, each with its signed
   * bytes. Check them with `verifyTimeline`. Throws TransportError `not-found` for a message this
   * mailbox did not send (the relay does not say whether it exists).
   */
  async timeline(messageId: string, options: { signal?: AbortSignal } = {}): Promise<Timeline> {
    return this.#json<Timeline>('GET', `/v1/messages/${encodeURIComponent(messageId)}/timeline`, { signal: options.signal });
  }

  /**
   * Posts a signed receipt (from `createReceipt`, sealed to the sender, so the relay cannot read
   * it) for a message this mailbox received; the status travels in clear for the timeline. The
   * relay stores it once (a repeat answers `stored: 'exists'`) and carries it back to the sender's
   * relay. Throws TypeError for an unknown status or a rejection without reason; TransportError
   * `not-found` when this mailbox did not receive the message.
   */
  async sendReceipt(messageId: string, receipt: Uint8Array, options: SendReceiptOptions): Promise<SendReceiptResult> {
    if (!['delivered', 'imported', 'read', 'rejected'].includes(options.status)) throw new TypeError(`sendReceipt: unknown status '${String(options.status)}'`);
    if (options.status === 'rejected' && !options.reason) throw new TypeError('sendReceipt: a rejected receipt needs a reason');
    if (receipt.length === 0) throw new TypeError('sendReceipt: empty receipt');
    const body = JSON.stringify({ status: options.status, ...(options.reason ? { reason: options.reason } : {}), receipt: toBase64Url(receipt) });
    return this.#json<SendReceiptResult>('POST', `/v1/messages/${encodeURIComponent(messageId)}/receipts`, { body, signal: options.signal });
  }

  async #json<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const headers = typeof options.body === 'string' ? { 'content-type': 'application/json', ...options.headers } : options.headers;
    const res = await this.#request(method, path, { ...options, ...(headers ? { headers } : {}) });
    return (await res.json()) as T;
  }

  #error(status: number, problem: Problem | undefined): TransportError {
    const detail = problem?.detail ?? problem?.title ?? `HTTP ${status}`;
    return new TransportError(kindOfStatus(status), `${problem?.code ? `${problem.code}: ` : ''}${detail}`, { status, ...(problem ? { problem } : {}) });
  }

  /** One call with retries (network errors, 408, 429, 5xx) and one re-login on 401. */
  async #request(method: string, path: string, options: RequestOptions): Promise<Response> {
    let relogged = false;
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { accept: 'application/json, application/problem+json, application/octet-stream', ...options.headers };
      const auth = options.auth ?? true;
      if (auth) headers.authorization = `Bearer ${await this.login()}`;
      const timeout = AbortSignal.timeout(this.#timeoutMs);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      let res: Response;
      try {
        res = await this.#fetch(`${this.#base}${path}`, { method, headers, signal, ...(options.body !== undefined ? { body: options.body as BodyInit } : {}) });
      } catch (error) {
        if (options.signal?.aborted) throw error;
        if (attempt >= this.#retry.attempts) throw new TransportError('network', `${method} ${path}: ${(error as Error).message}`, { cause: error });
        await this.#sleep(backoffDelay(this.#retry, attempt, this.#random));
        continue;
      }
      if (res.ok || options.accept?.includes(res.status)) return res;
      const problem = await readProblem(res);
      if (res.status === 401 && auth && !relogged) {
        // The token expired or the relay's secret changed: log in again, once.
        relogged = true;
        this.#token = undefined;
        attempt--;
        continue;
      }
      if (RETRYABLE.has(res.status) && attempt < this.#retry.attempts) {
        const after = Number(res.headers.get('retry-after'));
        const delay = Number.isFinite(after) && after > 0 ? Math.min(after * 1000, this.#retry.maxDelayMs) : backoffDelay(this.#retry, attempt, this.#random);
        await this.#sleep(delay);
        continue;
      }
      throw this.#error(res.status, problem);
    }
  }
}

async function readProblem(res: Response): Promise<Problem | undefined> {
  const type = res.headers.get('content-type') ?? '';
  if (!type.includes('json')) {
    await res.body?.cancel().catch(() => undefined);
    return undefined;
  }
  try {
    return (await res.json()) as Problem;
  } catch {
    return undefined;
  }
}

/** Copies a response body into `buffer` from `state.at`, advancing it; throws if the stream breaks. */
async function readInto(res: Response, buffer: Uint8Array, state: { at: number }, progress: (loaded: number) => void): Promise<void> {
  if (!res.body) return;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    if (state.at + value.length > buffer.length) throw new TransportError('rejected', 'download: the relay sent more bytes than announced');
    buffer.set(value, state.at);
    state.at += value.length;
    progress(state.at);
  }
}
