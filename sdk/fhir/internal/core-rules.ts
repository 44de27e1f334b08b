import type { FhirIssue } from '../errors.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Required (min 1) primitive elements of the R4 resources Sealpost builds or reads. HL7's JSON
 * schema cannot require a primitive, because its value may be given as `_element` (an extension
 * with no value), so these come from the R4 StructureDefinitions by hand. `a.b` means: every `a`
 * present must have `b`; `x[x]` any choice of x.
 */
const CORE_REQUIRED: Record<string, string[]> = {
  Binary: ['contentType'],
  Bundle: ['type', 'link.relation', 'link.url', 'entry.request.method', 'entry.request.url', 'entry.response.status'],
  Communication: ['status'],
  Composition: ['status', 'date', 'title', 'attester.mode', 'relatesTo.code', 'relatesTo.target[x]'],
  DiagnosticReport: ['status'],
  DocumentReference: ['status', 'relatesTo.code'],
  Endpoint: ['status', 'address'],
  MessageHeader: ['event[x]', 'source.endpoint', 'destination.endpoint', 'response.identifier', 'response.code'],
  Observation: ['status', 'component.code'],
  ServiceRequest: ['status', 'intent'],
};

function present(node: Json, name: string): boolean {
  if (name.endsWith('[x]')) {
    const stem = name.slice(0, -3);
    return Object.keys(node).some((k) => (k.startsWith(stem) && /^[A-Z]/.test(k.slice(stem.length))) || (k.startsWith(`_${stem}`) && /^[A-Z]/.test(k.slice(stem.length + 1))));
  }
  return node[name] !== undefined || node[`_${name}`] !== undefined;
}

function walk(node: unknown, parts: string[], location: string, issues: FhirIssue[]): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => walk(item, parts, `${location}[${i}]`, issues));
    return;
  }
  if (!isObject(node)) return;
  const [head, ...rest] = parts;
  if (head === undefined) return;
  if (rest.length === 0) {
    if (!present(node, head)) issues.push({ code: 'ERR_FHIR_SCHEMA', location: `${location}.${head.replace('[x]', '')}`, reason: 'required element is missing (min 1 in R4)' });
    return;
  }
  if (node[head] !== undefined) walk(node[head], rest, `${location}.${head}`, issues);
}

/** Missing required primitives (see CORE_REQUIRED) of one resource, located under `base`. */
export function coreIssues(resource: Json, base: string): FhirIssue[] {
  const paths = CORE_REQUIRED[String(resource['resourceType'])];
  if (!paths) return [];
  const issues: FhirIssue[] = [];
  for (const path of paths) walk(resource, path.split('.'), base, issues);
  return issues;
}
