/** DirectoryClient against real signed directories on loopback: federation, verification, cache, certificate change. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity, TrustStore } from '@sealpost/sdk/crypto';
import type { Identity } from '@sealpost/sdk/crypto';
import { buildEndpoint, DirectoryClient } from '@sealpost/sdk/directory';
import type { CertificateChange , CertificateChangeEvent} from '@sealpost/sdk/directory';
import type { Resource } from '../../../relay/directory/index.js';
import { relayIdentity, startDirectory, testCa, trustStore } from '../helpers.js';
import type { DirectoryServer } from '../helpers.js';
import { HPII, hpiI, sampleDirectory } from '../sample.js';

let a: DirectoryServer;
let b: DirectoryServer;
let unsigned: DirectoryServer;
let jane: Identity;
let trust: TrustStore;

async function mailboxIdentity(address: string): Promise<Identity> {
  return (await generateIdentity({ name: address, address, issuer: await testCa() })).identity;
}

const janeEndpoint = (certificate: Uint8Array): Resource =>
  buildEndpoint({ id: 'jane', address: 'jane@harbourside.example', relayUrl: 'https://relay.harbourside.example', certificate, organization: 'Organization/harbourside', payloadTypes: ['hl7v2-ref-i12-l2', 'hl7v2-ref-i12-l1'] }) as unknown as Resource;

beforeAll(async () => {
  jane = await mailboxIdentity('jane@harbourside.example');
  trust = await trustStore();
  a = await startDirectory({ resources: [...sampleDirectory().filter((r) => !(r.resourceType === 'Endpoint' && r.id === 'jane')), janeEndpoint(jane.certificate)] });
  // Directory B (another relay) lists Jane too (same HPI-I) and one practitioner A does not know.
  b = await startDirectory({
    signer: await relayIdentity('relay.northside.example'),
    resources: [
      { resourceType: 'Practitioner', id: 'jane-b', identifier: [{ system: HPII, value: hpiI(1) }], name: [{ family: 'Citizen', given: ['Jane'] }] },
      { resourceType: 'Practitioner', id: 'janelle', identifier: [{ system: HPII, value: hpiI(9) }], name: [{ family: 'Moss', given: ['Janelle'] }] },
    ],
  });
  unsigned = await startDirectory({ signer: null });
});
afterAll(async () => {
  await Promise.all([a.close(), b.close(), unsigned.close()]);
});

describe('DirectoryClient', () => {
  it('resolves an address to Endpoint, relay, payload types and a validated certificate from a signed answer', async () => {
    const client = new DirectoryClient({ directories: [a.base], trust });
    const resolved = await client.resolve('Jane@Harbourside.example');
    expect(resolved.address).toBe('jane@harbourside.example');
    expect(resolved.relayUrl).toBe('https://relay.harbourside.example');
    expect(resolved.payloadTypes).toEqual(['hl7v2-ref-i12-l2', 'hl7v2-ref-i12-l1']);
    expect(resolved.certificate).toEqual(jane.certificate);
    expect(resolved.organization?.name).toBe('Harbourside Medical Centre');
    expect(resolved.signature?.signer).toContain('relay.harbourside.example');
    expect(resolved.certificateChanged).toBe(false);
    await expect(client.resolve('nobody@harbourside.example')).rejects.toMatchObject({ code: 'ERR_DIRECTORY_NOT_FOUND' });
  });

  it('merges and de-duplicates a federated search, and reports a directory that is down', async () => {
    const client = new DirectoryClient({ directories: [a.base, b.base, 'http://127.0.0.1:9/fhir'], trust, timeoutMs: 2000 });
    const result = await client.search('Practitioner', { name: 'jan' });
    const names = result.matches.map((m) => `${m.directory === a.base ? 'A' : 'B'}:${m.resource.id}`).sort();
    // Jane is in A and B with the same HPI-I: listed once, from A (first directory).
    expect(names).toEqual(['A:jane', 'A:janet', 'B:janelle']);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]!.error.code).toBe('ERR_DIRECTORY_HTTP');
    expect(result.failures[0]!.directory).toBe('http://127.0.0.1:9/fhir');
  });

  it('refuses tampered answers, untrusted signers and unsigned directories', async () => {
    const tamper: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const text = (await res.text()).replace('relay.harbourside.example', 'relay.evil.example');
      return new Response(text, { status: res.status, headers: res.headers });
    };
    await expect(new DirectoryClient({ directories: [a.base], trust, fetch: tamper }).resolve('jane@harbourside.example')).rejects.toMatchObject({ code: 'ERR_DIRECTORY_SIGNATURE' });
    const stranger = new TrustStore().addAnchor((await generateIdentity({ name: 'Other CA', ca: true })).identity.certificate);
    await expect(new DirectoryClient({ directories: [a.base], trust: stranger }).resolve('jane@harbourside.example')).rejects.toMatchObject({ code: 'ERR_DIRECTORY_UNTRUSTED' });
    await expect(new DirectoryClient({ directories: [unsigned.base], trust }).search('Practitioner', { name: 'jan' })).resolves.toMatchObject({ matches: [], failures: [{ error: { code: 'ERR_DIRECTORY_SIGNATURE' } }] });
    const dev = await new DirectoryClient({ directories: [unsigned.base], trust, requireSignature: false }).search('Practitioner', { name: 'jan' });
    expect(dev.matches).toHaveLength(2);
  });

  it('caches a resolution for the TTL, then asks again', async () => {
    let calls = 0;
    let now = Date.now();
    const counting: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    const client = new DirectoryClient({ directories: [a.base], trust, fetch: counting, ttlMs: 60_000, now: () => new Date(now) });
    await client.resolve('jane@harbourside.example');
    await client.resolve('jane@harbourside.example');
    expect(calls).toBe(1);
    now += 61_000;
    // The answer is verified against the injected clock: keep it within the signature's age limit.
    await client.resolve('jane@harbourside.example');
    expect(calls).toBe(2);
    client.invalidate('jane@harbourside.example');
    await client.resolve('jane@harbourside.example');
    expect(calls).toBe(3);
  });

  it('warns loudly (event, callback, flag) when a known address comes back with another certificate', async () => {
    const changes: CertificateChange[] = [];
    const events: CertificateChangeEvent[] = [];
    const client = new DirectoryClient({ directories: [a.base], trust, onCertificateChange: (c) => changes.push(c) });
    client.addEventListener('certificate-change', (e) => events.push(e as CertificateChangeEvent));
    const first = await client.resolve('jane@harbourside.example');
    const rolled = await mailboxIdentity('jane@harbourside.example');
    await a.store.put([janeEndpoint(rolled.certificate)]);
    try {
      const cached = await client.resolve('jane@harbourside.example');
      expect(cached.certificateChanged).toBe(false);
      const second = await client.resolve('jane@harbourside.example', { fresh: true });
      expect(second.certificateChanged).toBe(true);
      expect(second.previousFingerprint).toBe(first.fingerprint);
      expect(second.certificate).toEqual(rolled.certificate);
      expect(changes).toHaveLength(1);
      expect(changes[0]).toMatchObject({ address: 'jane@harbourside.example', previousFingerprint: first.fingerprint, fingerprint: second.fingerprint });
      expect(events).toHaveLength(1);
      expect(events[0]!.change.fingerprint).toBe(second.fingerprint);
      // Once seen, the new certificate is the known one.
      expect((await client.resolve('jane@harbourside.example', { fresh: true })).certificateChanged).toBe(false);
    } finally {
      await a.store.put([janeEndpoint(jane.certificate)]);
    }
  });

  it('refuses an endpoint whose certificate belongs to another address or to an untrusted issuer', async () => {
    const zoe = await mailboxIdentity('zoe@northside.example');
    const wrong = buildEndpoint({ id: 'mallory', address: 'mallory@harbourside.example', relayUrl: 'https://relay.harbourside.example', certificate: zoe.certificate }) as unknown as Resource;
    const selfSigned = (await generateIdentity({ name: 'eve', address: 'eve@harbourside.example' })).identity;
    const untrusted = buildEndpoint({ id: 'eve', address: 'eve@harbourside.example', relayUrl: 'https://relay.harbourside.example', certificate: selfSigned.certificate }) as unknown as Resource;
    await a.store.put([wrong, untrusted]);
    const client = new DirectoryClient({ directories: [a.base], trust });
    await expect(client.resolve('mallory@harbourside.example')).rejects.toMatchObject({ code: 'ERR_DIRECTORY_CERTIFICATE' });
    await expect(client.resolve('eve@harbourside.example')).rejects.toMatchObject({ code: 'ERR_DIRECTORY_CERTIFICATE' });
  });

  it('finds contacts by typeahead across directories, with their addresses', async () => {
    const client = new DirectoryClient({ directories: [a.base, b.base], trust });
    const { contacts, failures } = await client.find('harb');
    expect(failures).toEqual([]);
    const lines = contacts.map((c) => `${c.kind}|${c.display}|${c.address ?? ''}`);
    expect(lines).toContain('HealthcareService|Harbourside Skin Cancer Clinic — Harbourside Medical Centre, Manly|reception@harbourside.example');
    expect(lines).toContain('Organization|Harbourside Medical Centre, Manly|reception@harbourside.example');
    const people = await client.find('citizen');
    expect(people.contacts.map((c) => `${c.kind}|${c.display}|${c.address ?? ''}`)).toEqual(['PractitionerRole|Dr Jane Citizen — Harbourside Medical Centre, Manly|jane@harbourside.example']);
  });
});
