import { FhirValidationError } from '../errors.js';

/** Limits on untrusted JSON, checked before JSON.parse builds anything. */
export interface JsonLimits {
  /** Largest input accepted, in bytes (for a string: UTF-16 code units). */
  maxBytes: number;
  /** Deepest nesting of objects and arrays accepted. */
  maxDepth: number;
}

export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
// The deepest official R4 example nests 16 levels; Questionnaire items and extensions on
// extensions go deeper in real data, so 128 leaves room while keeping every recursive walk
// (Ajv's generated code, ours) far from the call-stack limit.
export const DEFAULT_MAX_DEPTH = 128;

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Parses untrusted JSON text or UTF-8 bytes with size and depth limits. Throws
 * FhirValidationError ERR_FHIR_TOO_LARGE before decoding anything larger than `maxBytes`,
 * ERR_FHIR_TOO_DEEP before parsing anything nested deeper than `maxDepth`, and ERR_FHIR_JSON for
 * invalid UTF-8 or JSON. A parsed value passed in is checked for depth only (iteratively).
 */
export function readJson(input: string | Uint8Array | unknown, limits: JsonLimits): unknown {
  if (input instanceof Uint8Array) {
    if (input.byteLength > limits.maxBytes) throw tooLarge(input.byteLength, limits.maxBytes);
    let text: string;
    try {
      text = decoder.decode(input);
    } catch (cause) {
      throw new FhirValidationError('ERR_FHIR_JSON', '(input): not UTF-8 text', { location: '(input)', cause });
    }
    return parseText(text, limits);
  }
  if (typeof input === 'string') {
    if (input.length > limits.maxBytes) throw tooLarge(input.length, limits.maxBytes);
    return parseText(input.charCodeAt(0) === 0xfeff ? input.slice(1) : input, limits);
  }
  checkValueDepth(input, limits.maxDepth);
  return input;
}

function tooLarge(size: number, max: number): FhirValidationError {
  return new FhirValidationError('ERR_FHIR_TOO_LARGE', `(input): ${size} bytes is over the limit of ${max} bytes (option maxBytes)`, { location: '(input)' });
}

function tooDeep(max: number, at?: number): FhirValidationError {
  const where = at === undefined ? '' : ` at character ${at}`;
  return new FhirValidationError('ERR_FHIR_TOO_DEEP', `(input): nested deeper than ${max} levels${where} (option maxDepth)`, { location: '(input)' });
}

function parseText(text: string, limits: JsonLimits): unknown {
  // Scan depth first: V8 parses deep JSON fine, but everything that walks the result afterwards
  // recurses, and a 1e6-deep array would overflow the stack there.
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Jump to the closing quote with indexOf (a 1 MB base64 attachment is one string): a quote
      // preceded by an odd number of backslashes is escaped and does not close it.
      let end = i;
      for (;;) {
        end = text.indexOf('"', end + 1);
        if (end < 0) break;
        let backslashes = 0;
        while (text.charCodeAt(end - 1 - backslashes) === 0x5c) backslashes++;
        if (backslashes % 2 === 0) break;
      }
      if (end < 0) break; // unterminated: JSON.parse reports it
      i = end;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limits.maxDepth) throw tooDeep(limits.maxDepth, i);
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new FhirValidationError('ERR_FHIR_JSON', `(input): not JSON: ${reason}`, { location: '(input)', cause });
  }
}

function checkValueDepth(value: unknown, maxDepth: number): void {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > maxDepth) throw tooDeep(maxDepth);
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
}
