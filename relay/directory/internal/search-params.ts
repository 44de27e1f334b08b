/**
 * The search parameters the directory indexes, per resource type, and how their values are read
 * from a resource. One table drives indexing, query parsing, `_include` and the
 * CapabilityStatement, so the three cannot disagree.
 */
/** The resource types the directory holds and serves. */
export const DIRECTORY_TYPES = ['Organization', 'Practitioner', 'PractitionerRole', 'HealthcareService', 'Endpoint'] as const;
export type DirectoryType = (typeof DIRECTORY_TYPES)[number];

/** FHIR search parameter types the directory supports. */
export type ParamKind = 'string' | 'token' | 'reference';

/** One indexed value. `system` is set for tokens (identifier, specialty). */
export interface IndexTerm {
  value: string;
  system: string;
}

/** One search parameter: its type, documentation (CapabilityStatement) and value extractor. */
export interface ParamDefinition {
  kind: ParamKind;
  documentation: string;
  /** Raw values (strings, tokens or reference strings `Type/id`) found in the resource. */
  extract(resource: Resource): IndexTerm[];
  /** For references: the types the reference may point at. */
  targets?: DirectoryType[];
}

// The resources are JSON from the store or an import; they are read defensively, never trusted.
export type Resource = Record<string, unknown> & { resourceType: string; id?: string };

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined || value === null ? [] : [value]);
const obj = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {});
const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * Normalises text for matching: compatibility decomposition, accents dropped, lower case, every run
 * of non letters/digits one space. "O'Brien-Smith, Zoë" → "o brien smith zoe".
 */
export function normaliseText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** `system` of an index row holding a word suffix of a string, not the whole string. */
export const SUFFIX = '~';

/**
 * Index values for a string: the whole normalised text and every suffix that starts at a word, so a
 * prefix search finds "Harbourside Medical Centre" from "harb", "medical cen" or "centre".
 */
export function stringTerms(texts: (string | undefined)[]): IndexTerm[] {
  const whole = new Set<string>();
  const suffixes = new Set<string>();
  for (const text of texts) {
    if (text === undefined) continue;
    const norm = normaliseText(text);
    if (norm === '') continue;
    whole.add(norm);
    for (let i = norm.indexOf(' '); i !== -1; i = norm.indexOf(' ', i + 1)) suffixes.add(norm.slice(i + 1));
  }
  // Word suffixes are marked (system SUFFIX) so :exact can match whole values only.
  return [...[...whole].map((value) => ({ value, system: '' })), ...[...suffixes].filter((v) => !whole.has(v)).map((value) => ({ value, system: SUFFIX }))];
}

function humanNameTexts(resource: Resource, part: 'all' | 'family' | 'given'): string[] {
  const out: string[] = [];
  for (const raw of list(resource.name)) {
    const name = obj(raw);
    const family = str(name.family);
    const given = list(name.given).filter((g): g is string => typeof g === 'string');
    if (part === 'family') {
      if (family) out.push(family);
      continue;
    }
    if (part === 'given') {
      out.push(...given);
      continue;
    }
    const text = str(name.text);
    if (text) out.push(text);
    out.push([...given, family].filter(Boolean).join(' '));
    if (family) out.push([family, ...given].join(' '));
    for (const p of [...list(name.prefix), ...list(name.suffix)]) if (typeof p === 'string') out.push(p);
  }
  return out;
}

function tokens(concepts: unknown): IndexTerm[] {
  const out: IndexTerm[] = [];
  for (const raw of list(concepts)) {
    const concept = obj(raw);
    for (const c of list(concept.coding)) {
      const coding = obj(c);
      const code = str(coding.code);
      if (code) out.push({ value: code, system: str(coding.system) ?? '' });
    }
    // A CodeableConcept with only text is still findable by that text as a token.
    if (list(concept.coding).length === 0 && str(concept.text)) out.push({ value: str(concept.text)!, system: '' });
  }
  return out;
}

function identifiers(resource: Resource): IndexTerm[] {
  const out: IndexTerm[] = [];
  for (const raw of list(resource.identifier)) {
    const id = obj(raw);
    const value = str(id.value);
    if (value) out.push({ value, system: str(id.system) ?? '' });
  }
  return out;
}

function references(values: unknown): IndexTerm[] {
  const out: IndexTerm[] = [];
  for (const raw of list(values)) {
    const ref = str(obj(raw).reference);
    if (ref) out.push({ value: ref, system: '' });
  }
  return out;
}

function addressParts(resource: Resource, part: 'city' | 'postalCode'): IndexTerm[] {
  const texts: string[] = [];
  for (const raw of list(resource.address)) {
    const value = str(obj(raw)[part]);
    if (value) texts.push(value);
  }
  return part === 'postalCode' ? texts.map((t) => ({ value: normaliseText(t).replace(/ /g, ''), system: '' })) : stringTerms(texts);
}

const identifierParam: ParamDefinition = { kind: 'token', documentation: 'Identifier (system|value or value); HPI-I/HPI-O, NPI, ODS, Sealpost address', extract: identifiers };
const endpointParam: ParamDefinition = { kind: 'reference', documentation: 'Technical endpoint', targets: ['Endpoint'], extract: (r) => references(r.endpoint) };
const organizationParam = (path: string): ParamDefinition => ({ kind: 'reference', documentation: 'The organization', targets: ['Organization'], extract: (r) => references(r[path]) });
const cityParam: ParamDefinition = { kind: 'string', documentation: 'City or suburb of an address (prefix, accent- and case-insensitive)', extract: (r) => addressParts(r, 'city') };
const postcodeParam: ParamDefinition = { kind: 'string', documentation: 'Postal code of an address', extract: (r) => addressParts(r, 'postalCode') };

/** Search parameters per type (FHIR R4 names). */
export const SEARCH_PARAMS: Record<DirectoryType, Record<string, ParamDefinition>> = {
  Organization: {
    name: { kind: 'string', documentation: 'Name or alias (prefix of any word; :contains, :exact)', extract: (r) => stringTerms([str(r.name), ...list(r.alias).map(str)]) },
    identifier: identifierParam,
    'address-city': cityParam,
    'address-postalcode': postcodeParam,
    endpoint: endpointParam,
    type: { kind: 'token', documentation: 'Kind of organization', extract: (r) => tokens(r.type) },
    partof: { kind: 'reference', documentation: 'Parent organization', targets: ['Organization'], extract: (r) => references(r.partOf) },
  },
  Practitioner: {
    name: { kind: 'string', documentation: 'Any part of a name, or the whole name (prefix; :contains, :exact)', extract: (r) => stringTerms(humanNameTexts(r, 'all')) },
    family: { kind: 'string', documentation: 'Family name (prefix)', extract: (r) => stringTerms(humanNameTexts(r, 'family')) },
    given: { kind: 'string', documentation: 'Given name (prefix)', extract: (r) => stringTerms(humanNameTexts(r, 'given')) },
    identifier: identifierParam,
    'address-city': cityParam,
    'address-postalcode': postcodeParam,
  },
  PractitionerRole: {
    practitioner: { kind: 'reference', documentation: 'The practitioner', targets: ['Practitioner'], extract: (r) => references(r.practitioner) },
    organization: organizationParam('organization'),
    specialty: { kind: 'token', documentation: 'Specialty', extract: (r) => tokens(r.specialty) },
    role: { kind: 'token', documentation: 'Role code', extract: (r) => tokens(r.code) },
    service: { kind: 'reference', documentation: 'Healthcare service', targets: ['HealthcareService'], extract: (r) => references(r.healthcareService) },
    endpoint: endpointParam,
    identifier: identifierParam,
  },
  HealthcareService: {
    name: { kind: 'string', documentation: 'Service name (prefix of any word; :contains, :exact)', extract: (r) => stringTerms([str(r.name)]) },
    organization: organizationParam('providedBy'),
    specialty: { kind: 'token', documentation: 'Specialty', extract: (r) => tokens(r.specialty) },
    'service-type': { kind: 'token', documentation: 'Type of service', extract: (r) => tokens(r.type) },
    endpoint: endpointParam,
    identifier: identifierParam,
  },
  Endpoint: {
    name: { kind: 'string', documentation: 'Endpoint name (prefix)', extract: (r) => stringTerms([str(r.name)]) },
    organization: organizationParam('managingOrganization'),
    identifier: identifierParam,
    'payload-type': { kind: 'token', documentation: 'Accepted payload type', extract: (r) => tokens(r.payloadType) },
    'connection-type': { kind: 'token', documentation: 'Protocol', extract: (r) => tokens(r.connectionType) },
    status: { kind: 'token', documentation: 'active | suspended | error | off | entered-in-error | test', extract: (r) => (str(r.status) ? [{ value: str(r.status)!, system: '' }] : []) },
  },
};

/**
 * Chained parameters the store keeps denormalised (copied from the referenced resource when either
 * side is written), so `PractitionerRole?practitioner.name=smi` is one index range scan, not a
 * join over half a million rows. Keys: reference parameter → parameters of its target.
 */
export const CHAINS: Partial<Record<DirectoryType, Record<string, { target: DirectoryType; params: string[] }>>> = {
  PractitionerRole: {
    practitioner: { target: 'Practitioner', params: ['name', 'family', 'given', 'identifier'] },
    organization: { target: 'Organization', params: ['name', 'address-city', 'address-postalcode', 'identifier'] },
  },
  HealthcareService: {
    organization: { target: 'Organization', params: ['name', 'address-city', 'address-postalcode'] },
  },
};

/** The kind of a (possibly chained) parameter, or undefined when the type does not support it. */
export function paramKind(type: DirectoryType, param: string): ParamKind | undefined {
  const dot = param.indexOf('.');
  if (dot === -1) return SEARCH_PARAMS[type][param]?.kind;
  const chain = CHAINS[type]?.[param.slice(0, dot)];
  const target = param.slice(dot + 1);
  if (!chain || !chain.params.includes(target)) return undefined;
  return SEARCH_PARAMS[chain.target][target]?.kind;
}

/** True for the five directory resource types. */
export function isDirectoryType(value: string): value is DirectoryType {
  return (DIRECTORY_TYPES as readonly string[]).includes(value);
}

/** Every (param, term) pair of a resource, references normalised to `Type/id`. */
export function indexTerms(resource: Resource): { param: string; term: IndexTerm }[] {
  const type = resource.resourceType;
  if (!isDirectoryType(type)) return [];
  const out: { param: string; term: IndexTerm }[] = [];
  for (const [param, def] of Object.entries(SEARCH_PARAMS[type])) {
    for (const term of def.extract(resource)) {
      const value = def.kind === 'reference' ? relativeReference(term.value) : term.value;
      if (value !== undefined) out.push({ param, term: { value, system: term.system } });
    }
  }
  return out;
}

/** `https://x/fhir/Organization/1`, `Organization/1/_history/2` → `Organization/1`; others undefined. */
export function relativeReference(ref: string): string | undefined {
  const match = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(ref);
  return match ? `${match[1]}/${match[2]}` : undefined;
}
