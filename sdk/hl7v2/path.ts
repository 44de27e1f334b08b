/**
 * A parsed HL7 address such as `OBX[3]-5[2].1.2`: segment OBX (3rd occurrence), field 5,
 * repetition 2, component 1, subcomponent 2. Every index is 1-based, as HL7 counts; an omitted
 * index means "all" for occurrence and repetition in {@link Hl7Message.getAll}, and "the first"
 * everywhere else.
 */
export interface Hl7Path {
  readonly segment: string;
  readonly occurrence?: number;
  readonly field: number;
  readonly repetition?: number;
  readonly component?: number;
  readonly subcomponent?: number;
}

const PATH = /^([A-Z][A-Z0-9]{2})(?:\[(\d+)\])?-(\d+)(?:\[(\d+)\])?(?:\.(\d+))?(?:\.(\d+))?$/;
const RELATIVE = /^(\d+)(?:\[(\d+)\])?(?:\.(\d+))?(?:\.(\d+))?$/;
const cache = new Map<string, Hl7Path>();

function index(text: string | undefined, what: string, path: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new TypeError(`HL7 path '${path}': ${what} must be 1 or more`);
  return n;
}

/**
 * Parses an HL7 path (`PID-5.1`, `PID-3[2].1`, `OBX[3]-5`, `OBR-32.1.2`). Throws TypeError on a
 * malformed path: paths come from code or an operator, not from a message.
 */
export function parsePath(path: string): Hl7Path {
  const hit = cache.get(path);
  if (hit) return hit;
  const m = PATH.exec(path);
  if (!m) throw new TypeError(`invalid HL7 path '${path}': expected e.g. PID-5.1, PID-3[2].1, OBX[3]-5, OBR-32.1.2`);
  const parsed = definedOnly({
    segment: m[1]!,
    occurrence: index(m[2], 'segment occurrence', path),
    field: index(m[3], 'field', path)!,
    repetition: index(m[4], 'repetition', path),
    component: index(m[5], 'component', path),
    subcomponent: index(m[6], 'subcomponent', path),
  });
  if (cache.size < 1000) cache.set(path, parsed);
  return parsed;
}

/** Parses a path relative to a segment: `5.1`, `3[2].1`. */
export function parseFieldPath(path: string): Omit<Hl7Path, 'segment' | 'occurrence'> {
  const m = RELATIVE.exec(path);
  if (!m) throw new TypeError(`invalid HL7 field path '${path}': expected e.g. 5, 5.1, 3[2].1, 32.1.2`);
  return definedOnly({
    field: index(m[1], 'field', path)!,
    repetition: index(m[2], 'repetition', path),
    component: index(m[3], 'component', path),
    subcomponent: index(m[4], 'subcomponent', path),
  });
}

function definedOnly<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return Object.freeze(value);
}
