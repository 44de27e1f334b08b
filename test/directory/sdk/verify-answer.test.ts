/** signAnswer / verifyAnswer: the detached JWS over directory answers. */
import { describe, expect, it } from 'vitest';
import { generateIdentity, TrustStore } from '@sealpost/sdk/crypto';
import { signAnswer, verifyAnswer } from '@sealpost/sdk/directory';
import { relayIdentity, testCa, trustStore } from '../helpers.js';

const body = new TextEncoder().encode('{"resourceType":"Bundle","type":"searchset","entry":[]}');
const url = '/fhir/Endpoint?identifier=x';
const b64url = (text: string): string => btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

describe('directory answer signatures', () => {
  it('round-trips with P-256 (ES256) and RSA (RS256) relay identities', async () => {
    const trust = await trustStore();
    const ec = await relayIdentity();
    const { identity: rsa } = await generateIdentity({ name: 'relay.rsa.example', address: 'relay@relay.rsa.example', issuer: await testCa(), algorithm: 'RSA-2048' });
    for (const [identity, alg] of [[ec, 'ES256'], [rsa, 'RS256']] as const) {
      const header = await signAnswer(body, url, identity);
      expect(JSON.parse(atob(header.split('.')[0]!.replace(/-/g, '+').replace(/_/g, '/')))).toMatchObject({ alg, typ: 'sealpost-directory+jws', url });
      const verified = await verifyAnswer(body, header, { trust, url: `https://relay.example${url}` });
      expect(verified.certificate).toEqual(identity.certificate);
    }
  });

  it('refuses missing, malformed, stale, future, re-typed and misaddressed signatures', async () => {
    const trust = await trustStore();
    const signer = await relayIdentity();
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const header = await signAnswer(body, url, signer, { now });
    const reject = (h: string | null, options: { url?: string; now?: Date } = {}) =>
      expect(verifyAnswer(body, h, { trust, url: options.url ?? url, now: options.now ?? now })).rejects.toMatchObject({ code: 'ERR_DIRECTORY_SIGNATURE' });
    await reject(null);
    await reject('not-a-jws');
    await reject(header.replace('..', '.eyJ9.'));
    await reject(header, { now: new Date(now.getTime() + 16 * 60_000) });
    await reject(header, { now: new Date(now.getTime() - 6 * 60_000) });
    await reject(header, { url: '/fhir/Endpoint?identifier=y' });
    const [protectedPart, , signature] = header.split('.');
    const decoded = JSON.parse(atob(protectedPart!.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
    await reject(`${b64url(JSON.stringify({ ...decoded, typ: 'JWT' }))}..${signature}`);
    await reject(`${b64url(JSON.stringify({ ...decoded, alg: 'none' }))}..`);
    await reject(`${b64url(JSON.stringify({ ...decoded, x5c: [] }))}..${signature}`);
    // A header re-signed with another URL by someone without the key: the signature no longer matches.
    await reject(`${b64url(JSON.stringify({ ...decoded, url: '/fhir/Endpoint?identifier=y' }))}..${signature}`, { url: '/fhir/Endpoint?identifier=y' });
    await expect(verifyAnswer(body, header, { trust: new TrustStore(), url, now })).rejects.toMatchObject({ code: 'ERR_DIRECTORY_UNTRUSTED' });
    await expect(verifyAnswer(body, header, { trust, url, now })).resolves.toMatchObject({ signedAt: now });
  });
});
