import type { Bundle, Endpoint, Organization, Resource } from '@medplum/fhirtypes';
import { validateChain } from '../crypto/index.js';
import type { TrustStore } from '../crypto/index.js';
import { certInfo } from '../crypto/internal/cert.js';
import { sha256, toHex } from '../crypto/internal/bytes.js';
import { namesRelay } from './discover-relay.js';
import { DirectoryError } from './errors.js';
import { DIRECTORY_URIS, SIGNATURE_HEADER } from './names.js';
import type { PayloadType } from './names.js';
import { readEndpoint } from './read-endpoint.js';
import { verifyAnswer } from './verify-answer.js';
import type { VerifiedAnswer } from './verify-answer.js';

/** Options for {@link DirectoryClient}. */
export interface DirectoryClientOptions {
  /** Directory base URLs (`https://relay.example/fhir`), searched together. */
  directories: string[];
  /** Anchors for the relays' answer signatures and for recipients' encryption certificates. */
  trust: TrustStore;
  /** How long a resolved address is reused, ms. Default 15 minutes. */
  ttlMs?: number;
  /** Verify every answer's signature and refuse unsigned ones. Default true; false (no signature checked) only for development directories. */
  requireSignature?: boolean;
  /**
   * Directory base URL → mail domain of the relay serving it: that directory's answers must be
   * signed by a certificate naming `relay@DOMAIN` (not merely by any trusted relay), else
   * `ERR_DIRECTORY_SIGNATURE`. Directories not listed only need a trusted signer. Default none.
   */
  signers?: Record<string, string>;
  /** Check each recipient certificate against `trust` (use `encrypt`) and its address. Default true. */
  validateCertificates?: boolean;
  /** Certificates seen before (address → SHA-256 hex), e.g. persisted by the application. Default empty. */
  knownCertificates?: Map<string, string>;
  /** Called (as well as the `certificate-change` event) when a known address shows a new certificate. */
  onCertificateChange?: (change: CertificateChange) => void;
  /** Per-request timeout, ms. Default 10 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => Date;
}

/** A known address whose certificate is not the one seen before: key rollover, or an attack. */
export interface CertificateChange {
  address: string;
  previousFingerprint: string;
  fingerprint: string;
  certificate: Uint8Array;
  directory: string;
}

/** Fired on {@link DirectoryClient} (an EventTarget) as `certificate-change`. */
export class CertificateChangeEvent extends Event {
  readonly change: CertificateChange;
  constructor(change: CertificateChange) {
    super('certificate-change');
    this.change = change;
  }
}

/** An address resolved through a directory. */
export interface ResolvedAddress {
  address: string;
  endpoint: Endpoint;
  relayUrl: string;
  payloadTypes: PayloadType[];
  /** The encryption certificate (DER), validated unless validation was turned off. */
  certificate: Uint8Array;
  /** SHA-256 of the certificate, hex. */
  fingerprint: string;
  certificateExpiresAt: Date;
  organization: Organization | undefined;
  /** Which directory answered and who signed the answer. */
  directory: string;
  signature: VerifiedAnswer | undefined;
  /** True when this address was known with a different certificate (warned through the event too). */
  certificateChanged: boolean;
  previousFingerprint?: string;
}

/** One directory's failure inside a federated search. */
export interface DirectoryFailure {
  directory: string;
  error: DirectoryError;
}

/** A federated search answer: matches merged and de-duplicated, plus what was `_include`d. */
export interface FederatedSearchResult {
  matches: { resource: Resource; directory: string }[];
  included: { resource: Resource; directory: string }[];
  failures: DirectoryFailure[];
}

/** One line of a typeahead answer ({@link DirectoryClient.find}). */
export interface DirectoryContact {
  kind: 'PractitionerRole' | 'Organization' | 'HealthcareService';
  /** "Dr Jane Citizen — Harbourside Medical Centre, Manly" */
  display: string;
  address: string | undefined;
  directory: string;
  resource: Resource;
}

interface Answer {
  body: unknown;
  signature: VerifiedAnswer | undefined;
  status: number;
}

interface CacheEntry {
  value: ResolvedAddress;
  expires: number;
}

const ADDRESS = /^[^\s@]{1,64}@[A-Za-z0-9.-]{1,190}$/;

const keyOf = (resource: Resource, directory: string): string => {
  const r = resource as Resource & { identifier?: { system?: string; value?: string }[] };
  const id = r.identifier?.find((i) => i.system && i.value);
  // The same provider published by two directories carries the same identifier (HPI-I, NPI,
  // Sealpost address); without one, a resource is only the same as itself in its own directory
  // (ids are local: two directories may use one id for different providers).
  return id ? `${resource.resourceType}|${id.system}|${id.value}` : `${directory}|${resource.resourceType}/${resource.id ?? ''}`;
};

/**
 * Searches one or several FHIR directories (federated: answers merged and de-duplicated by
 * identifier), verifies every answer's relay signature against the trust store, resolves a Sealpost
 * address to its Endpoint and encryption certificate (cached for `ttlMs`), and warns — a
 * `certificate-change` event, the `onCertificateChange` callback and `certificateChanged` on the
 * result — when a known address comes back with another certificate.
 *
 * @example
 * const directory = new DirectoryClient({ directories: ['https://relay.gp.example/fhir'], trust });
 * const recipient = await directory.resolve('jane@harbourside.example');
 * const payload = producePayload(recipient.payloadTypes, letter);
 */
export class DirectoryClient extends EventTarget {
  readonly #options: DirectoryClientOptions;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #known: Map<string, string>;
  readonly #fetch: typeof fetch;

  constructor(options: DirectoryClientOptions) {
    super();
    if (options.directories.length === 0) throw new TypeError('DirectoryClient: at least one directory is required');
    this.#options = options;
    this.#known = options.knownCertificates ?? new Map();
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  get #now(): Date {
    return this.#options.now?.() ?? new Date();
  }

  /** Fetches and verifies one directory answer. Throws DirectoryError. */
  async #get(directory: string, path: string): Promise<Answer> {
    const url = `${directory.replace(/\/$/, '')}/${path}`;
    let response: Response;
    try {
      response = await this.#fetch(url, { headers: { accept: 'application/fhir+json' }, signal: AbortSignal.timeout(this.#options.timeoutMs ?? 10_000) });
    } catch (error) {
      throw new DirectoryError('ERR_DIRECTORY_HTTP', `directory ${directory} is unreachable: ${(error as Error).message}`, { cause: error, directory });
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    const header = response.headers.get(SIGNATURE_HEADER);
    let signature: VerifiedAnswer | undefined;
    if (this.#options.requireSignature !== false) {
      signature = await verifyAnswer(bytes, header, { trust: this.#options.trust, url, now: this.#now, directory });
      const relay = this.#options.signers?.[directory];
      if (relay !== undefined && !namesRelay(signature.certificate, relay)) throw new DirectoryError('ERR_DIRECTORY_SIGNATURE', `directory ${directory} answered with a signature by ${signature.signer}, not by relay@${relay}`, { directory });
    }
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(bytes));
    } catch (error) {
      throw new DirectoryError('ERR_DIRECTORY_RESPONSE', `directory ${directory} answered ${response.status} with no JSON`, { cause: error, directory });
    }
    if (!response.ok && response.status !== 404) {
      const diagnostics = (body as { issue?: { diagnostics?: string }[] }).issue?.[0]?.diagnostics ?? '';
      throw new DirectoryError('ERR_DIRECTORY_HTTP', `directory ${directory} answered ${response.status} ${diagnostics}`.trim(), { directory });
    }
    return { body, signature, status: response.status };
  }

  /**
   * Runs one FHIR search on every directory at once. Matches the same provider in several directories
   * (same identifier) appear once, from the first directory listed. A directory that fails (down,
   * bad signature) is reported in `failures`, never silently merged.
   */
  async search(resourceType: string, params: Record<string, string | string[]> = {}): Promise<FederatedSearchResult> {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) for (const value of Array.isArray(v) ? v : [v]) query.append(k, value);
    const qs = query.toString();
    const answers = await Promise.allSettled(this.#options.directories.map((d) => this.#get(d, `${resourceType}${qs ? `?${qs}` : ''}`)));
    const result: FederatedSearchResult = { matches: [], included: [], failures: [] };
    const seen = new Set<string>();
    const seenIncluded = new Set<string>();
    answers.forEach((answer, i) => {
      const directory = this.#options.directories[i]!;
      if (answer.status === 'rejected') {
        const error = answer.reason instanceof DirectoryError ? answer.reason : new DirectoryError('ERR_DIRECTORY_RESPONSE', String(answer.reason), { cause: answer.reason, directory });
        result.failures.push({ directory, error });
        return;
      }
      const bundle = answer.value.body as Bundle;
      if (bundle.resourceType !== 'Bundle') {
        result.failures.push({ directory, error: new DirectoryError('ERR_DIRECTORY_RESPONSE', `directory ${directory} did not answer a Bundle`, { directory }) });
        return;
      }
      for (const entry of bundle.entry ?? []) {
        if (!entry.resource) continue;
        const key = keyOf(entry.resource, directory);
        if (entry.search?.mode === 'include') {
          if (!seenIncluded.has(key)) result.included.push({ resource: entry.resource, directory });
          seenIncluded.add(key);
        } else {
          if (!seen.has(key)) result.matches.push({ resource: entry.resource, directory });
          seen.add(key);
        }
      }
    });
    return result;
  }

  /**
   * Typeahead over every directory: practitioners (through their roles), organisations and services
   * whose name starts with `text` (any word), each with its Sealpost address when it has one.
   */
  async find(text: string, options: { count?: number } = {}): Promise<{ contacts: DirectoryContact[]; failures: DirectoryFailure[] }> {
    const count = String(options.count ?? 10);
    const [roles, orgs, services] = await Promise.all([
      this.search('PractitionerRole', { 'practitioner.name': text, _count: count, _include: ['PractitionerRole:practitioner', 'PractitionerRole:organization', 'PractitionerRole:endpoint'] }),
      this.search('Organization', { name: text, _count: count, _include: 'Organization:endpoint' }),
      this.search('HealthcareService', { name: text, _count: count, _include: ['HealthcareService:organization', 'HealthcareService:endpoint'] }),
    ]);
    const byRef = new Map<string, Resource>();
    for (const { resource, directory } of [...roles.included, ...orgs.included, ...services.included, ...orgs.matches]) byRef.set(`${directory}|${resource.resourceType}/${resource.id}`, resource);
    const lookup = <T extends Resource>(directory: string, ref: string | undefined): T | undefined => (ref ? (byRef.get(`${directory}|${ref}`) as T | undefined) : undefined);
    const addressOf = (directory: string, refs: { reference?: string }[] | undefined): string | undefined => {
      for (const ref of refs ?? []) {
        const endpoint = lookup<Endpoint>(directory, ref.reference);
        const address = endpoint ? readEndpoint(endpoint).address : undefined;
        if (address) return address;
      }
      return undefined;
    };
    const place = (org: Organization | undefined): string => [org?.name, org?.address?.[0]?.city].filter(Boolean).join(', ');
    const contacts: DirectoryContact[] = [];
    for (const { resource, directory } of roles.matches) {
      const role = resource as Resource & { practitioner?: { reference?: string }; organization?: { reference?: string }; endpoint?: { reference?: string }[] };
      const practitioner = lookup<Resource & { name?: { text?: string; prefix?: string[]; given?: string[]; family?: string }[] }>(directory, role.practitioner?.reference);
      const name = practitioner?.name?.[0];
      const person = name ? (name.text ?? [...(name.prefix ?? []), ...(name.given ?? []), name.family].filter(Boolean).join(' ')) : (role.id ?? '');
      const org = lookup<Organization>(directory, role.organization?.reference);
      contacts.push({ kind: 'PractitionerRole', display: [person, place(org)].filter(Boolean).join(' — '), address: addressOf(directory, role.endpoint), directory, resource });
    }
    for (const { resource, directory } of services.matches) {
      const service = resource as Resource & { name?: string; providedBy?: { reference?: string }; endpoint?: { reference?: string }[] };
      const org = lookup<Organization>(directory, service.providedBy?.reference);
      contacts.push({ kind: 'HealthcareService', display: [service.name, place(org)].filter(Boolean).join(' — '), address: addressOf(directory, service.endpoint), directory, resource });
    }
    for (const { resource, directory } of orgs.matches) {
      const org = resource as Organization;
      contacts.push({ kind: 'Organization', display: place(org), address: addressOf(directory, org.endpoint), directory, resource });
    }
    // The same person or service reached at the same address through two directories is one contact.
    const seen = new Set<string>();
    const unique = contacts.filter((c) => {
      if (c.address === undefined) return true;
      const key = `${c.kind}|${c.address}|${c.display}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    return { contacts: unique, failures: [...roles.failures, ...orgs.failures, ...services.failures] };
  }

  /**
   * Resolves a Sealpost address to its Endpoint, relay URL, payload types and encryption
   * certificate. Directories are asked in order; the first that lists the address answers. A
   * directory whose answer fails verification stops the resolution (the sender must not fall back
   * to another source silently). Cached for `ttlMs`.
   *
   * Throws DirectoryError: `ERR_DIRECTORY_SIGNATURE` / `ERR_DIRECTORY_UNTRUSTED` (answer not
   * verifiable), `ERR_DIRECTORY_NOT_FOUND`, `ERR_DIRECTORY_CERTIFICATE` (no, expired, untrusted
   * certificate or one issued for another address), `ERR_DIRECTORY_HTTP` (no directory reachable).
   */
  async resolve(address: string, options: { fresh?: boolean } = {}): Promise<ResolvedAddress> {
    if (!ADDRESS.test(address)) throw new TypeError(`resolve: '${address}' is not a Sealpost address`);
    const key = address.toLowerCase();
    const cached = this.#cache.get(key);
    const now = this.#now;
    if (cached && !options.fresh && cached.expires > now.getTime()) return cached.value;
    let unreachable: DirectoryError | undefined;
    for (const directory of this.#options.directories) {
      let answer: Answer;
      try {
        answer = await this.#get(directory, `Endpoint?identifier=${encodeURIComponent(`${DIRECTORY_URIS.address}|${key}`)}&_include=Endpoint:organization`);
      } catch (error) {
        if (error instanceof DirectoryError && error.code === 'ERR_DIRECTORY_HTTP') {
          unreachable ??= error;
          continue;
        }
        throw error;
      }
      const bundle = answer.body as Bundle;
      const endpoints = (bundle.entry ?? []).filter((e) => e.search?.mode !== 'include' && e.resource?.resourceType === 'Endpoint').map((e) => e.resource as Endpoint);
      if (endpoints.length === 0) continue;
      if (endpoints.length > 1) throw new DirectoryError('ERR_DIRECTORY_AMBIGUOUS', `directory ${directory} lists ${endpoints.length} endpoints for ${key}`, { directory });
      const endpoint = endpoints[0]!;
      const info = readEndpoint(endpoint);
      if (!info.active) throw new DirectoryError('ERR_DIRECTORY_NOT_FOUND', `the endpoint of ${key} is ${endpoint.status ?? 'inactive'}`, { directory });
      if (!info.relayUrl) throw new DirectoryError('ERR_DIRECTORY_RESPONSE', `the endpoint of ${key} has no relay URL`, { directory });
      if (!info.certificate) throw new DirectoryError('ERR_DIRECTORY_CERTIFICATE', `the endpoint of ${key} publishes no encryption certificate`, { directory });
      await this.#checkCertificate(info.certificate, key, directory, now);
      const fingerprint = toHex(await sha256(info.certificate));
      const previous = this.#known.get(key);
      const changed = previous !== undefined && previous !== fingerprint;
      this.#known.set(key, fingerprint);
      const orgRef = endpoint.managingOrganization?.reference;
      const organization = (bundle.entry ?? []).find((e) => e.search?.mode === 'include' && orgRef?.endsWith(`Organization/${e.resource?.id}`))?.resource as Organization | undefined;
      const value: ResolvedAddress = {
        address: key,
        endpoint,
        relayUrl: info.relayUrl,
        payloadTypes: info.payloadTypes,
        certificate: info.certificate,
        fingerprint,
        certificateExpiresAt: certInfo(info.certificate).notAfter,
        organization,
        directory,
        signature: answer.signature,
        certificateChanged: changed,
        ...(changed ? { previousFingerprint: previous } : {}),
      };
      if (changed) {
        const change: CertificateChange = { address: key, previousFingerprint: previous, fingerprint, certificate: info.certificate, directory };
        this.#options.onCertificateChange?.(change);
        this.dispatchEvent(new CertificateChangeEvent(change));
      }
      this.#cache.set(key, { value, expires: now.getTime() + (this.#options.ttlMs ?? 15 * 60_000) });
      return value;
    }
    if (unreachable && this.#options.directories.length === 1) throw unreachable;
    throw new DirectoryError('ERR_DIRECTORY_NOT_FOUND', `${key} is not listed in ${unreachable ? 'any reachable directory' : 'the directory'}`, unreachable ? { cause: unreachable } : {});
  }

  async #checkCertificate(certificate: Uint8Array, address: string, directory: string, now: Date): Promise<void> {
    if (this.#options.validateCertificates === false) return;
    let info;
    try {
      info = certInfo(certificate);
    } catch (error) {
      throw new DirectoryError('ERR_DIRECTORY_CERTIFICATE', `the certificate published for ${address} is unreadable`, { cause: error, directory });
    }
    if (!info.emails.includes(address)) throw new DirectoryError('ERR_DIRECTORY_CERTIFICATE', `the certificate published for ${address} is issued to ${info.emails.join(', ') || info.subject}`, { directory });
    try {
      await validateChain(certificate, this.#options.trust, { use: 'encrypt', at: now });
    } catch (error) {
      throw new DirectoryError('ERR_DIRECTORY_CERTIFICATE', `the certificate published for ${address} is not valid: ${(error as Error).message}`, { cause: error, directory });
    }
  }

  /** Forgets cached resolutions (one address, or all). Known certificates are kept. */
  invalidate(address?: string): void {
    if (address === undefined) this.#cache.clear();
    else this.#cache.delete(address.toLowerCase());
  }
}
