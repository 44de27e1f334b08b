/** Import of published directory bundles (AU provider directory, US NDH) with identifier validation. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importDirectory, openSqliteDirectoryStore } from '../../relay/directory/index.js';
import type { DirectoryStore } from '../../relay/directory/index.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/directory/${name}`, import.meta.url), 'utf8'));

async function freshStore(): Promise<DirectoryStore> {
  const store = openSqliteDirectoryStore(':memory:');
  await store.migrate();
  return store;
}

describe('importDirectory', () => {
  it('imports an AU provider directory bundle, skipping Location, and makes it searchable', async () => {
    const store = await freshStore();
    const report = await importDirectory(store, fixture('au-provider-directory.json'));
    expect(report).toMatchObject({ refused: false, invalid: [], skipped: { Location: 1 }, imported: { Organization: 2, Practitioner: 2, PractitionerRole: 2, HealthcareService: 1, Endpoint: 1 } });
    const page = await store.search({ type: 'PractitionerRole', filters: [{ param: 'practitioner.name', match: 'prefix', alternatives: [{ value: 'helen' }] }, { param: 'organization.address-city', match: 'prefix', alternatives: [{ value: 'blacktown' }] }], count: 10, offset: 0 });
    expect(page.resources.map((r) => r.id)).toEqual(['helen-cardiology']);
    await store.close();
  });

  it('imports a US NDH searchset whose resources only have urn:uuid fullUrls, rewriting references', async () => {
    const store = await freshStore();
    const report = await importDirectory(store, fixture('us-ndh.json'));
    expect(report.imported).toEqual({ Organization: 1, Practitioner: 1, PractitionerRole: 1, Endpoint: 1 });
    const role = (await store.get('PractitionerRole', 'c2d9a3f4-7b1e-4f0a-b6c3-3d4e5f6a7b33'))!;
    expect(role.practitioner).toEqual({ reference: 'Practitioner/0b7c8e52-5a4f-4a5b-8d0e-2e3c9f6d7a22' });
    const byName = await store.search({ type: 'PractitionerRole', filters: [{ param: 'practitioner.name', match: 'prefix', alternatives: [{ value: 'rivera' }] }], count: 10, offset: 0 });
    expect(byName.resources).toHaveLength(1);
    const byNpi = await store.search({ type: 'Practitioner', filters: [{ param: 'identifier', match: 'exact', alternatives: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '1928374655' }] }], count: 10, offset: 0 });
    expect(byNpi.resources).toHaveLength(1);
    await store.close();
  });

  it('refuses the whole file when an identifier fails its check digit, naming where', async () => {
    const store = await freshStore();
    const report = await importDirectory(store, fixture('us-ndh-bad-npi.json'));
    expect(report.refused).toBe(true);
    expect(report.invalid).toEqual([{ location: 'Bundle.entry[1].resource.identifier[0]', reason: expect.stringContaining('NPI check digit') }]);
    expect(await store.count('Organization')).toBe(0);
    const lenient = await importDirectory(store, fixture('us-ndh-bad-npi.json'), { skipInvalid: true });
    expect(lenient.refused).toBe(false);
    expect(lenient.imported).toEqual({ Organization: 1, PractitionerRole: 1, Endpoint: 1 });
    await store.close();
  });

  it('validates HPI-I, HPI-O, NHS number and ODS codes', async () => {
    const store = await freshStore();
    const bad = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { resource: { resourceType: 'Practitioner', id: 'a', identifier: [{ system: 'http://ns.electronichealth.net.au/id/hi/hpii/1.0', value: '8003619900015718' }] } },
        { resource: { resourceType: 'Organization', id: 'b', identifier: [{ system: 'http://ns.electronichealth.net.au/id/hi/hpio/1.0', value: '8003619900015717' }] } },
        { resource: { resourceType: 'Practitioner', id: 'c', identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9434765918' }] } },
        { resource: { resourceType: 'Organization', id: 'd', identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'x1!' }] } },
        { resource: { resourceType: 'Organization', id: 'e', identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'RR8' }] } },
      ],
    };
    const report = await importDirectory(store, bad);
    expect(report.invalid.map((i) => i.location)).toEqual(['Bundle.entry[0].resource.identifier[0]', 'Bundle.entry[1].resource.identifier[0]', 'Bundle.entry[2].resource.identifier[0]', 'Bundle.entry[3].resource.identifier[0]']);
    expect(report.invalid[1]!.reason).toContain('800362');
    await store.close();
  });

  it('reports entries without resource or id and refuses non-FHIR input', async () => {
    const store = await freshStore();
    const report = await importDirectory(store, { resourceType: 'Bundle', entry: [{}, { resource: { resourceType: 'Practitioner' } }] });
    expect(report.invalid.map((i) => i.location)).toEqual(['Bundle.entry[0].resource', 'Bundle.entry[1].resource.id']);
    await expect(importDirectory(store, [1, 2])).rejects.toThrow(TypeError);
    await store.close();
  });
});
