/**
 * Browser side of relay-client.browser.test.ts: bundled with the SDK's dist build (transport and
 * crypto) and run in a Chromium page and in an MV3 extension service worker. It talks to a real
 * relay on 127.0.0.1 with the SDK's RelayClient and reports what it saw; the Node side asserts.
 */
import { createDevCa, generateIdentity, MemorySeenStore, openEnvelope, sealEnvelope, TrustStore } from '@sealpost/sdk/crypto';
import { registerMailbox, RelayClient, TransportError } from '@sealpost/sdk/transport';
import type { TransferProgress } from '@sealpost/sdk/transport';

export interface ScenarioInput {
  relayUrl: string;
  alice: { address: string; invite: string };
  bob: { address: string; invite: string };
  /** Bytes the broken download lets through before its connection is aborted. */
  breakAfter: number;
  /** Size of the large payload (sent in chunks). */
  largeBytes: number;
  chunkThresholdBytes: number;
}

export interface ScenarioReport {
  origin: string;
  hasWindow: boolean;
  tokenLength: number;
  small: { messageId: string; size: number; digest: string; progress: TransferProgress[] };
  large: { messageId: string; size: number; digest: string; progress: TransferProgress[]; chunkRequests: number };
  inbox: { all: string[]; firstPage: string[]; firstPageNextCursor: boolean; secondPage: string[] };
  download: { requests: { path: string; range: string | null; ifRange: string | null; status: number }[]; progressLast: TransferProgress | undefined; progressCount: number; brokeAt: Record<string, number>; bytes: number; smallPath: string; largePath: string };
  opened: { smallText: string; largeMatches: boolean; signer: string[] };
  acks: { messageId: string; acknowledgedAt: string }[];
  inboxAfterAck: { messageId: string; acknowledgedAt: string | null }[];
  unknownMailbox: { kind: string; status: number | undefined; code: string | undefined };
  idempotentRepeat: { sameAnswer: boolean };
}

function pattern(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + (i >>> 8)) & 0xff;
  return out;
}

/**
 * A fetch that aborts the first GET of each path in `limits` after exactly that many body bytes:
 * the real request is aborted, as a dropped connection would be.
 */
function breakingFetch(limits: Map<string, number>, log: ScenarioReport['download']): typeof fetch {
  const broken = new Set<string>();
  return async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    const headers = new Headers(init?.headers);
    const limit = (init?.method ?? 'GET') === 'GET' ? limits.get(url.pathname) : undefined;
    const entry = { path: url.pathname, range: headers.get('range'), ifRange: headers.get('if-range'), status: 0 };
    if (limit === undefined || broken.has(url.pathname)) {
      const res = await fetch(input, init);
      if (limit !== undefined) log.requests.push({ ...entry, status: res.status });
      return res;
    }
    broken.add(url.pathname);
    const controller = new AbortController();
    const signal = init?.signal ? AbortSignal.any([init.signal, controller.signal]) : controller.signal;
    const res = await fetch(input, { ...init, signal });
    log.requests.push({ ...entry, status: res.status });
    const reader = res.body!.getReader();
    let passed = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(stream) {
        if (passed >= limit) {
          controller.abort(new Error('connection dropped by the test'));
          await reader.cancel().catch(() => undefined);
          stream.error(new TypeError('network error'));
          return;
        }
        const { done, value } = await reader.read();
        if (done) return stream.close();
        const part = value.subarray(0, limit - passed);
        passed += part.length;
        log.brokeAt[url.pathname] = passed;
        stream.enqueue(part);
      },
    });
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

async function scenario(input: ScenarioInput): Promise<ScenarioReport> {
  const ca = await createDevCa({ name: 'Browser Test CA' });
  const make = async (address: string) => (await generateIdentity({ name: address, address, issuer: ca.identity })).identity;
  const [alice, bob] = await Promise.all([make(input.alice.address), make(input.bob.address)]);
  await registerMailbox(input.relayUrl, alice, input.alice.address, input.alice.invite);
  await registerMailbox(input.relayUrl, bob, input.bob.address, input.bob.invite);
  const trust = new TrustStore().addAnchor(ca.identity.certificate);

  const sender = new RelayClient({ relayUrl: input.relayUrl, address: input.alice.address, identity: alice, chunkThresholdBytes: input.chunkThresholdBytes });
  const token = await sender.login();

  // A small letter in one request, and a large one in chunks, both really sealed to Bob.
  const small = await sealEnvelope(new TextEncoder().encode('Dear Bob, results attached. Alice'), { sender: alice, recipients: [bob.certificate] });
  const smallProgress: TransferProgress[] = [];
  const smallAnswer = await sender.submit(small.envelope, { messageId: small.header.messageId, to: [input.bob.address], onProgress: (p) => smallProgress.push(p) });
  const repeat = await sender.submit(small.envelope, { messageId: small.header.messageId, to: [input.bob.address] });

  const largePayload = pattern(input.largeBytes);
  const large = await sealEnvelope(largePayload, { sender: alice, recipients: [bob.certificate] });
  const largeProgress: TransferProgress[] = [];
  const largeAnswer = await sender.submit(large.envelope, { messageId: large.header.messageId, to: [input.bob.address], onProgress: (p) => largeProgress.push(p) });

  // Bob: list (whole inbox, then page by page), download the large one through a connection
  // that breaks mid-body (the client resumes with Range), open both, acknowledge both.
  const pathOf = (id: string): string => `/v1/mailboxes/${encodeURIComponent(input.bob.address)}/messages/${encodeURIComponent(id)}`;
  const download: ScenarioReport['download'] = { requests: [], progressLast: undefined, progressCount: 0, brokeAt: {}, bytes: 0, smallPath: pathOf(small.header.messageId), largePath: pathOf(large.header.messageId) };
  // The large download breaks mid-body; the small one after its last byte but before the end of
  // the stream (the client must not ask for an empty range).
  const limits = new Map([
    [download.largePath, input.breakAfter],
    [download.smallPath, small.envelope.length],
  ]);
  const receiver = new RelayClient({ relayUrl: input.relayUrl, address: input.bob.address, identity: bob, fetch: breakingFetch(limits, download), sleep: async () => undefined });
  const all: string[] = [];
  for await (const entry of receiver.inbox()) all.push(entry.messageId);
  const first = await receiver.listInbox({ limit: 1 });
  const second = await receiver.listInbox({ limit: 1, cursor: first.nextCursor });

  const largeBytes = await receiver.download(large.header.messageId, {
    onProgress: (p) => {
      download.progressCount++;
      download.progressLast = p;
    },
  });
  download.bytes = largeBytes.length;
  const smallBytes = await receiver.download(small.header.messageId);
  const seenStore = new MemorySeenStore();
  const openedSmall = await openEnvelope(smallBytes, { identity: bob, trust, seenStore });
  const openedLarge = await openEnvelope(largeBytes, { identity: bob, trust, seenStore });
  const largeMatches = openedLarge.payload.length === largePayload.length && openedLarge.payload.every((b, i) => b === largePayload[i]);

  const acks = [await receiver.acknowledge(small.header.messageId), await receiver.acknowledge(large.header.messageId)];
  const after = await receiver.listInbox();

  // A mailbox the relay does not know: the typed error and the problem's code are readable.
  const stranger = await make('nobody@b.example');
  let unknownMailbox: ScenarioReport['unknownMailbox'] = { kind: 'none', status: undefined, code: undefined };
  try {
    await new RelayClient({ relayUrl: input.relayUrl, address: 'nobody@b.example', identity: stranger, retry: { attempts: 1 } }).login();
  } catch (error) {
    if (!(error instanceof TransportError)) throw error;
    unknownMailbox = { kind: error.kind, status: error.status, code: error.problem?.code };
  }

  return {
    origin: String(globalThis.location?.origin ?? ''),
    hasWindow: typeof (globalThis as { window?: unknown }).window !== 'undefined',
    tokenLength: token.length,
    small: { messageId: smallAnswer.messageId, size: smallAnswer.size, digest: smallAnswer.digest, progress: smallProgress },
    large: { messageId: largeAnswer.messageId, size: largeAnswer.size, digest: largeAnswer.digest, progress: largeProgress, chunkRequests: largeProgress.length },
    inbox: { all, firstPage: first.items.map((i) => i.messageId), firstPageNextCursor: first.nextCursor !== null, secondPage: second.items.map((i) => i.messageId) },
    download,
    opened: { smallText: new TextDecoder().decode(openedSmall.payload), largeMatches, signer: openedLarge.signer.addresses },
    acks,
    inboxAfterAck: after.items.map((i) => ({ messageId: i.messageId, acknowledgedAt: i.acknowledgedAt })),
    unknownMailbox,
    idempotentRepeat: { sameAnswer: JSON.stringify(repeat) === JSON.stringify(smallAnswer) },
  };
}

(globalThis as { runTransport?: (input: ScenarioInput) => Promise<ScenarioReport | { error: string }> }).runTransport = async (input) => {
  try {
    return await scenario(input);
  } catch (error) {
    return { error: error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error) };
  }
};
