import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { fromPem, TrustStore, unlockIdentity } from '@sealpost/sdk/crypto';
import type { Identity, OpenResult } from '@sealpost/sdk/crypto';
import { parseMessage } from '@sealpost/sdk/hl7v2';
import { readIdentityDir } from '@sealpost/sdk/node';
import { installNodeCrypto } from '@sealpost/sdk/node/crypto';
import { DirectoryClient } from '@sealpost/sdk/directory';
import { RelayClient, TransportError } from '@sealpost/sdk/transport';
import { scanAckFiles } from '../file-drop/ack-files.js';
import { scanOutbox } from '../file-drop/outbox-watcher.js';
import type { OutboundLetter } from '../file-drop/outbox-watcher.js';
import { CryptoWorkerPool } from '../import/crypto-pool.js';
import { ImportPipeline } from '../import/pipeline.js';
import type { EmrTarget, RenderedLetter } from '../import/pipeline.js';
import { relayInboxSource } from '../import/relay-source.js';
import { renderHl7Letter } from '../import/render-hl7.js';
import type { AgentConfig } from './config.js';
import { ReceiptOutbox } from './receipt-outbox.js';
import type { DeliverReceipt } from './receipt-outbox.js';
import { createLetterSender } from './send-letter.js';
import { buildTargets, patientList } from './targets.js';

/** Options of {@link startAgent}. */
export interface StartAgentOptions {
  /** Passphrase of the identity key when the configuration names no `passphraseFile`. */
  passphrase?: string;
  /** Logger (default pino to stdout, at the configured level). */
  logger?: Logger;
  /** fetch for the relay client (default the global). */
  fetch?: typeof fetch;
}

/** State of one component in the health report. */
export interface ComponentHealth {
  lastRunAt: string | null;
  lastOkAt: string | null;
  lastError: { at: string; message: string } | null;
  /** The last run failed. */
  failing: boolean;
}

/** What `GET /healthz` answers (503 when `status` is `failing`). */
export interface AgentHealth {
  status: 'ok' | 'failing';
  startedAt: string;
  /** Last completed relay inbox poll. */
  lastPollAt: string | null;
  components: Record<string, ComponentHealth>;
  queues: Record<string, number>;
  /** Things that work but need an operator's attention. */
  warnings: string[];
}

/** A running agent. */
export interface Agent {
  /** `http://127.0.0.1:PORT/healthz` when the health endpoint is configured. */
  readonly healthUrl: string | undefined;
  health(): AgentHealth;
  /** Stops polling, lets every component finish the work in progress (the letter being sent, the import round), then closes its stores. */
  stop(): Promise<void>;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((done) => {
    if (signal.aborted) return done();
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      done();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      done();
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** The relay or the network failed: worth trying again later, not a fault of the letter. */
const isTransient = (error: unknown): boolean => error instanceof TransportError && ['network', 'server', 'auth', 'quota'].includes(error.kind);

function addressOf(certificate: Uint8Array): string {
  const match = /(?:^|,\s*)email:([^,\s]+)/.exec(new X509Certificate(certificate).subjectAltName ?? '');
  if (!match) throw new Error('the agent certificate names no address (no rfc822Name subjectAltName)');
  return match[1]!.toLowerCase();
}

async function loadIdentity(config: AgentConfig, passphrase: string | undefined): Promise<Identity> {
  const secret = config.identity.passphraseFile ? (readFileSync(config.identity.passphraseFile, 'utf8').split(/\r?\n/)[0] ?? '') : passphrase;
  if (secret === undefined) throw new Error('no passphrase for the identity key: set identity.passphraseFile or SEALPOST_PASSPHRASE');
  return unlockIdentity(await readIdentityDir(config.identity.dir), secret);
}

/**
 * Starts a practice's agent from a validated configuration (see `validateAgentConfig`):
 *
 * - **inbox**: polls the relay (`relayInboxSource`) and runs the import pipeline into the inbound
 *   adapters (import folder, FHIR EMR, MLLP), matching patients against the FHIR EMR or the
 *   configured patient list; unmatched letters wait in the review queue (`sealpost review --db`);
 * - **receipts**: the pipeline's receipts go to a durable queue sent through the relay
 *   (`RelayClient.sendReceipt`); with EMR acknowledgement files configured, "imported" waits for
 *   the EMR's ACK (AE/AR turn it into "rejected");
 * - **outbound**: watches each outbox folder (`scanOutbox`), seals and submits letters, moves them to
 *   `sent/` or `error/` with a reason file; a relay outage leaves them queued;
 * - **health**: loopback `GET /healthz`; structured logs through pino.
 *
 * Resolves once every component has started. Errors of one round are logged and reported by the
 * health endpoint, and the round is tried again at the next interval.
 */
export async function startAgent(config: AgentConfig, options: StartAgentOptions = {}): Promise<Agent> {
  installNodeCrypto(); // D-CRYPTO-4: the SDK's small crypto operations on node:crypto
  const log = options.logger ?? pino({ level: config.log.level, base: { name: 'sealpost-agent' } }, config.log.file ? pino.destination({ dest: config.log.file, mkdir: true, sync: true }) : pino.destination(1));
  mkdirSync(dirname(config.state), { recursive: true });
  const identity = await loadIdentity(config, options.passphrase);
  const address = addressOf(identity.certificate);
  const trust = new TrustStore();
  const anchors = config.trust.flatMap((file) => fromPem(readFileSync(file, 'utf8'), 'CERTIFICATE'));
  for (const cert of anchors) trust.addAnchor(cert);
  const client = new RelayClient({ relayUrl: config.relay.url, address, identity, ...(options.fetch ? { fetch: options.fetch } : {}) });
  const targets = await buildTargets(config);
  const receipts = new ReceiptOutbox(config.state, { identity });
  const fhir = targets.find((t) => t.findPatients);
  const findPatients = fhir?.findPatients ?? (config.match.patients ? patientList(config.match.patients) : () => Promise.resolve([]));
  const ackFolders = config.inbound.flatMap((t) => (t.type === 'file-drop' && t.acks ? [t.acks] : []));

  const target: EmrTarget = {
    findPatients,
    file: async (letter, patientId, messageId) => {
      for (const t of targets) await t.file(letter, patientId, messageId);
      log.info({ messageId, patientId, targets: targets.map((t) => t.name) }, 'letter filed');
    },
    fileBatch: async (letters) => {
      for (const t of targets) {
        if (t.fileBatch) await t.fileBatch(letters);
        else for (const l of letters) await t.file(l.letter, l.patientId, l.messageId);
      }
      for (const l of letters) log.info({ messageId: l.messageId, patientId: l.patientId, targets: targets.map((t) => t.name) }, 'letter filed');
    },
  };
  const render = (payload: Uint8Array, opened: OpenResult): RenderedLetter => {
    const mediaType = opened.header?.mediaType ?? '';
    if (!/hl7/i.test(mediaType)) throw new Error(`a letter of type '${mediaType || 'unknown'}' cannot be filed: this agent files HL7 v2 letters (REF, ORU, MDM)`);
    const letter = renderHl7Letter(payload);
    const messageId = opened.header?.messageId;
    if (messageId && ackFolders.length > 0) receipts.expectAck(messageId, parseMessage(payload).controlId, opened);
    return letter;
  };
  // Opening letters and signing receipts is most of an import's CPU: on worker threads it uses every core.
  const pool = config.inbound.length > 0 && config.cryptoWorkers > 0 ? new CryptoWorkerPool({ identity, trust: { anchors }, size: config.cryptoWorkers }) : undefined;
  const pipeline = new ImportPipeline({
    path: config.state,
    identity,
    trust,
    ...(pool ? { crypto: pool } : {}),
    source: relayInboxSource(client),
    target,
    receipts: receipts.sink,
    render,
    batchSize: config.batchSize,
    match: { ...(config.match.highThreshold !== undefined ? { highThreshold: config.match.highThreshold } : {}), ...(config.match.lowThreshold !== undefined ? { lowThreshold: config.match.lowThreshold } : {}) },
  });
  const directory = config.directory
    ? new DirectoryClient({
        directories: config.directory.urls,
        trust,
        requireSignature: config.directory.requireSignature,
        // A key rollover or an attack: the operator must hear of it (the letter is still sealed to the directory's answer).
        onCertificateChange: (change) => log.warn({ address: change.address, previous: change.previousFingerprint }, 'a recipient certificate changed in the directory'),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      })
    : undefined;
  const sendReceipt: DeliverReceipt = (messageId, bytes, info) => client.sendReceipt(messageId, bytes, info);
  const warnings: string[] = [];

  const startedAt = new Date().toISOString();
  const components: Record<string, ComponentHealth> = {};
  const stopping = new AbortController();
  const loops: Promise<void>[] = [];
  let lastPollAt: string | null = null;

  const loop = (name: string, intervalMs: number, run: () => Promise<void>): void => {
    const state: ComponentHealth = (components[name] = { lastRunAt: null, lastOkAt: null, lastError: null, failing: false });
    loops.push(
      (async () => {
        while (!stopping.signal.aborted) {
          state.lastRunAt = new Date().toISOString();
          try {
            await run();
            state.lastOkAt = new Date().toISOString();
            state.failing = false;
          } catch (error) {
            state.failing = true;
            state.lastError = { at: new Date().toISOString(), message: (error as Error).message };
            log.error({ component: name, err: error }, `${name} failed`);
          }
          await sleep(intervalMs, stopping.signal);
        }
      })(),
    );
  };

  // An agent with no inbound adapter only sends: it leaves its relay inbox to other clients rather than parking every letter in review.
  if (config.inbound.length > 0) {
    loop('inbox', config.relay.pollSeconds * 1000, async () => {
      // Until the inbox is empty: a backlog is worked off at full speed, not one page per poll.
      const result = await pipeline.run({ signal: stopping.signal });
      lastPollAt = new Date().toISOString();
      if (result.fetched || result.filed || result.review || result.rejected || result.invalid) log.info({ ...result }, 'import round');
    });
  }
  loop('receipts', config.relay.pollSeconds * 1000, async () => {
    const flushed = await receipts.flush(sendReceipt, { isTransient });
    if (flushed.sent) log.info({ sent: flushed.sent }, 'receipts sent');
    for (const f of flushed.failed) log.warn({ messageId: f.messageId, status: f.status, reason: f.reason }, 'the relay refused a receipt (tried again at the next start)');
    if (flushed.error) throw flushed.error;
  });

  for (const [i, out] of config.outbound.entries()) {
    const name = `outbound[${i}]`;
    const send = createLetterSender({
      identity,
      client,
      envelopeDir: join(dirname(config.state), 'sealpost-outbound'),
      ...(out.to ? { to: out.to } : {}),
      ...(out.routes ? { routes: out.routes } : {}),
      ...(out.receipts !== undefined ? { receipts: out.receipts } : {}),
      certificate: async (to: string, letter: OutboundLetter) => {
        const file = letter.sidecar?.recipientCertificate ? resolve(out.folder, letter.sidecar.recipientCertificate) : config.recipients[to];
        if (!file && directory) return (await directory.resolve(to)).certificate;
        if (!file) throw new Error(`no certificate for ${to}: add it to "recipients" in the configuration, name it in the sidecar ("recipientCertificate") or configure a "directory"`);
        const [cert] = fromPem(readFileSync(file, 'utf8'), 'CERTIFICATE');
        if (!cert) throw new Error(`${file}: no certificate`);
        return cert;
      },
    });
    loop(name, (out.pollSeconds ?? 5) * 1000, async () => {
      const result = await scanOutbox(out.folder, {
        signal: stopping.signal,
        isTransient,
        ...(out.settleMs !== undefined ? { settleMs: out.settleMs } : {}),
        ...(out.messageTypes ? { messageTypes: out.messageTypes } : {}),
        send: async (letter) => {
          const sent = await send(letter);
          log.info({ file: letter.file, ...sent }, 'letter sent');
        },
      });
      for (const f of result.failed) log.warn({ component: name, file: f.file, reason: f.reason }, 'letter moved to error/');
      if (result.deferred) throw new Error(`${result.deferred.file}: ${result.deferred.reason} (kept for the next scan)`);
    });
  }

  for (const [i, t] of config.inbound.entries()) {
    if (t.type === 'file-drop' && t.acks) {
      const acks = t.acks;
      const pattern = acks.pattern ? new RegExp(acks.pattern, 'i') : undefined;
      loop(`inbound[${i}].acks`, Math.min(5, config.relay.pollSeconds) * 1000, async () => {
        const result = await scanAckFiles(acks.folder, {
          ...(pattern ? { pattern } : {}),
          onAck: async (event) => {
            const messageId = await receipts.recordAck(event);
            if (messageId) log.info({ messageId, controlId: event.controlId, code: event.code }, 'EMR acknowledgement');
            else log.warn({ file: event.file, controlId: event.controlId }, 'EMR acknowledgement for no letter of this agent');
          },
        });
        for (const u of result.unreadable) log.warn({ file: u.file, reason: u.reason }, 'unreadable acknowledgement file moved to error/');
      });
    }
  }
  for (const t of targets) {
    const tick = t.tick;
    if (tick) loop(t.name, Math.min(5, config.relay.pollSeconds) * 1000, async () => void (await tick()));
  }

  const queues = (): Record<string, number> => {
    const q: Record<string, number> = {
      review: pipeline.review.list('pending').length,
      importing: (['received', 'opened', 'delivered', 'matched', 'filed', 'rejected'] as const).reduce((n, s) => n + pipeline.list(s).length, 0),
    };
    const r = receipts.counts();
    q['receiptsQueued'] = r.queued;
    q['receiptsHeld'] = r.held;
    q['receiptsFailed'] = r.failed;
    for (const [i, out] of config.outbound.entries()) {
      const count = (dir: string): number => (existsSync(dir) ? readdirSync(dir).filter((f) => /\.(hl7|txt|pdf|rtf)$/i.test(f)).length : 0);
      q[`outbound[${i}].waiting`] = count(out.folder) + count(join(out.folder, '.sending'));
      q[`outbound[${i}].error`] = count(join(out.folder, 'error'));
    }
    for (const t of targets) for (const [k, n] of Object.entries(t.queues?.() ?? {})) q[`${t.name}.${k}`] = n;
    return q;
  };
  const health = (): AgentHealth => ({
    status: Object.values(components).some((c) => c.failing) ? 'failing' : 'ok',
    startedAt,
    lastPollAt,
    components: structuredClone(components),
    queues: queues(),
    warnings: [...warnings, ...(receipts.counts().failed > 0 ? [`${receipts.counts().failed} receipts were refused by the relay; they are tried again at the next start`] : [])],
  });

  let server: Server | undefined;
  let healthUrl: string | undefined;
  if (config.health) {
    server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/healthz') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}\n');
        return;
      }
      let body: AgentHealth;
      try {
        body = health();
      } catch (error) {
        res.writeHead(503, { 'content-type': 'application/json' }).end(`${JSON.stringify({ status: 'failing', error: (error as Error).message })}\n`);
        return;
      }
      res.writeHead(body.status === 'ok' ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(`${JSON.stringify(body)}\n`);
    });
    const { host, port } = config.health;
    await new Promise<void>((done, fail) => {
      server!.once('error', fail);
      server!.listen(port, host, () => done());
    });
    const bound = server.address();
    const boundPort = typeof bound === 'object' && bound ? bound.port : port;
    healthUrl = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}/healthz`;
  }
  log.info({ address, relay: config.relay.url, inbound: config.inbound.map((t) => t.type), outbound: config.outbound.length, health: healthUrl, warnings }, 'agent started');

  let stopped: Promise<void> | undefined;
  return {
    healthUrl,
    health,
    stop: () =>
      (stopped ??= (async () => {
        log.info('agent stopping: finishing the work in progress');
        stopping.abort();
        await Promise.all(loops);
        await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
        pipeline.close();
        await pool?.close();
        receipts.close();
        for (const t of targets) t.close?.();
        log.info('agent stopped');
        log.flush?.();
      })()),
  };
}
