/**
 * The DirectoryStore contract: one suite, run against SQLite (store.sqlite.test.ts) and PostgreSQL
 * (store.postgres.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DirectoryStore, Filter, Resource, SearchQuery } from '../../relay/directory/index.js';
import { HPII, HPIO, hpiI, hpiO, SNOMED, sampleDirectory } from './sample.js';

export interface DirectoryStoreFactory {
  kind: 'sqlite' | 'postgres';
  create(): Promise<DirectoryStore>;
}

const ids = (resources: Resource[]): string[] => resources.map((r) => r.id!).sort();
const q = (type: SearchQuery['type'], filters: Filter[], extra: Partial<SearchQuery> = {}): SearchQuery => ({ type, filters, count: 20, offset: 0, ...extra });
const prefix = (param: string, ...values: string[]): Filter => ({ param, match: 'prefix', alternatives: values.map((value) => ({ value })) });

export function directoryStoreContract(factory: DirectoryStoreFactory): void {
  describe(`DirectoryStore contract (${factory.kind})`, () => {
    let store: DirectoryStore;
    beforeEach(async () => {
      store = await factory.create();
      await store.put(sampleDirectory());
    });
    afterEach(async () => store.close());

    it('reports its kind and migrates idempotently', async () => {
      expect(store.kind).toBe(factory.kind);
      await store.migrate();
      expect(await store.count('Practitioner')).toBe(3);
    });

    it('stores, versions and reads back resources', async () => {
      const jane = (await store.get('Practitioner', 'jane'))!;
      expect(jane.meta).toMatchObject({ versionId: '1' });
      await store.put([{ ...jane, active: true }]);
      const again = (await store.get('Practitioner', 'jane'))!;
      expect(again.meta).toMatchObject({ versionId: '2' });
      expect(again.active).toBe(true);
      expect(await store.get('Practitioner', 'nobody')).toBeUndefined();
    });

    it('refuses resource types and ids the directory does not hold', async () => {
      await expect(store.put([{ resourceType: 'Patient', id: 'p1' }])).rejects.toThrow(RangeError);
      await expect(store.put([{ resourceType: 'Practitioner', id: 'bad id!' }])).rejects.toThrow(/invalid resource id/);
    });

    it('finds names by prefix of any word, accent- and case-insensitive', async () => {
      expect(ids((await store.search(q('Practitioner', [prefix('name', 'jan')]))).resources)).toEqual(['jane', 'janet']);
      expect(ids((await store.search(q('Practitioner', [prefix('name', 'citizen j')]))).resources)).toEqual(['jane']);
      expect(ids((await store.search(q('Practitioner', [prefix('name', 'zoe')]))).resources)).toEqual(['zoe']);
      expect(ids((await store.search(q('Practitioner', [prefix('name', 'smith')]))).resources)).toEqual(['janet', 'zoe']);
      expect(ids((await store.search(q('Organization', [prefix('name', 'medical cen')]))).resources)).toEqual(['harbourside']);
      expect(ids((await store.search(q('Organization', [prefix('name', 'harbourside gp')]))).resources)).toEqual(['harbourside']);
    });

    it('matches :contains and :exact', async () => {
      expect(ids((await store.search(q('Practitioner', [{ param: 'name', match: 'contains', alternatives: [{ value: 'itize' }] }]))).resources)).toEqual(['jane']);
      expect(ids((await store.search(q('Practitioner', [{ param: 'family', match: 'exact', alternatives: [{ value: 'smithers', system: '' }] }]))).resources)).toEqual(['janet']);
      expect(ids((await store.search(q('Practitioner', [{ param: 'family', match: 'exact', alternatives: [{ value: 'smith', system: '' }] }]))).resources)).toEqual([]);
    });

    it('searches family and given separately', async () => {
      expect(ids((await store.search(q('Practitioner', [prefix('family', 'cit')]))).resources)).toEqual(['jane']);
      expect(ids((await store.search(q('Practitioner', [prefix('given', 'anne')]))).resources)).toEqual(['zoe']);
      expect(ids((await store.search(q('Practitioner', [prefix('family', 'jane')]))).resources)).toEqual([]);
    });

    it('matches identifiers with and without system', async () => {
      const value = hpiI(2);
      expect(ids((await store.search(q('Practitioner', [{ param: 'identifier', match: 'exact', alternatives: [{ system: HPII, value }] }]))).resources)).toEqual(['zoe']);
      expect(ids((await store.search(q('Practitioner', [{ param: 'identifier', match: 'exact', alternatives: [{ value }] }]))).resources)).toEqual(['zoe']);
      expect(ids((await store.search(q('Practitioner', [{ param: 'identifier', match: 'exact', alternatives: [{ system: HPIO, value }] }]))).resources)).toEqual([]);
      expect(ids((await store.search(q('Organization', [{ param: 'identifier', match: 'exact', alternatives: [{ system: HPIO }] }]))).resources)).toEqual(['harbourside', 'northside']);
      expect(ids((await store.search(q('Organization', [{ param: 'identifier', match: 'exact', alternatives: [{ value: hpiO(1) }, { value: hpiO(2) }] }]))).resources)).toEqual(['harbourside', 'northside']);
    });

    it('searches address city and postcode', async () => {
      expect(ids((await store.search(q('Organization', [prefix('address-city', 'chats')]))).resources)).toEqual(['northside']);
      expect(ids((await store.search(q('Practitioner', [prefix('address-postalcode', '2095')]))).resources)).toEqual(['jane']);
    });

    it('searches references, specialty and AND of several parameters', async () => {
      const byOrg: Filter = { param: 'organization', match: 'exact', alternatives: [{ value: 'Organization/harbourside' }] };
      expect(ids((await store.search(q('PractitionerRole', [byOrg]))).resources)).toEqual(['jane-harbourside', 'janet-harbourside']);
      const gp: Filter = { param: 'specialty', match: 'exact', alternatives: [{ system: SNOMED, value: '394814009' }] };
      expect(ids((await store.search(q('PractitionerRole', [gp, prefix('practitioner.name', 'janet')]))).resources)).toEqual(['janet-harbourside']);
      expect(ids((await store.search(q('Endpoint', [{ param: 'organization', match: 'exact', alternatives: [{ value: 'Organization/harbourside' }] }]))).resources)).toEqual(['harbourside-inbox', 'jane']);
      expect(ids((await store.search(q('Organization', [{ param: 'endpoint', match: 'exact', alternatives: [{ value: 'Endpoint/harbourside-inbox' }] }]))).resources)).toEqual(['harbourside']);
    });

    it('keeps chained terms in step when the referenced resource changes', async () => {
      expect(ids((await store.search(q('PractitionerRole', [prefix('practitioner.name', 'citizen')]))).resources)).toEqual(['jane-harbourside']);
      expect(ids((await store.search(q('PractitionerRole', [prefix('organization.address-city', 'manly')]))).resources)).toEqual(['jane-harbourside', 'janet-harbourside']);
      expect(ids((await store.search(q('HealthcareService', [prefix('organization.name', 'harb')]))).resources)).toEqual(['harbourside-skin']);
      const jane = (await store.get('Practitioner', 'jane'))!;
      await store.put([{ ...jane, name: [{ family: 'Nguyen', given: ['Jane'] }] }]);
      expect(ids((await store.search(q('PractitionerRole', [prefix('practitioner.name', 'citizen')]))).resources)).toEqual([]);
      expect(ids((await store.search(q('PractitionerRole', [prefix('practitioner.name', 'nguyen')]))).resources)).toEqual(['jane-harbourside']);
      await store.delete('Practitioner', 'jane');
      expect(ids((await store.search(q('PractitionerRole', [prefix('practitioner.name', 'nguyen')]))).resources)).toEqual([]);
    });

    it('pages without gaps or duplicates, with a more flag and an accurate total', async () => {
      const extra: Resource[] = Array.from({ length: 25 }, (_, i) => ({ resourceType: 'Practitioner', id: `p${i}`, name: [{ family: `Paige${String(i).padStart(2, '0')}`, given: ['Pat', 'Patricia'] }] }));
      await store.put(extra);
      const seen: string[] = [];
      for (let offset = 0; ; offset += 10) {
        const page = await store.search(q('Practitioner', [prefix('name', 'pa')], { count: 10, offset, total: true }));
        expect(page.total).toBe(25);
        seen.push(...page.resources.map((r) => r.id!));
        if (!page.more) break;
      }
      expect(seen).toHaveLength(25);
      expect(new Set(seen).size).toBe(25);
      // Typeahead order: alphabetical by the matched name.
      expect(seen.slice(0, 3)).toEqual(['p0', 'p1', 'p2']);
      const all = await store.search(q('Practitioner', [], { count: 2 }));
      expect(all.resources).toHaveLength(2);
      expect(all.more).toBe(true);
    });

    it('filters by _id and deletes', async () => {
      const byId = await store.search(q('Practitioner', [{ param: '_id', match: 'exact', alternatives: [{ value: 'jane' }, { value: 'zoe' }] }]));
      expect(ids(byId.resources)).toEqual(['jane', 'zoe']);
      expect(await store.delete('Practitioner', 'zoe')).toBe(true);
      expect(await store.delete('Practitioner', 'zoe')).toBe(false);
      expect(ids((await store.search(q('Practitioner', [prefix('name', 'zoe')]))).resources)).toEqual([]);
    });

    it('reads several resources at once, in order, skipping missing ones', async () => {
      const got = await store.getMany([
        { type: 'Practitioner', id: 'zoe' },
        { type: 'Practitioner', id: 'missing' },
        { type: 'Practitioner', id: 'jane' },
      ]);
      expect(got.map((r) => r.id)).toEqual(['zoe', 'jane']);
    });
  });
}
