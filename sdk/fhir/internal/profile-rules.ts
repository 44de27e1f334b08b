import type { FhirIssue } from '../errors.js';
import { SEALPOST_PROFILES } from '../profiles.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Required elements per profile, as dotted paths. An array along the path must be non-empty and
 * every element must satisfy the rest; `a|b` at the end means either element will do.
 */
const REQUIRED: Record<string, { type: string; paths: string[] }> = {
  [SEALPOST_PROFILES.document]: { type: 'Bundle', paths: ['identifier.system', 'identifier.value', 'timestamp', 'entry.fullUrl', 'entry.resource'] },
  [SEALPOST_PROFILES.message]: { type: 'Bundle', paths: ['timestamp', 'entry.fullUrl', 'entry.resource'] },
  [SEALPOST_PROFILES.communication]: { type: 'Communication', paths: ['status', 'sender.reference', 'recipient.reference', 'sent', 'payload.contentString|contentAttachment'] },
  [SEALPOST_PROFILES.documentReference]: {
    type: 'DocumentReference',
    paths: ['status', 'type.coding.code', 'subject.reference', 'date', 'author.reference', 'content.attachment.contentType', 'content.attachment.data|url'],
  },
  [SEALPOST_PROFILES.diagnosticReport]: {
    type: 'DiagnosticReport',
    paths: ['status', 'code.coding.code', 'subject.reference', 'issued', 'performer.reference', 'presentedForm.contentType', 'presentedForm.data|url'],
  },
  [SEALPOST_PROFILES.serviceRequest]: { type: 'ServiceRequest', paths: ['status', 'intent', 'subject.reference', 'requester.reference', 'authoredOn', 'performer.reference'] },
};

// Inside a Sealpost document or message, the first entry is held to these.
const COMPOSITION = ['status', 'type.coding.code', 'subject.reference', 'date', 'author.reference', 'title', 'section.title', 'section.text.div'];
const MESSAGE_HEADER = ['eventCoding.system', 'eventCoding.code', 'source.endpoint', 'destination.endpoint', 'sender.reference', 'focus.reference'];

function missing(node: unknown, parts: string[], location: string, out: string[]): void {
  const [head, ...rest] = parts;
  if (head === undefined) return;
  if (!isObject(node)) return;
  if (rest.length === 0 && head.includes('|')) {
    if (!head.split('|').some((alt) => node[alt] !== undefined)) out.push(`${location}.${head.split('|')[0]!}`);
    return;
  }
  const value = node[head];
  const at = `${location}.${head}`;
  if (value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0)) {
    out.push(at);
    return;
  }
  if (Array.isArray(value)) value.forEach((v, i) => missing(v, rest, `${at}[${i}]`, out));
  else missing(value, rest, at, out);
}

function check(resource: Json, paths: string[], base: string, profile: string, issues: FhirIssue[]): void {
  const name = profile.slice(profile.lastIndexOf('/') + 1);
  for (const path of paths) {
    const locations: string[] = [];
    missing(resource, path.split('.'), base, locations);
    for (const location of locations) issues.push({ code: 'ERR_FHIR_PROFILE', location, reason: `required by profile ${name}` });
  }
}

/** Required-element issues for every Sealpost profile `resource` claims in meta.profile. */
export function profileIssues(resource: Json, base: string): FhirIssue[] {
  const meta = resource['meta'];
  if (!isObject(meta) || !Array.isArray(meta['profile'])) return [];
  const issues: FhirIssue[] = [];
  for (const profile of meta['profile']) {
    const rule = typeof profile === 'string' ? REQUIRED[profile] : undefined;
    if (!rule) continue;
    if (resource['resourceType'] !== rule.type) {
      issues.push({ code: 'ERR_FHIR_PROFILE', location: `${base}.meta.profile`, reason: `profile ${String(profile)} applies to ${rule.type}, not ${String(resource['resourceType'])}` });
      continue;
    }
    check(resource, rule.paths, base, String(profile), issues);
    if (profile === SEALPOST_PROFILES.document || profile === SEALPOST_PROFILES.message) {
      const entries = resource['entry'];
      const first = Array.isArray(entries) && isObject(entries[0]) ? entries[0]['resource'] : undefined;
      if (isObject(first)) {
        check(first, profile === SEALPOST_PROFILES.document ? COMPOSITION : MESSAGE_HEADER, `${base}.entry[0].resource`, String(profile), issues);
      }
    }
  }
  return issues;
}
