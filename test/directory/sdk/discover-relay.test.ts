/** discoverRelay: a relay's signed /.well-known/sealpost, and what makes it unusable. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrustStore } from '@sealpost/sdk/crypto';
import { discoverRelay, SIGNATURE_HEADER, signAnswer } from '@sealpost/sdk/directory';
import { sqliteBackend, startFederation } from '../../federation/harness.js';
import type { Backend, Federation } from '../../federation/harness.js';

let backend: Backend;
let fed: Federation;
beforeAll(async () => {
  backend = sqliteBackend();
  fed = await startFederation({ domains: ['a.example', 'b.example'], backend });
}, 60_000);
afterAll(async () => {
  await fed?.close();
  await backend?.cleanup();
});

/** A fetch that answers every request with `body` and `headers`. */
const fixed = (body: BodyInit, headers: Record<string, string>, status = 200): typeof fetch => (async () => new Response(body, { status, headers })) as typeof fetch;

describe('discoverRelay', () => {
  it('reads domain, relay, directory, certificate and peers, checking the signature', async () => {
    const a = fed.relay('a.example');
    const found = await discoverRelay(a.url, { trust: fed.trust });
    expect(found).toMatchObject({ domain: 'a.example', relay: a.url, directory: `${a.url}/fhir`, peers: [{ domain: 'b.example', relay: fed.relay('b.example').url, directory: `${fed.relay('b.example').url}/fhir` }] });
    expect(found.signature?.certificate).toEqual(a.identity.certificate);
  });

  it('refuses an altered document, one replayed for another relay, one by an untrusted relay, and non-documents', async () => {
    const a = fed.relay('a.example');
    const res = await fetch(`${a.url}/.well-known/sealpost`);
    const text = await res.text();
    const header = res.headers.get(SIGNATURE_HEADER)!;
    const altered = text.replace(a.url, 'http://127.0.0.1:9');
    await expect(discoverRelay(a.url, { trust: fed.trust, fetch: fixed(altered, { [SIGNATURE_HEADER]: header }) })).rejects.toMatchObject({ code: 'ERR_DIRECTORY_SIGNATURE' });
    // A's signed document edited to speak for B: the signature no longer matches.
    const b = fed.relay('b.example');
    const claimsB = text.replace('"domain":"a.example"', '"domain":"b.example"');
    await expect(discoverRelay(b.url, { trust: fed.trust, fetch: fixed(claimsB, { [SIGNATURE_HEADER]: header }) })).rejects.toMatchObject({ code: 'ERR_DIRECTORY_SIGNATURE' });
    await expect(discoverRelay(a.url, { trust: new TrustStore() })).rejects.toMatchObject({ code: 'ERR_DIRECTORY_UNTRUSTED' });
    await expect(discoverRelay(a.url, { trust: fed.trust, fetch: fixed(text, {}) })).rejects.toMatchObject({ code: 'ERR_DIRECTORY_SIGNATURE' });
    await expect(discoverRelay(a.url, { trust: fed.trust, fetch: fixed('not json', {}) })).rejects.toMatchObject({ code: 'ERR_DIRECTORY_RESPONSE' });
    await expect(discoverRelay(a.url, { trust: fed.trust, fetch: fixed('{"domain":"a.example"}', {}) })).rejects.toMatchObject({ code: 'ERR_DIRECTORY_RESPONSE' });
    await expect(discoverRelay(a.url, { trust: fed.trust, fetch: fixed('{}', {}, 404) })).rejects.toMatchObject({ code: 'ERR_DIRECTORY_HTTP' });
  });

  it('a document signed by relay@a.example but claiming b.example is refused even when re-signed validly by A', async () => {
    // A relay can only speak for its own domain: the signer must name relay@DOMAIN of the document.
    const a = fed.relay('a.example');
    const forged = JSON.stringify({ domain: 'b.example', relay: a.url, peers: [] });
    const signature = await signAnswer(forged, '/.well-known/sealpost', a.identity);
    await expect(discoverRelay(a.url, { trust: fed.trust, fetch: fixed(forged, { [SIGNATURE_HEADER]: signature }) })).rejects.toMatchObject({ code: 'ERR_DIRECTORY_SIGNATURE', message: expect.stringMatching(/not signed by relay@b\.example/) });
  });
});
