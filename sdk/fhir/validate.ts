import type { Resource } from '@medplum/fhirtypes';
import { FhirValidationError } from './errors.js';
import type { FhirIssue } from './errors.js';
import { bundleIssues, containedReferenceIssues } from './internal/bundle-rules.js';
import { coreIssues } from './internal/core-rules.js';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, readJson } from './internal/json-input.js';
import { profileIssues } from './internal/profile-rules.js';
import { isR4ResourceType, schemaIssues, validatorFor } from './internal/schema.js';
import { validateIdentifier } from './validate-identifier.js';

/** Options of {@link validateFhir}. */
export interface ValidateFhirOptions {
  /** Largest input accepted, in bytes (UTF-16 code units for a string). Default 64 MiB. */
  maxBytes?: number;
  /** Deepest nesting of JSON objects and arrays accepted. Default 128. */
  maxDepth?: number;
  /** Stop collecting after this many issues (the result says `truncated`). Default 200. */
  maxIssues?: number;
  /** The resourceType the input must have at its root (e.g. 'Bundle'). Default: any R4 resource. */
  resourceType?: string;
}

/** The outcome of {@link validateFhir}. `resource` is the parsed input when it was a JSON object. */
export interface FhirValidationResult {
  valid: boolean;
  issues: FhirIssue[];
  truncated: boolean;
  resource?: Resource;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Validates a FHIR R4 resource (JSON text, UTF-8 bytes or a parsed object): structure against
 * HL7's R4 JSON schema, every nested resource (bundle entries, contained) against its own
 * definition, Bundle rules the schema cannot express (references resolve, fullUrls unique, a
 * document starts with a Composition, a message with a MessageHeader), the required elements of
 * the Sealpost profiles a resource claims in meta.profile, and identifier check digits
 * (see {@link validateIdentifier}).
 *
 * Never throws for bad data: unusable input (ERR_FHIR_JSON, ERR_FHIR_TOO_LARGE, ERR_FHIR_TOO_DEEP)
 * comes back as a single issue at `(input)`. Locations are FHIRPath-like: `Bundle.entry[3].resource.subject`.
 * May throw NotSupportedError where the runtime forbids code generation (MV3 service workers).
 *
 * @example
 * const { valid, issues } = validateFhir(text);
 * for (const i of issues) console.log(`${i.location}: ${i.reason}`);
 */
export function validateFhir(input: string | Uint8Array | object, options: ValidateFhirOptions = {}): FhirValidationResult {
  const maxIssues = options.maxIssues ?? 200;
  let root: unknown;
  try {
    root = readJson(input, { maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES, maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH });
  } catch (error) {
    if (!(error instanceof FhirValidationError) || error.code === 'ERR_FHIR_INVALID') throw error;
    const reason = error.message.slice(error.location.length + 2);
    return { valid: false, issues: [{ code: error.code, location: error.location, reason }], truncated: false };
  }
  if (!isObject(root)) {
    return { valid: false, issues: [{ code: 'ERR_FHIR_RESOURCE_TYPE', location: '(input)', reason: `a FHIR resource is a JSON object, not ${Array.isArray(root) ? 'an array' : typeof root}` }], truncated: false };
  }
  const issues: FhirIssue[] = [];
  const rootType = root['resourceType'];
  if (options.resourceType !== undefined && rootType !== options.resourceType) {
    issues.push({ code: 'ERR_FHIR_RESOURCE_TYPE', location: typeof rootType === 'string' ? `${rootType}.resourceType` : 'resourceType', reason: `expected a ${options.resourceType}, got ${JSON.stringify(rootType) ?? 'none'}` });
  }
  const pending: Array<[Json, string]> = [[root, typeof rootType === 'string' && isR4ResourceType(rootType) ? rootType : 'Resource']];
  // A queue read by index: shift() would make a bundle of n entries cost O(n²).
  let next = 0;
  while (next < pending.length && issues.length < maxIssues) {
    const [resource, location] = pending[next++]!;
    checkResource(resource, location, issues, pending);
  }
  const truncated = issues.length > maxIssues || next < pending.length;
  const result: FhirValidationResult = { valid: issues.length === 0, issues: issues.slice(0, maxIssues), truncated };
  result.resource = root as unknown as Resource;
  return result;
}

function checkResource(resource: Json, base: string, issues: FhirIssue[], pending: Array<[Json, string]>): void {
  const type = resource['resourceType'];
  if (typeof type !== 'string' || !isR4ResourceType(type)) {
    issues.push({ code: 'ERR_FHIR_RESOURCE_TYPE', location: `${base}.resourceType`, reason: typeof type === 'string' ? `'${type}' is not an R4 resource type` : 'missing or not a string' });
    return;
  }
  const validate = validatorFor(type);
  if (!validate(resource)) issues.push(...schemaIssues(base, validate.errors ?? []));
  issues.push(...coreIssues(resource, base));
  issues.push(...containedReferenceIssues(resource, base));
  if (type === 'Bundle') issues.push(...bundleIssues(resource, base));
  issues.push(...profileIssues(resource, base));

  // One walk finds the nested resources (validated on their own, see internal/schema.ts) and the
  // identifiers whose check digits we know.
  const stack: Array<[unknown, string]> = [[resource, base]];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push([node[i], `${path}[${i}]`]);
      continue;
    }
    if (!isObject(node)) continue;
    if (node !== resource && typeof node['resourceType'] === 'string') {
      pending.push([node, path]);
      continue;
    }
    if (typeof node['system'] === 'string' && typeof node['value'] === 'string') {
      const check = validateIdentifier({ system: node['system'], value: node['value'] });
      if (!check.valid) issues.push({ code: 'ERR_FHIR_IDENTIFIER', location: `${path}.value`, reason: check.reason ?? 'invalid' });
    }
    const keys = Object.keys(node);
    for (let k = keys.length - 1; k >= 0; k--) {
      const child = node[keys[k]!];
      if (child !== null && typeof child === 'object') stack.push([child, `${path}.${keys[k]!}`]);
    }
  }
}

/**
 * Like {@link validateFhir}, but returns the resource and throws FhirValidationError when there is
 * any issue: the input's own code (ERR_FHIR_JSON, ERR_FHIR_TOO_LARGE, ERR_FHIR_TOO_DEEP) when it
 * could not be read, otherwise ERR_FHIR_INVALID with every issue in `issues`.
 */
export function parseFhir<T extends Resource = Resource>(input: string | Uint8Array | object, options: ValidateFhirOptions = {}): T {
  const result = validateFhir(input, options);
  if (result.valid && result.resource) return result.resource as T;
  const first = result.issues[0]!;
  if (first.location === '(input)') throw FhirValidationError.fromIssue(first);
  const more = result.issues.length > 1 ? ` (and ${result.issues.length - 1} more)` : '';
  throw new FhirValidationError('ERR_FHIR_INVALID', `${first.location}: ${first.reason}${more}`, { location: first.location, issues: result.issues });
}
