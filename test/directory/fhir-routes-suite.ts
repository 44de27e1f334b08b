/**
 * The /fhir routes as any FHIR client sees them: driven through fhir-kit-client over HTTP. One
 * suite, run on SQLite (fhir-routes.sqlite.test.ts) and PostgreSQL (store.postgres.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'fhir-kit-client';
import { SIGNATURE_HEADER, verifyAnswer } from '@sealpost/sdk/directory';
import { hpiI, HPII, SNOMED } from './sample.js';
import type { DirectoryStore } from '../../relay/directory/index.js';
import { startDirectory, trustStore } from './helpers.js';
import type { DirectoryServer } from './helpers.js';

interface Bundle {
  resourceType: string;
  type: string;
  total?: number;
  link: { relation: string; url: string }[];
  entry: { fullUrl: string; resource: { resourceType: string; id: string }; search: { mode: string } }[];
}

const matchIds = (bundle: Bundle): string[] => bundle.entry.filter((e) => e.search.mode === 'match').map((e) => e.resource.id).sort();

export function fhirRoutesSuite(kind: 'sqlite' | 'postgres', createStore: () => Promise<DirectoryStore>): void {
let server: DirectoryServer;
let client: Client;

beforeAll(async () => {
  server = await startDirectory({ store: await createStore() });
  client = new Client({ baseUrl: server.base });
});
afterAll(async () => server?.close());

const search = async (resourceType: string, searchParams: Record<string, string | string[]>): Promise<Bundle> => (await client.search({ resourceType, searchParams })) as unknown as Bundle;
describe(`FHIR directory over HTTP (fhir-kit-client, ${kind})`, () => {
  it('serves a CapabilityStatement listing the resources, parameters and includes', async () => {
    const cs = (await client.capabilityStatement()) as unknown as { resourceType: string; fhirVersion: string; rest: { resource: { type: string; searchParam: { name: string; type: string }[]; searchInclude: string[] }[] }[] };
    expect(cs.resourceType).toBe('CapabilityStatement');
    expect(cs.fhirVersion).toBe('4.0.1');
    const types = cs.rest[0]!.resource.map((r) => r.type);
    expect(types).toEqual(['Organization', 'Practitioner', 'PractitionerRole', 'HealthcareService', 'Endpoint']);
    const role = cs.rest[0]!.resource.find((r) => r.type === 'PractitionerRole')!;
    expect(role.searchParam.map((p) => p.name)).toEqual(expect.arrayContaining(['specialty', 'organization', 'endpoint', 'identifier', 'practitioner.name']));
    expect(role.searchInclude).toEqual(expect.arrayContaining(['PractitionerRole:practitioner', 'PractitionerRole:organization', 'PractitionerRole:endpoint']));
  });

  it('reads each resource type and answers 404 with an OperationOutcome', async () => {
    for (const [resourceType, id] of [['Organization', 'harbourside'], ['Practitioner', 'jane'], ['PractitionerRole', 'jane-harbourside'], ['HealthcareService', 'harbourside-skin'], ['Endpoint', 'jane']] as const) {
      const resource = (await client.read({ resourceType, id })) as unknown as { resourceType: string; id: string; meta: { versionId: string } };
      expect(resource).toMatchObject({ resourceType, id, meta: { versionId: '1' } });
    }
    const error = (await client.read({ resourceType: 'Practitioner', id: 'nobody' }).catch((e: unknown) => e)) as { response: { status: number; data: { resourceType: string; issue: { code: string }[] } } };
    expect(error.response.status).toBe(404);
    expect(error.response.data.resourceType).toBe('OperationOutcome');
    expect(error.response.data.issue[0]!.code).toBe('not-found');
  });

  it('searches name (prefix), name:contains, family and given', async () => {
    expect(matchIds(await search('Practitioner', { name: 'Jan' }))).toEqual(['jane', 'janet']);
    expect(matchIds(await search('Practitioner', { 'name:contains': 'itize' }))).toEqual(['jane']);
    expect(matchIds(await search('Practitioner', { family: 'smi' }))).toEqual(['janet', 'zoe']);
    expect(matchIds(await search('Practitioner', { given: 'zoe' }))).toEqual(['zoe']);
    expect(matchIds(await search('Organization', { name: 'harbourside medical' }))).toEqual(['harbourside']);
    expect(matchIds(await search('HealthcareService', { name: 'skin' }))).toEqual(['harbourside-skin']);
    expect(matchIds(await search('Endpoint', { name: 'shared' }))).toEqual(['harbourside-inbox']);
  });

  it('searches specialty, address-city, address-postalcode, identifier, organization and endpoint', async () => {
    expect(matchIds(await search('PractitionerRole', { specialty: `${SNOMED}|394579002` }))).toEqual(['zoe-northside']);
    expect(matchIds(await search('Organization', { 'address-city': 'manly' }))).toEqual(['harbourside']);
    expect(matchIds(await search('Practitioner', { 'address-postalcode': '2067' }))).toEqual(['zoe']);
    expect(matchIds(await search('Practitioner', { identifier: `${HPII}|${hpiI(1)}` }))).toEqual(['jane']);
    expect(matchIds(await search('PractitionerRole', { organization: 'Organization/northside' }))).toEqual(['zoe-northside']);
    expect(matchIds(await search('PractitionerRole', { organization: 'harbourside', specialty: '394814009' }))).toEqual(['jane-harbourside', 'janet-harbourside']);
    expect(matchIds(await search('Organization', { endpoint: 'Endpoint/harbourside-inbox' }))).toEqual(['harbourside']);
    expect(matchIds(await search('Endpoint', { identifier: 'https://sealpost.org/fhir/sid/address|zoe@northside.example' }))).toEqual(['zoe']);
  });

  it('includes the referenced practitioner, organization and endpoint with _include', async () => {
    const bundle = await search('PractitionerRole', { 'practitioner.name': 'citizen', _include: ['PractitionerRole:practitioner', 'PractitionerRole:organization', 'PractitionerRole:endpoint'] });
    expect(matchIds(bundle)).toEqual(['jane-harbourside']);
    const included = bundle.entry.filter((e) => e.search.mode === 'include').map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort();
    expect(included).toEqual(['Endpoint/jane', 'Organization/harbourside', 'Practitioner/jane']);
    expect(bundle.entry[0]!.fullUrl).toBe(`${server.base}/PractitionerRole/jane-harbourside`);
  });

  it('pages with _count and next/previous links that fhir-kit-client follows', async () => {
    let bundle = await search('PractitionerRole', { _count: '1', _total: 'accurate' });
    expect(bundle.total).toBe(3);
    const seen = [...matchIds(bundle)];
    let pages = 1;
    for (;;) {
      const next = client.nextPage({ bundle: bundle as never });
      if (!next) break;
      bundle = (await next) as unknown as Bundle;
      seen.push(...matchIds(bundle));
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(['jane-harbourside', 'janet-harbourside', 'zoe-northside']);
    const previous = (await client.prevPage({ bundle: bundle as never })) as unknown as Bundle;
    expect(matchIds(previous)).toHaveLength(1);
    expect(bundle.link.find((l) => l.relation === 'next')).toBeUndefined();
  });

  it('refuses unknown parameters, modifiers and includes with 400 OperationOutcome', async () => {
    const bad: Record<string, string>[] = [{ colour: 'blue' }, { 'name:missing': 'x' }, { _include: 'Practitioner:organization' }, { _count: '-1' }];
    for (const searchParams of bad) {
      const error = (await search('PractitionerRole', searchParams).catch((e: unknown) => e)) as { response: { status: number; data: { resourceType: string; issue: { code: string }[] } } };
      expect(error.response.status).toBe(400);
      expect(error.response.data.issue[0]!.code).toBe('invalid');
    }
    const error = (await search('Patient', {}).catch((e: unknown) => e)) as { response: { status: number } };
    expect(error.response.status).toBe(404);
  });

  it('signs every answer with the relay identity; the signature breaks when the body is altered', async () => {
    const url = `${server.base}/Practitioner?name=jan`;
    const res = await fetch(url);
    const body = new Uint8Array(await res.arrayBuffer());
    const header = res.headers.get(SIGNATURE_HEADER);
    const trust = await trustStore();
    const verified = await verifyAnswer(body, header, { trust, url });
    expect(verified.signer).toContain('relay.harbourside.example');
    const altered = new TextEncoder().encode(new TextDecoder().decode(body).replace('Citizen', 'Crook'));
    await expect(verifyAnswer(altered, header, { trust, url })).rejects.toMatchObject({ code: 'ERR_DIRECTORY_SIGNATURE' });
    await expect(verifyAnswer(body, header, { trust, url: `${server.base}/Practitioner?name=zoe` })).rejects.toMatchObject({ code: 'ERR_DIRECTORY_SIGNATURE' });
    const notFound = await fetch(`${server.base}/Practitioner/nobody`);
    expect(notFound.headers.get(SIGNATURE_HEADER)).toBeTruthy();
  });
});
}
