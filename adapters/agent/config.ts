import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { AgentConfigError } from './errors.js';
import type { ConfigProblem } from './errors.js';

/** Where the agent's identity (mailbox certificate and encrypted key) lives. */
export interface IdentityConfig {
  /** Identity directory (`cert.pem`, `chain.pem`, `key.pem`, as `sealpost id` writes). */
  dir: string;
  /** File whose first line is the key's passphrase; without it, the `SEALPOST_PASSPHRASE` variable. */
  passphraseFile?: string;
}

/** An inbound adapter: where filed letters go. */
export type InboundConfig = FileDropInboundConfig | FhirInboundConfig | MllpInboundConfig;

/** HL7 files written atomically into the EMR's import folder. */
export interface FileDropInboundConfig {
  type: 'file-drop';
  folder: string;
  /** File name pattern with `{id}` (default `{id}.hl7`). */
  name?: string;
  /** Temporary files and markers (default `<folder>/.sealpost`; same filesystem as `folder`). */
  workFolder?: string;
  /** The EMR's acknowledgement files: the "imported" receipt waits for them. */
  acks?: { folder: string; pattern?: string };
}

/** A FHIR R4 EMR API (DocumentReference or DiagnosticReport, conditional create). */
export interface FhirInboundConfig {
  type: 'fhir';
  baseUrl: string;
  resource?: 'DocumentReference' | 'DiagnosticReport';
  auth?: { type: 'bearer'; tokenFile: string } | { type: 'smart-backend'; tokenUrl: string; clientId: string; keyFile: string; keyId: string; scope?: string };
}

/** An MLLP receiver at the EMR or integration engine (durable queue, ambiguous failures held). */
export interface MllpInboundConfig {
  type: 'mllp';
  host: string;
  port: number;
  ackTimeoutMs?: number;
  minIntervalMs?: number;
}

/** An outbound watcher: the folder where the EMR writes letters to send. */
export interface FileDropOutboundConfig {
  type: 'file-drop';
  folder: string;
  /** Default recipient address of HL7 letters without a sidecar or route. */
  to?: string;
  /** HL7 receiving facility (MSH-6.1) or application (MSH-5.1) → recipient address. */
  routes?: Record<string, string>;
  /** HL7 message types sent (default REF, ORU, MDM). */
  messageTypes?: string[];
  /** Files younger than this are left for the next scan (default 2000). */
  settleMs?: number;
  /** Scan interval (default 5). */
  pollSeconds?: number;
  /** Ask recipients for delivered/imported receipts (default true). */
  receipts?: boolean;
}

/** A validated agent configuration; every path in it is absolute. */
export interface AgentConfig {
  identity: IdentityConfig;
  /** PEM files of the trust anchors letters must chain to. */
  trust: string[];
  relay: { url: string; pollSeconds: number };
  /** The agent's SQLite file: import state, review queue (shared with `sealpost review --db`), receipts, MLLP queue. */
  state: string;
  /** Loopback health endpoint; port 0 picks a free one. */
  health?: { host: string; port: number };
  log: { level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'; file?: string };
  match: { patients?: string; highThreshold?: number; lowThreshold?: number };
  /** Letters per inbox page and group commit (default 20); a shutdown waits for the batches in progress. */
  batchSize: number;
  /** Worker threads that open letters and sign receipts (default: the available cores, at most 4; 0 when there is one core, or to keep the work on the main thread). */
  cryptoWorkers: number;
  inbound: InboundConfig[];
  outbound: FileDropOutboundConfig[];
  /** Recipient address → PEM certificate file; takes precedence over the directory. */
  recipients: Record<string, string>;
  /** Provider directories (`https://relay.example/fhir`) that resolve recipients' certificates, answers verified against `trust`. */
  directory?: { urls: string[]; requireSignature: boolean };
}

type Json = unknown;
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
const ADDRESS = /^[^\s@]+@[^\s@]+$/;

/** Collects problems while reading a JSON value member by member. */
class Reader {
  readonly problems: ConfigProblem[] = [];
  constructor(readonly baseDir: string) {}

  fail(path: string, message: string): undefined {
    this.problems.push({ path: path || '(root)', message });
    return undefined;
  }

  object(value: Json, path: string, known: string[]): Record<string, Json> | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return this.fail(path, 'must be an object');
    const record = value as Record<string, Json>;
    for (const key of Object.keys(record)) if (!known.includes(key)) this.fail(join(path, key), `unknown member (known: ${known.join(', ')})`);
    return record;
  }

  string(parent: Record<string, Json>, key: string, path: string, required: true): string | undefined;
  string(parent: Record<string, Json>, key: string, path: string, required?: false): string | undefined;
  string(parent: Record<string, Json>, key: string, path: string, required = false): string | undefined {
    const value = parent[key];
    if (value === undefined) return required ? this.fail(join(path, key), 'missing') : undefined;
    if (typeof value !== 'string' || value === '') return this.fail(join(path, key), 'must be a non-empty string');
    return value;
  }

  path(parent: Record<string, Json>, key: string, path: string, required = false): string | undefined {
    const value = required ? this.string(parent, key, path, true) : this.string(parent, key, path);
    return value === undefined ? undefined : isAbsolute(value) ? value : resolve(this.baseDir, value);
  }

  number(parent: Record<string, Json>, key: string, path: string, range: { min: number; max: number; integer?: boolean }): number | undefined {
    const value = parent[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || (range.integer && !Number.isInteger(value)) || value < range.min || value > range.max) {
      return this.fail(join(path, key), `must be ${range.integer ? 'an integer' : 'a number'} from ${range.min} to ${range.max}`);
    }
    return value;
  }

  oneOf<T extends string>(parent: Record<string, Json>, key: string, path: string, allowed: readonly T[]): T | undefined {
    const value = parent[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !allowed.includes(value as T)) return this.fail(join(path, key), `must be one of ${allowed.join(', ')}`);
    return value as T;
  }

  address(parent: Record<string, Json>, key: string, path: string): string | undefined {
    const value = this.string(parent, key, path);
    if (value !== undefined && !ADDRESS.test(value)) return this.fail(join(path, key), `'${value}' is not a Sealpost address (name@domain)`);
    return value?.toLowerCase();
  }
}

const join = (path: string, key: string | number): string => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key);

function readInbound(r: Reader, value: Json, path: string): InboundConfig | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return r.fail(path, 'must be an object');
  const type = (value as { type?: unknown }).type;
  if (type === 'file-drop') {
    const o = r.object(value, path, ['type', 'folder', 'name', 'workFolder', 'acks'])!;
    const folder = r.path(o, 'folder', path, true);
    const name = r.string(o, 'name', path);
    if (name !== undefined && !name.includes('{id}')) r.fail(join(path, 'name'), "must contain '{id}'");
    const workFolder = r.path(o, 'workFolder', path);
    let acks: FileDropInboundConfig['acks'];
    if (o['acks'] !== undefined) {
      const a = r.object(o['acks'], join(path, 'acks'), ['folder', 'pattern']);
      if (a) {
        const ackFolder = r.path(a, 'folder', join(path, 'acks'), true);
        const pattern = r.string(a, 'pattern', join(path, 'acks'));
        if (pattern !== undefined) {
          try {
            new RegExp(pattern, 'i');
          } catch (error) {
            r.fail(join(join(path, 'acks'), 'pattern'), `not a regular expression: ${(error as Error).message}`);
          }
        }
        if (ackFolder) acks = { folder: ackFolder, ...(pattern ? { pattern } : {}) };
      }
    }
    return folder ? { type, folder, ...(name ? { name } : {}), ...(workFolder ? { workFolder } : {}), ...(acks ? { acks } : {}) } : undefined;
  }
  if (type === 'fhir') {
    const o = r.object(value, path, ['type', 'baseUrl', 'resource', 'auth'])!;
    const baseUrl = r.string(o, 'baseUrl', path, true);
    if (baseUrl !== undefined && !/^https?:\/\//.test(baseUrl)) r.fail(join(path, 'baseUrl'), 'must be an http(s) URL');
    const resource = r.oneOf(o, 'resource', path, ['DocumentReference', 'DiagnosticReport'] as const);
    let auth: FhirInboundConfig['auth'];
    if (o['auth'] !== undefined) {
      const ap = join(path, 'auth');
      const authType = (o['auth'] as { type?: unknown } | null)?.type;
      if (authType === 'bearer') {
        const a = r.object(o['auth'], ap, ['type', 'tokenFile'])!;
        const tokenFile = r.path(a, 'tokenFile', ap, true);
        if (tokenFile) auth = { type: 'bearer', tokenFile };
      } else if (authType === 'smart-backend') {
        const a = r.object(o['auth'], ap, ['type', 'tokenUrl', 'clientId', 'keyFile', 'keyId', 'scope'])!;
        const tokenUrl = r.string(a, 'tokenUrl', ap, true);
        const clientId = r.string(a, 'clientId', ap, true);
        const keyFile = r.path(a, 'keyFile', ap, true);
        const keyId = r.string(a, 'keyId', ap, true);
        const scope = r.string(a, 'scope', ap);
        if (tokenUrl && clientId && keyFile && keyId) auth = { type: 'smart-backend', tokenUrl, clientId, keyFile, keyId, ...(scope ? { scope } : {}) };
      } else {
        r.fail(join(ap, 'type'), authType === undefined ? 'missing' : "must be 'bearer' or 'smart-backend'");
      }
    }
    return baseUrl ? { type, baseUrl, ...(resource ? { resource } : {}), ...(auth ? { auth } : {}) } : undefined;
  }
  if (type === 'mllp') {
    const o = r.object(value, path, ['type', 'host', 'port', 'ackTimeoutMs', 'minIntervalMs'])!;
    const host = r.string(o, 'host', path, true);
    if (o['port'] === undefined) r.fail(join(path, 'port'), 'missing');
    const port = r.number(o, 'port', path, { min: 1, max: 65535, integer: true });
    const ackTimeoutMs = r.number(o, 'ackTimeoutMs', path, { min: 100, max: 600_000, integer: true });
    const minIntervalMs = r.number(o, 'minIntervalMs', path, { min: 0, max: 60_000, integer: true });
    return host && port ? { type, host, port, ...(ackTimeoutMs !== undefined ? { ackTimeoutMs } : {}), ...(minIntervalMs !== undefined ? { minIntervalMs } : {}) } : undefined;
  }
  return r.fail(join(path, 'type'), type === undefined ? 'missing' : "must be 'file-drop', 'fhir' or 'mllp'");
}

function readOutbound(r: Reader, value: Json, path: string): FileDropOutboundConfig | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return r.fail(path, 'must be an object');
  const type = (value as { type?: unknown }).type;
  if (type !== 'file-drop') return r.fail(join(path, 'type'), type === undefined ? 'missing' : "must be 'file-drop'");
  const o = r.object(value, path, ['type', 'folder', 'to', 'routes', 'messageTypes', 'settleMs', 'pollSeconds', 'receipts'])!;
  const folder = r.path(o, 'folder', path, true);
  const to = r.address(o, 'to', path);
  const routes: Record<string, string> = {};
  if (o['routes'] !== undefined) {
    const routesObj = o['routes'];
    if (typeof routesObj !== 'object' || routesObj === null || Array.isArray(routesObj)) r.fail(join(path, 'routes'), 'must be an object of facility → address');
    else for (const key of Object.keys(routesObj)) {
      const address = r.address(routesObj as Record<string, Json>, key, join(path, 'routes'));
      if (address) routes[key] = address;
    }
  }
  let messageTypes: string[] | undefined;
  if (o['messageTypes'] !== undefined) {
    const list = o['messageTypes'];
    if (!Array.isArray(list) || list.length === 0 || !list.every((t) => typeof t === 'string' && /^[A-Z0-9]{3}$/.test(t))) r.fail(join(path, 'messageTypes'), 'must be a non-empty list of HL7 message codes such as "ORU"');
    else messageTypes = list as string[];
  }
  const settleMs = r.number(o, 'settleMs', path, { min: 0, max: 3_600_000, integer: true });
  const pollSeconds = r.number(o, 'pollSeconds', path, { min: 0.01, max: 3600 });
  if (o['receipts'] !== undefined && typeof o['receipts'] !== 'boolean') r.fail(join(path, 'receipts'), 'must be true or false');
  if (!folder) return undefined;
  return {
    type,
    folder,
    ...(to ? { to } : {}),
    ...(Object.keys(routes).length ? { routes } : {}),
    ...(messageTypes ? { messageTypes } : {}),
    ...(settleMs !== undefined ? { settleMs } : {}),
    ...(pollSeconds !== undefined ? { pollSeconds } : {}),
    ...(typeof o['receipts'] === 'boolean' ? { receipts: o['receipts'] } : {}),
  };
}

/**
 * Validates a parsed agent configuration (see docs/adapters/agent.md) and returns it with
 * defaults applied and every relative path resolved against `baseDir` (the configuration file's
 * folder). Throws {@link AgentConfigError} (`ERR_AGENT_CONFIG`) listing every bad member by path,
 * e.g. `inbound[1].folder: missing`. It checks shape only; files are opened when the agent starts.
 */
export function validateAgentConfig(value: unknown, options: { baseDir: string; source?: string }): AgentConfig {
  const r = new Reader(options.baseDir);
  const root = r.object(value, '', ['$comment', 'identity', 'trust', 'relay', 'state', 'health', 'log', 'match', 'batchSize', 'cryptoWorkers', 'inbound', 'outbound', 'recipients', 'directory']);
  if (!root) throw new AgentConfigError(r.problems, options.source);

  let identity: IdentityConfig | undefined;
  if (root['identity'] === undefined) r.fail('identity', 'missing');
  else {
    const o = r.object(root['identity'], 'identity', ['dir', 'passphraseFile']);
    const dir = o && r.path(o, 'dir', 'identity', true);
    const passphraseFile = o && r.path(o, 'passphraseFile', 'identity');
    if (dir) identity = { dir, ...(passphraseFile ? { passphraseFile } : {}) };
  }

  const trust: string[] = [];
  if (root['trust'] === undefined) r.fail('trust', 'missing (PEM files of the trust anchors)');
  else if (!Array.isArray(root['trust']) || root['trust'].length === 0) r.fail('trust', 'must be a non-empty list of PEM files');
  else for (const [i, file] of (root['trust'] as Json[]).entries()) {
    if (typeof file !== 'string' || file === '') r.fail(join('trust', i), 'must be a file path');
    else trust.push(isAbsolute(file) ? file : resolve(options.baseDir, file));
  }

  let relay: AgentConfig['relay'] | undefined;
  if (root['relay'] === undefined) r.fail('relay', 'missing');
  else {
    const o = r.object(root['relay'], 'relay', ['url', 'pollSeconds']);
    const url = o && r.string(o, 'url', 'relay', true);
    if (url !== undefined && !/^https?:\/\//.test(url)) r.fail('relay.url', 'must be an http(s) URL');
    const pollSeconds = o && r.number(o, 'pollSeconds', 'relay', { min: 0.01, max: 3600 });
    if (url) relay = { url, pollSeconds: pollSeconds ?? 10 };
  }

  const state = r.path(root, 'state', '', true);

  let health: AgentConfig['health'];
  if (root['health'] !== undefined) {
    const o = r.object(root['health'], 'health', ['host', 'port']);
    if (o) {
      const host = r.string(o, 'host', 'health') ?? '127.0.0.1';
      // The endpoint tells anyone who can reach it about queue sizes and errors: loopback only.
      if (!['127.0.0.1', '::1', 'localhost'].includes(host)) r.fail('health.host', 'must be a loopback address (127.0.0.1, ::1 or localhost)');
      if (o['port'] === undefined) r.fail('health.port', 'missing');
      const port = r.number(o, 'port', 'health', { min: 0, max: 65535, integer: true });
      if (port !== undefined) health = { host, port };
    }
  }

  const log: AgentConfig['log'] = { level: 'info' };
  if (root['log'] !== undefined) {
    const o = r.object(root['log'], 'log', ['level', 'file']);
    if (o) {
      log.level = r.oneOf(o, 'level', 'log', LEVELS) ?? 'info';
      const file = r.path(o, 'file', 'log');
      if (file) log.file = file;
    }
  }

  const match: AgentConfig['match'] = {};
  if (root['match'] !== undefined) {
    const o = r.object(root['match'], 'match', ['patients', 'highThreshold', 'lowThreshold']);
    if (o) {
      const patients = r.path(o, 'patients', 'match');
      const high = r.number(o, 'highThreshold', 'match', { min: 0, max: 1 });
      const low = r.number(o, 'lowThreshold', 'match', { min: 0, max: 1 });
      if (high !== undefined && low !== undefined && low > high) r.fail('match.lowThreshold', `must not exceed highThreshold (${high})`);
      if (patients) match.patients = patients;
      if (high !== undefined) match.highThreshold = high;
      if (low !== undefined) match.lowThreshold = low;
    }
  }

  const batchSize = r.number(root, 'batchSize', '', { min: 1, max: 1000, integer: true }) ?? 20;
  const cores = availableParallelism();
  const cryptoWorkers = r.number(root, 'cryptoWorkers', '', { min: 0, max: 64, integer: true }) ?? (cores > 1 ? Math.min(4, cores) : 0);

  const inbound: InboundConfig[] = [];
  if (root['inbound'] !== undefined) {
    if (!Array.isArray(root['inbound'])) r.fail('inbound', 'must be a list');
    else for (const [i, item] of (root['inbound'] as Json[]).entries()) {
      const read = readInbound(r, item, join('inbound', i));
      if (read) inbound.push(read);
    }
  }
  const outbound: FileDropOutboundConfig[] = [];
  if (root['outbound'] !== undefined) {
    if (!Array.isArray(root['outbound'])) r.fail('outbound', 'must be a list');
    else for (const [i, item] of (root['outbound'] as Json[]).entries()) {
      const read = readOutbound(r, item, join('outbound', i));
      if (read) outbound.push(read);
    }
  }
  if (Array.isArray(root['inbound']) && root['inbound'].length > 0 && !inbound.some((t) => t.type === 'fhir') && !match.patients) {
    // Folder and MLLP EMRs cannot be searched: the agent matches against an exported patient list.
    r.fail('match.patients', 'missing: without a FHIR inbound adapter to search, the agent needs a patient list (JSON) to match against');
  }

  const recipients: Record<string, string> = {};
  if (root['recipients'] !== undefined) {
    const o = root['recipients'];
    if (typeof o !== 'object' || o === null || Array.isArray(o)) r.fail('recipients', 'must be an object of address → certificate file');
    else for (const [address, file] of Object.entries(o as Record<string, Json>)) {
      if (!ADDRESS.test(address)) r.fail(join('recipients', address), 'the key must be a Sealpost address (name@domain)');
      else if (typeof file !== 'string' || file === '') r.fail(join('recipients', address), 'must be a certificate file path');
      else recipients[address.toLowerCase()] = isAbsolute(file) ? file : resolve(options.baseDir, file);
    }
  }

  let directory: AgentConfig['directory'];
  if (root['directory'] !== undefined) {
    const o = r.object(root['directory'], 'directory', ['urls', 'requireSignature']);
    if (o) {
      const urls = o['urls'];
      if (urls === undefined) r.fail('directory.urls', 'missing');
      else if (!Array.isArray(urls) || urls.length === 0) r.fail('directory.urls', 'must be a non-empty list of directory base URLs');
      else (urls as Json[]).forEach((u, i) => typeof u === 'string' && /^https?:\/\//.test(u) ? undefined : r.fail(join('directory.urls', i), 'must be an http(s) URL'));
      if (o['requireSignature'] !== undefined && typeof o['requireSignature'] !== 'boolean') r.fail('directory.requireSignature', 'must be true or false');
      if (Array.isArray(urls)) directory = { urls: urls as string[], requireSignature: o['requireSignature'] !== false };
    }
  }

  if (r.problems.length > 0 || !identity || !relay || !state) throw new AgentConfigError(r.problems, options.source);
  return { identity, trust, relay, state, ...(health ? { health } : {}), log, match, batchSize, cryptoWorkers, inbound, outbound, recipients, ...(directory ? { directory } : {}) };
}

/** Reads and validates an agent configuration file (JSON). Relative paths in it are relative to the file's folder. Throws `ERR_AGENT_CONFIG`. */
export function loadAgentConfig(file: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new AgentConfigError([{ path: '(file)', message: `cannot read ${file}: ${(error as Error).message}` }], file);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new AgentConfigError([{ path: '(root)', message: `not JSON: ${(error as Error).message}` }], file);
  }
  return validateAgentConfig(value, { baseDir: dirname(resolve(file)), source: file });
}
