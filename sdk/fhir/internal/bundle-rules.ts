import type { FhirIssue } from '../errors.js';

const SEALPOST_PROFILE_BASE = 'https://sealpost.org/fhir/StructureDefinition/';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

interface Entry {
  index: number;
  fullUrl?: string;
  resource?: Json;
}

/** `http://x/fhir/Patient/1` → { base: 'http://x/fhir/', type: 'Patient', id: '1' }. */
function splitRestUrl(url: string): { base: string; type: string; id: string } | undefined {
  const m = /^(.*?)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/.exec(url);
  return m ? { base: m[1]!, type: m[2]!, id: m[3]! } : undefined;
}

/**
 * Every literal reference in `resource` with its location, not descending into nested Bundles
 * (their references resolve inside themselves) nor into contained resources' own `#` scope.
 */
function collectReferences(resource: Json, base: string): Array<{ reference: string; location: string }> {
  const out: Array<{ reference: string; location: string }> = [];
  const stack: Array<[unknown, string]> = [[resource, base]];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push([node[i], `${path}[${i}]`]);
    } else if (isObject(node)) {
      if (node !== resource && node['resourceType'] === 'Bundle') continue;
      if (typeof node['reference'] === 'string') out.push({ reference: node['reference'], location: `${path}.reference` });
      for (const [key, child] of Object.entries(node)) {
        if (child !== null && typeof child === 'object') stack.push([child, `${path}.${key}`]);
      }
    }
  }
  return out;
}

/**
 * `#id` references resolve to a contained resource of the resource that holds them (R4 §2.3.0.3
 * "Contained resources"); `#` alone is the container itself.
 */
export function containedReferenceIssues(resource: Json, base: string): FhirIssue[] {
  const ids = new Set<string>();
  if (Array.isArray(resource['contained'])) {
    for (const c of resource['contained']) if (isObject(c) && typeof c['id'] === 'string') ids.add(c['id']);
  }
  const issues: FhirIssue[] = [];
  for (const { reference, location } of collectReferences(resource, base)) {
    if (!reference.startsWith('#') || reference === '#') continue;
    if (!ids.has(reference.slice(1))) issues.push({ code: 'ERR_FHIR_REFERENCE', location, reason: `'${reference}' names no contained resource` });
  }
  return issues;
}

/**
 * Rules of R4 Bundle (§2.36) the JSON schema cannot say: bdl-1/2/3/4/7/9/10/11/12, and that
 * references inside the bundle resolve (§2.36.4). `base` is the location of the bundle.
 */
export function bundleIssues(bundle: Json, base: string): FhirIssue[] {
  const issues: FhirIssue[] = [];
  const type = bundle['type'];
  const entries: Entry[] = [];
  if (Array.isArray(bundle['entry'])) {
    bundle['entry'].forEach((e, index) => {
      if (!isObject(e)) return;
      const entry: Entry = { index };
      if (typeof e['fullUrl'] === 'string') entry.fullUrl = e['fullUrl'];
      if (isObject(e['resource'])) entry.resource = e['resource'];
      entries.push(entry);
      const at = `${base}.entry[${index}]`;
      if ((type === 'batch' || type === 'transaction' || type === 'history') && !isObject(e['request'])) {
        issues.push({ code: 'ERR_FHIR_BUNDLE', location: `${at}.request`, reason: `required in a ${type} bundle (bdl-3)` });
      }
      if ((type === 'batch-response' || type === 'transaction-response' || type === 'history') && !isObject(e['response'])) {
        issues.push({ code: 'ERR_FHIR_BUNDLE', location: `${at}.response`, reason: `required in a ${type} bundle (bdl-4)` });
      }
      if (e['search'] !== undefined && type !== 'searchset') {
        issues.push({ code: 'ERR_FHIR_BUNDLE', location: `${at}.search`, reason: 'only allowed in a searchset bundle (bdl-2)' });
      }
      if (entry.resource === undefined && e['request'] === undefined && e['response'] === undefined) {
        issues.push({ code: 'ERR_FHIR_BUNDLE', location: at, reason: 'entry has no resource, request or response (bdl-5)' });
      }
      if (entry.fullUrl !== undefined && entry.fullUrl.includes('/_history/')) {
        issues.push({ code: 'ERR_FHIR_FULLURL', location: `${at}.fullUrl`, reason: 'fullUrl must not be a version-specific reference (bdl-8)' });
      }
    });
  }
  if (bundle['total'] !== undefined && type !== 'searchset' && type !== 'history') {
    issues.push({ code: 'ERR_FHIR_BUNDLE', location: `${base}.total`, reason: 'only allowed in a searchset or history bundle (bdl-1)' });
  }

  // bdl-7: fullUrl unique, unless the entries are versions (different meta.versionId). History
  // bundles legitimately repeat a fullUrl.
  if (type !== 'history') {
    const seen = new Map<string, number>();
    for (const entry of entries) {
      if (entry.fullUrl === undefined) continue;
      const version = entry.resource && isObject(entry.resource['meta']) ? entry.resource['meta']['versionId'] : undefined;
      const key = `${entry.fullUrl}\u0000${typeof version === 'string' ? version : ''}`;
      const first = seen.get(key);
      if (first !== undefined) {
        issues.push({ code: 'ERR_FHIR_FULLURL', location: `${base}.entry[${entry.index}].fullUrl`, reason: `duplicate fullUrl '${entry.fullUrl}' (also entry[${first}]) (bdl-7)` });
      } else seen.set(key, entry.index);
    }
  }

  if (type === 'document' || type === 'message') {
    const first = entries.find((e) => e.index === 0)?.resource;
    const wanted = type === 'document' ? 'Composition' : 'MessageHeader';
    if (!first || first['resourceType'] !== wanted) {
      const found = first ? `a ${String(first['resourceType'])}` : 'nothing';
      issues.push({ code: 'ERR_FHIR_BUNDLE', location: `${base}.entry[0].resource`, reason: `the first entry of a ${type} bundle must be a ${wanted}, found ${found} (${type === 'document' ? 'bdl-11' : 'bdl-12'})` });
    }
    if (type === 'document') {
      const identifier = bundle['identifier'];
      if (!isObject(identifier) || typeof identifier['system'] !== 'string' || typeof identifier['value'] !== 'string') {
        issues.push({ code: 'ERR_FHIR_BUNDLE', location: `${base}.identifier`, reason: 'a document bundle needs identifier.system and identifier.value (bdl-9)' });
      }
      if (typeof bundle['timestamp'] !== 'string') {
        issues.push({ code: 'ERR_FHIR_BUNDLE', location: `${base}.timestamp`, reason: 'a document bundle needs a timestamp (bdl-10)' });
      }
    }
    for (const entry of entries) {
      if (entry.fullUrl === undefined && entry.resource !== undefined) {
        issues.push({ code: 'ERR_FHIR_FULLURL', location: `${base}.entry[${entry.index}].fullUrl`, reason: `every entry of a ${type} bundle needs a fullUrl to be referenced` });
      }
    }
  }
  issues.push(...referenceIssues(entries, base, type === 'document' || claimsSealpostProfile(bundle)));
  return issues;
}

function claimsSealpostProfile(resource: Json): boolean {
  const meta = resource['meta'];
  return isObject(meta) && Array.isArray(meta['profile']) && meta['profile'].some((p) => typeof p === 'string' && p.startsWith(SEALPOST_PROFILE_BASE));
}

/**
 * R4 §2.36.4: an absolute reference (a URL or urn) resolves to the entry with that fullUrl; a
 * relative one (`Patient/1`) to the entry whose fullUrl is the referencing entry's base plus it.
 * `urn:` references can resolve nowhere else, so they must resolve in every bundle. A document
 * must include what it references (R4 §3.3.1 "Document content"), and so must our own profiles;
 * every reference there must resolve. Elsewhere absolute http(s) and relative references may
 * point to a server; messages, too, may reference resources on the sender's server (R4
 * §4.4.1.6), as the R4 example messages do.
 */
function referenceIssues(entries: Entry[], base: string, selfContained: boolean): FhirIssue[] {
  const issues: FhirIssue[] = [];
  const fullUrls = new Set<string>();
  const typeIds = new Set<string>();
  for (const entry of entries) {
    if (entry.fullUrl !== undefined) fullUrls.add(entry.fullUrl);
    const r = entry.resource;
    if (r && typeof r['resourceType'] === 'string' && typeof r['id'] === 'string') typeIds.add(`${r['resourceType']}/${r['id']}`);
  }
  for (const entry of entries) {
    if (!entry.resource) continue;
    const rest = entry.fullUrl === undefined ? undefined : splitRestUrl(entry.fullUrl);
    for (const { reference, location } of collectReferences(entry.resource, `${base}.entry[${entry.index}].resource`)) {
      if (reference.startsWith('#')) continue;
      const target = reference.replace(/\/_history\/[^/]+$/, '');
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
        if (fullUrls.has(target)) continue;
        if (selfContained || target.startsWith('urn:')) issues.push({ code: 'ERR_FHIR_REFERENCE', location, reason: `'${reference}' matches no fullUrl in the bundle` });
        continue;
      }
      if (rest && fullUrls.has(rest.base + target)) continue;
      // Entries without a RESTful fullUrl are still found by type and id, as servers do.
      if (typeIds.has(target) || !selfContained) continue;
      issues.push({ code: 'ERR_FHIR_REFERENCE', location, reason: `'${reference}' resolves to no entry of the bundle` });
    }
  }
  return issues;
}
