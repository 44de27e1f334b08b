import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FhirValidationError, parseFhir, validateFhir } from '@sealpost/sdk/fhir';

const issue = (input: Parameters<typeof validateFhir>[0], options?: Parameters<typeof validateFhir>[1]): string[] =>
  validateFhir(input, options).issues.map((i) => `${i.code} ${i.location}`);

describe('bad input gives typed issues, never a crash', () => {
  it('invalid JSON', () => {
    expect(issue('{"resourceType": "Patient",')).toEqual(['ERR_FHIR_JSON (input)']);
    expect(issue(new Uint8Array([0x7b, 0xff, 0x7d]))).toEqual(['ERR_FHIR_JSON (input)']);
  });

  it('JSON that is not a resource', () => {
    expect(issue('[]')).toEqual(['ERR_FHIR_RESOURCE_TYPE (input)']);
    expect(issue('42')).toEqual(['ERR_FHIR_RESOURCE_TYPE (input)']);
    expect(issue('{}')).toEqual(['ERR_FHIR_RESOURCE_TYPE Resource.resourceType']);
    expect(issue('{"resourceType":"Patientt"}')).toEqual(['ERR_FHIR_RESOURCE_TYPE Resource.resourceType']);
  });

  it('a resource of the wrong type where a Bundle is expected', () => {
    expect(issue({ resourceType: 'Patient' }, { resourceType: 'Bundle' })).toEqual(['ERR_FHIR_RESOURCE_TYPE Patient.resourceType']);
  });

  it('an unknown resource type inside a bundle', () => {
    expect(issue({ resourceType: 'Bundle', type: 'collection', entry: [{ fullUrl: 'urn:uuid:0b6b7c14-9f0a-4d0e-8a53-5b4f4b0c9c11', resource: { resourceType: 'Bot' } }] })).toEqual([
      'ERR_FHIR_RESOURCE_TYPE Bundle.entry[0].resource.resourceType',
    ]);
  });

  it('a 100 MB bundle is refused before it is decoded or parsed', () => {
    const bytes = new Uint8Array(100 * 1024 * 1024).fill(0x20);
    bytes.set(new TextEncoder().encode('{"resourceType":"Bundle","type":"collection","entry":['), 0);
    const result = validateFhir(bytes);
    expect(result.issues.map((i) => i.code)).toEqual(['ERR_FHIR_TOO_LARGE']);
    expect(result.issues[0]!.reason).toContain('104857600 bytes');
    expect(issue('{"resourceType":"Patient"}', { maxBytes: 10 })).toEqual(['ERR_FHIR_TOO_LARGE (input)']);
  });

  it('deeply nested JSON text is refused before JSON.parse', () => {
    const deep = '{"resourceType":"Patient","extension":' + '['.repeat(1_000_000) + ']'.repeat(1_000_000) + '}';
    const result = validateFhir(deep);
    expect(result.issues.map((i) => `${i.code} ${i.location}`)).toEqual(['ERR_FHIR_TOO_DEEP (input)']);
    expect(result.issues[0]!.reason).toBe('nested deeper than 128 levels at character 165 (option maxDepth)');
  });

  it('brackets inside strings do not count as nesting', () => {
    expect(issue(JSON.stringify({ resourceType: 'Patient', id: 'a', gender: 'other', name: [{ text: '[[[[{{{{'.repeat(100) }] }))).toEqual([]);
  });

  it('deeply nested and cyclic objects are refused without recursion', () => {
    let deep: Record<string, unknown> = { url: 'http://example.org/x', valueString: 'leaf' };
    for (let i = 0; i < 100_000; i++) deep = { url: 'http://example.org/x', extension: [deep] };
    expect(issue({ resourceType: 'Patient', extension: [deep] })).toEqual(['ERR_FHIR_TOO_DEEP (input)']);
    const cyclic: Record<string, unknown> = { resourceType: 'Patient' };
    cyclic['extension'] = [cyclic];
    expect(issue(cyclic)).toEqual(['ERR_FHIR_TOO_DEEP (input)']);
  });

  it('property: the depth limit counts exactly the nesting of arrays and objects, not brackets in strings', () => {
    const depthOf = (v: unknown): number => (v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v).map(depthOf)) : 0);
    const unit = fc.constantFrom('"', '\\', '[', '{', ']', '}', 'a', ' ');
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8, stringUnit: unit }), (value) => {
        const depth = depthOf(value);
        const json = JSON.stringify(value);
        expect(validateFhir(json, { maxDepth: Math.max(depth, 1) }).issues.map((i) => i.code)).not.toContain('ERR_FHIR_TOO_DEEP');
        if (depth > 1) expect(validateFhir(json, { maxDepth: depth - 1 }).issues.map((i) => i.code)).toEqual(['ERR_FHIR_TOO_DEEP']);
      }),
      { numRuns: 500 },
    );
  });

  it('caps the number of issues', () => {
    const entry = Array.from({ length: 1000 }, () => ({ resource: { resourceType: 'Patient', bogus: 1 } }));
    const result = validateFhir({ resourceType: 'Bundle', type: 'collection', entry }, { maxIssues: 50 });
    expect(result.issues).toHaveLength(50);
    expect(result.truncated).toBe(true);
  });

  it('property: any JSON value validates without throwing', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.constantFrom('Patient', 'Bundle', 'Composition', 'Observation', undefined), (value, type) => {
        const input = type !== undefined && value !== null && typeof value === 'object' && !Array.isArray(value) ? { ...value, resourceType: type } : value;
        const result = validateFhir(JSON.stringify(input));
        for (const i of result.issues) expect(i.location).toMatch(/^(\(input\)|Resource|[A-Z][A-Za-z]+)/);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseFhir', () => {
  it('returns the resource when valid', () => {
    expect(parseFhir<{ resourceType: 'Patient'; id?: string }>('{"resourceType":"Patient","id":"p1"}').id).toBe('p1');
  });

  it('throws ERR_FHIR_INVALID with location and every issue', () => {
    const error = (() => {
      try {
        parseFhir({ resourceType: 'Patient', birthDate: 'yesterday', gender: 'robot' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(FhirValidationError);
    const e = error as FhirValidationError;
    expect(e.code).toBe('ERR_FHIR_INVALID');
    expect(e.issues.map((i) => i.location).sort()).toEqual(['Patient.birthDate', 'Patient.gender']);
    expect(e.location).toBe(e.issues[0]!.location);
    expect(e.message).toMatch(/^Patient\.(birthDate|gender): invalid value .*\(and 1 more\)$/);
  });

  it('throws the input code for unreadable input', () => {
    expect(() => parseFhir('nope')).toThrow(expect.objectContaining({ code: 'ERR_FHIR_JSON', location: '(input)' }));
  });
});
