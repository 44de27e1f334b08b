import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { NotSupportedError } from '../../errors.js';
import { FHIR_R4_SCHEMA_TEXT } from '../schema/fhir-r4-schema.js';
import type { FhirIssue } from '../errors.js';

interface SchemaState {
  ajv: Ajv;
  id: string;
  resourceTypes: ReadonlySet<string>;
  validators: Map<string, ValidateFunction>;
}

let state: SchemaState | undefined;

function load(): SchemaState {
  if (state) return state;
  const schema = JSON.parse(FHIR_R4_SCHEMA_TEXT) as {
    $id: string;
    $schema?: string;
    oneOf?: unknown;
    discriminator: { mapping: Record<string, string> };
    definitions: Record<string, unknown>;
  };
  const resourceTypes = new Set(Object.keys(schema.discriminator.mapping));
  // HL7's schema says "any resource" (Bundle.entry.resource, contained, Parameters) as a oneOf
  // over all 146 resource definitions. Compiled, that is every definition at once (seconds) and
  // a failure inside an entry comes back as 146 "does not match" errors. We check only that it
  // is an object naming a resourceType here, and validate each nested resource on its own
  // against its own definition (validate.ts), which gives exact locations and compiles lazily.
  schema.definitions['ResourceList'] = { type: 'object', required: ['resourceType'], properties: { resourceType: { type: 'string' } } };
  delete schema.oneOf;
  delete schema.$schema;
  xsdPatterns(schema.definitions);
  // validateSchema: false — the schema is HL7's, checked by test/fhir/schema-source.test.ts;
  // validating it against the draft-06 meta-schema at every start costs time for nothing.
  // inlineRefs: false — every definition becomes one shared function instead of being inlined
  // at each use: measured, it halves the first compile (Patient pulls in every datatype through
  // Extension.value[x]: ~0.8 s → ~0.4 s) and validates ~2x faster (smaller code stays hot).
  // logger: false — a library does not write to the console; failures surface as errors.
  const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false, verbose: true, inlineRefs: false, logger: false });
  ajv.addSchema(schema);
  state = { ajv, id: schema.$id, resourceTypes, validators: new Map() };
  return state;
}

/**
 * HL7 generates the schema's patterns from the XML Schema ones, where `\s` is only space, tab, CR
 * and LF (XSD Part 2, appendix G.4.2.1). In a JavaScript regular expression `\s` also matches
 * U+00A0 and other Unicode spaces, so a name containing a no-break space would fail
 * `^[ \r\n\t\S]+$` (it does: R4 example DiagnosticReport-gingival-mass). Rewrite to XSD's meaning.
 */
function xsdPatterns(node: unknown): void {
  if (Array.isArray(node)) {
    for (const child of node) xsdPatterns(child);
  } else if (node !== null && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    for (const [key, child] of Object.entries(record)) {
      if (key === 'pattern' && typeof child === 'string') {
        record[key] = child
          .split('[ \\r\\n\\t\\S]').join('[^]')
          .split('[^\\s]').join('[^ \\t\\n\\r]')
          .split('\\S').join('[^ \\t\\n\\r]')
          .split('\\s').join('[ \\t\\n\\r]');
      } else xsdPatterns(child);
    }
  }
}

/** True when `type` is one of the resource types FHIR R4 defines. */
export function isR4ResourceType(type: string): boolean {
  return load().resourceTypes.has(type);
}

/**
 * The compiled validator for one R4 resource type, compiled on first use and cached for the
 * life of the module. Throws NotSupportedError where the runtime forbids code generation
 * (a Content-Security-Policy without 'unsafe-eval', as in MV3 extension service workers).
 */
export function validatorFor(type: string): ValidateFunction {
  const s = load();
  let validate = s.validators.get(type);
  if (!validate) {
    try {
      validate = s.ajv.getSchema(`${s.id}#/definitions/${type}`);
    } catch (cause) {
      if (cause instanceof EvalError) {
        throw new NotSupportedError('FHIR schema validation needs runtime code generation (new Function), which this context forbids', { cause });
      }
      throw cause;
    }
    if (!validate) throw new RangeError(`not an R4 resource type: ${type}`);
    s.validators.set(type, validate);
  }
  return validate;
}

/** FHIRPath-like location of an Ajv instancePath under `base`: `/entry/3/resource` → `base.entry[3].resource`. */
export function locationOf(base: string, instancePath: string): string {
  let out = base;
  if (instancePath === '') return out;
  for (const raw of instancePath.slice(1).split('/')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : `.${part}`;
  }
  return out;
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Translates Ajv errors to issues. Ajv with allErrors reports the same leaf several times through
 * different schema branches; identical location+reason pairs are merged.
 */
export function schemaIssues(base: string, errors: readonly ErrorObject[]): FhirIssue[] {
  const seen = new Set<string>();
  const typed = new Set<string>();
  const issues: FhirIssue[] = [];
  const indexOf: number[] = [];
  for (const [n, error] of errors.entries()) {
    let location = locationOf(base, error.instancePath);
    let reason: string;
    const params = error.params as Record<string, unknown>;
    switch (error.keyword) {
      case 'additionalProperties':
        location += `.${String(params['additionalProperty'])}`;
        reason = 'unknown element (not in the R4 definition)';
        break;
      case 'required':
        location += `.${String(params['missingProperty'])}`;
        reason = 'required element is missing';
        break;
      case 'pattern':
        reason = `invalid value ${show(error.data)}: does not match ${String(params['pattern'])}`;
        break;
      case 'enum':
        reason = `invalid value ${show(error.data)}: must be one of ${(params['allowedValues'] as unknown[]).map((v) => String(v)).join(', ')}`;
        break;
      case 'const':
        reason = `must be ${show(params['allowedValue'])}, not ${show(error.data)}`;
        break;
      case 'type':
        reason = `must be ${String(params['type'])}, not ${Array.isArray(error.data) ? 'array' : error.data === null ? 'null' : typeof error.data}`;
        break;
      default:
        reason = error.message ?? error.keyword;
    }
    const key = `${location}\u0000${reason}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (error.keyword === 'type') typed.add(location);
    issues.push({ code: 'ERR_FHIR_SCHEMA', location, reason });
    indexOf.push(n);
  }
  // A value of the wrong JSON type also fails that type's pattern; the type error says it all.
  return issues.filter((issue, i) => !typed.has(issue.location) || errors[indexOf[i]!]?.keyword === 'type');
}
