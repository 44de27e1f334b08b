/**
 * Imports a published directory: a FHIR Bundle (collection, searchset, transaction or batch — the
 * shapes the Australian provider directory and the US National Directory of Healthcare publish) or
 * a single resource. Organization, Practitioner, PractitionerRole, HealthcareService and Endpoint
 * are kept; other types (Location, …) are skipped and counted. Identifiers with a check-digit rule
 * (HPI-I, HPI-O, NPI, NHS number, ODS) are validated with sdk/fhir; by default one invalid
 * identifier refuses the whole import, so a directory is never half-loaded.
 */
import { validateIdentifier } from '@sealpost/sdk/fhir';
import { isDirectoryType } from './internal/search-params.js';
import type { DirectoryType, Resource } from './internal/search-params.js';
import type { DirectoryStore } from './storage/types.js';

/** Options for {@link importDirectory}. */
export interface ImportOptions {
  /** Import the valid resources and report the invalid ones instead of refusing everything. Default false. */
  skipInvalid?: boolean;
  /** Resources written per transaction. Default 1000. */
  batchSize?: number;
}

/** One invalid resource or identifier in an imported file. */
export interface ImportIssue {
  /** FHIRPath-like location, e.g. `Bundle.entry[3].resource.identifier[0]`. */
  location: string;
  reason: string;
}

/** What {@link importDirectory} did. */
export interface ImportReport {
  imported: Partial<Record<DirectoryType, number>>;
  /** Resource types not held by the directory, with counts. */
  skipped: Record<string, number>;
  /** Invalid resources (not imported). */
  invalid: ImportIssue[];
  /** True when the import was refused (invalid resources and no skipInvalid): nothing was written. */
  refused: boolean;
}

const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const obj = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Rewrites every `reference` found in `map` (urn:uuid fullUrls → Type/id), in place. */
function rewriteReferences(value: unknown, map: Map<string, string>): void {
  if (Array.isArray(value)) {
    for (const item of value) rewriteReferences(item, map);
  } else if (obj(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (key === 'reference' && typeof child === 'string') {
        const target = map.get(child);
        if (target) value[key] = target;
      } else {
        rewriteReferences(child, map);
      }
    }
  }
}

function checkIdentifiers(resource: Resource, location: string): ImportIssue[] {
  const issues: ImportIssue[] = [];
  const identifiers = Array.isArray(resource.identifier) ? (resource.identifier as unknown[]) : [];
  identifiers.forEach((raw, i) => {
    if (!obj(raw)) return issues.push({ location: `${location}.identifier[${i}]`, reason: 'identifier is not an object' });
    const result = validateIdentifier({ ...(typeof raw.system === 'string' ? { system: raw.system } : {}), ...(typeof raw.value === 'string' ? { value: raw.value } : {}) });
    if (!result.valid) issues.push({ location: `${location}.identifier[${i}]`, reason: `${String(raw.value)} (${String(raw.system)}): ${result.reason ?? 'invalid'}` });
    return undefined;
  });
  return issues;
}

/**
 * Reads `input` (parsed JSON) and writes its directory resources to `store`. Never throws for bad
 * data: problems are in the report. Throws TypeError when `input` is not a FHIR resource at all.
 */
export async function importDirectory(store: DirectoryStore, input: unknown, options: ImportOptions = {}): Promise<ImportReport> {
  if (!obj(input) || typeof input.resourceType !== 'string') throw new TypeError('importDirectory: the file is not a FHIR resource or Bundle');
  const entries: { resource: unknown; fullUrl: unknown; location: string }[] =
    input.resourceType === 'Bundle'
      ? (Array.isArray(input.entry) ? (input.entry as unknown[]) : []).map((e, i) => ({ resource: obj(e) ? e.resource : undefined, fullUrl: obj(e) ? e.fullUrl : undefined, location: `Bundle.entry[${i}].resource` }))
      : [{ resource: input, fullUrl: undefined, location: input.resourceType }];

  const report: ImportReport = { imported: {}, skipped: {}, invalid: [], refused: false };
  const kept: { resource: Resource; location: string }[] = [];
  const references = new Map<string, string>();
  for (const { resource, fullUrl, location } of entries) {
    if (!obj(resource) || typeof resource.resourceType !== 'string') {
      report.invalid.push({ location, reason: 'entry has no resource' });
      continue;
    }
    const type = resource.resourceType;
    if (!isDirectoryType(type)) {
      report.skipped[type] = (report.skipped[type] ?? 0) + 1;
      continue;
    }
    const copy = structuredClone(resource) as Resource;
    // Transaction bundles often carry ids only in their urn:uuid fullUrl.
    if (copy.id === undefined && typeof fullUrl === 'string' && fullUrl.startsWith('urn:uuid:')) copy.id = fullUrl.slice('urn:uuid:'.length);
    if (typeof copy.id !== 'string' || !ID.test(copy.id)) {
      report.invalid.push({ location: `${location}.id`, reason: `missing or invalid id '${String(copy.id)}'` });
      continue;
    }
    if (typeof fullUrl === 'string') references.set(fullUrl, `${type}/${copy.id}`);
    const issues = checkIdentifiers(copy, location);
    if (issues.length) {
      report.invalid.push(...issues);
      continue;
    }
    kept.push({ resource: copy, location });
  }
  if (report.invalid.length && !options.skipInvalid) {
    report.refused = true;
    return report;
  }
  for (const { resource } of kept) rewriteReferences(resource, references);
  // Referenced resources first, so chained search terms are copied at once (the store also
  // refreshes them when the target arrives later).
  const order: DirectoryType[] = ['Organization', 'Practitioner', 'Endpoint', 'HealthcareService', 'PractitionerRole'];
  kept.sort((a, b) => order.indexOf(a.resource.resourceType as DirectoryType) - order.indexOf(b.resource.resourceType as DirectoryType));
  const batch = options.batchSize ?? 1000;
  for (let i = 0; i < kept.length; i += batch) await store.put(kept.slice(i, i + batch).map((k) => k.resource));
  for (const { resource } of kept) {
    const type = resource.resourceType as DirectoryType;
    report.imported[type] = (report.imported[type] ?? 0) + 1;
  }
  return report;
}
