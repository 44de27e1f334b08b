import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateFhir } from '@sealpost/sdk/fhir';
import type { FhirIssue } from '@sealpost/sdk/fhir';

const dir = fileURLToPath(new URL('../fixtures/fhir/r4-examples/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const load = (name: string): Record<string, unknown> => JSON.parse(readFileSync(dir + name, 'utf8')) as Record<string, unknown>;
const summary = (issues: FhirIssue[]): string[] => issues.map((i) => `${i.code} ${i.location}`);

// The one official example that is wrong: a made-up NPI with a bad check digit.
const EXPECTED_FAILURES: Record<string, string[]> = {
  'Bundle-3ad0687e-f477-468c-afd5-fcc2bf897809.json': ['ERR_FHIR_IDENTIFIER Bundle.entry[0].resource.identifier[1].value'],
};

describe('official R4 examples', () => {
  it('has the examples of every type we build or read', () => {
    for (const type of ['Bundle', 'Composition', 'Patient', 'Practitioner', 'PractitionerRole', 'Organization', 'Binary', 'MessageHeader', 'Communication', 'DocumentReference', 'DiagnosticReport', 'ServiceRequest', 'Observation']) {
      expect(files.some((f) => f.startsWith(`${type}-`)), type).toBe(true);
    }
    expect(files.length).toBeGreaterThan(150);
  });

  it.each(files)('%s', (file) => {
    const result = validateFhir(readFileSync(dir + file));
    expect(summary(result.issues)).toEqual(EXPECTED_FAILURES[file] ?? []);
    expect(result.valid).toBe(EXPECTED_FAILURES[file] === undefined);
  });
});

describe('hand-broken copies fail at the right location', () => {
  it('a bad date in a Patient', () => {
    const patient = load('Patient-example.json');
    patient['birthDate'] = '1974-13-25';
    const { issues } = validateFhir(patient);
    expect(summary(issues)).toEqual(['ERR_FHIR_SCHEMA Patient.birthDate']);
    expect(issues[0]!.reason).toContain('"1974-13-25"');
  });

  it('an unknown element and a wrong type inside a bundle entry', () => {
    const bundle = load('Bundle-father.json') as { entry: Array<{ resource: Record<string, unknown> }> };
    bundle.entry[2]!.resource['nickname'] = 'Eve';
    bundle.entry[2]!.resource['active'] = 'yes';
    const { issues } = validateFhir(bundle);
    expect(summary(issues).sort()).toEqual(['ERR_FHIR_SCHEMA Bundle.entry[2].resource.active', 'ERR_FHIR_SCHEMA Bundle.entry[2].resource.nickname']);
  });

  it('a missing required element (Composition.title)', () => {
    const bundle = load('Bundle-father.json') as { entry: Array<{ resource: Record<string, unknown> }> };
    delete bundle.entry[0]!.resource['title'];
    expect(summary(validateFhir(bundle).issues)).toEqual(['ERR_FHIR_SCHEMA Bundle.entry[0].resource.title']);
  });

  it('a document whose subject is not in the bundle', () => {
    const bundle = load('Bundle-father.json') as { entry: Array<{ resource: { subject: { reference: string } } }> };
    bundle.entry[0]!.resource.subject.reference = 'http://fhir.healthintersections.com.au/open/Patient/nobody';
    const { issues } = validateFhir(bundle);
    expect(summary(issues)).toEqual(['ERR_FHIR_REFERENCE Bundle.entry[0].resource.subject.reference']);
    expect(issues[0]!.reason).toContain('Patient/nobody');
  });

  it('a document whose first entry is not the Composition', () => {
    const bundle = load('Bundle-father.json') as { entry: unknown[] };
    bundle.entry.push(bundle.entry.shift());
    expect(summary(validateFhir(bundle).issues)).toEqual(['ERR_FHIR_BUNDLE Bundle.entry[0].resource']);
  });

  it('a document without identifier or timestamp', () => {
    const bundle = load('Bundle-father.json');
    delete bundle['identifier'];
    delete bundle['timestamp'];
    expect(summary(validateFhir(bundle).issues)).toEqual(['ERR_FHIR_BUNDLE Bundle.identifier', 'ERR_FHIR_BUNDLE Bundle.timestamp']);
  });

  it('a duplicate fullUrl', () => {
    const bundle = load('Bundle-father.json') as { entry: Array<{ fullUrl: string }> };
    bundle.entry[4]!.fullUrl = bundle.entry[5]!.fullUrl;
    const { issues } = validateFhir(bundle);
    expect(summary(issues)).toContain('ERR_FHIR_FULLURL Bundle.entry[5].fullUrl');
  });

  it('a message whose first entry is not the MessageHeader', () => {
    const bundle = load('Bundle-10bb101f-a121-4264-a920-67be9cb82c74.json') as { entry: unknown[] };
    bundle.entry.reverse();
    expect(summary(validateFhir(bundle).issues)).toContain('ERR_FHIR_BUNDLE Bundle.entry[0].resource');
  });

  it('a urn:uuid reference that resolves nowhere, in any bundle type', () => {
    const bundle = load('Bundle-10bb101f-a121-4264-a920-67be9cb82c74.json') as { entry: Array<{ resource: { focus: Array<{ reference: string }> } }> };
    bundle.entry[0]!.resource.focus[0]!.reference = 'urn:uuid:00000000-0000-4000-8000-000000000000';
    expect(summary(validateFhir(bundle).issues)).toEqual(['ERR_FHIR_REFERENCE Bundle.entry[0].resource.focus[0].reference']);
  });

  it('a contained reference to nothing', () => {
    const report = load('DiagnosticReport-ultrasound.json');
    report['performer'] = [{ reference: '#missing' }];
    expect(summary(validateFhir(report).issues)).toEqual(['ERR_FHIR_REFERENCE DiagnosticReport.performer[0].reference']);
  });

  it('an HPI-O with a bad check digit in an Organization', () => {
    const org = load('Organization-1.json');
    org['identifier'] = [{ system: 'http://ns.electronichealth.net.au/id/hi/hpio/1.0', value: '8003621566684456' }];
    const { issues } = validateFhir(org);
    expect(summary(issues)).toEqual(['ERR_FHIR_IDENTIFIER Organization.identifier[0].value']);
    expect(issues[0]!.reason).toMatch(/Luhn/);
  });
});
