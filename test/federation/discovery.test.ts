/**
 * Discovery and publication on SQLite: /.well-known/sealpost, the relay Endpoint published on
 * listen, mailbox registration by invite publishing its Endpoint (and a missing Endpoint published
 * on first lookup), and peer resolution when a domain is not pinned. Loopback has no DNS, so the
 * well-known lookup is tested with an injected fetch and relay-to-relay discovery with an injected
 * resolver or the directory's relay Endpoints.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity, sealEnvelope, toPem } from '@sealpost/sdk/crypto';
import { DirectoryClient, SIGNATURE_HEADER, verifyAnswer } from '@sealpost/sdk/directory';
import { publishMailbox } from '../../relay/directory/publish-mailbox.js';
import { findRelayUrl, publishRelay } from '../../relay/directory/publish-relay.js';
import { resolveConfig } from '../../relay/config.js';
import { forwardsTo, resolvePeer, wellKnownRelay } from '../../relay/federation/resolve-peer.js';
import { hashInvite } from '../../relay/plugins/mailbox.js';
import { signChallenge } from '../relay/helpers.js';
import { sqliteBackend, startFederation, waitFor } from './harness.js';
import type { Backend, Federation } from './harness.js';

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

describe('/.well-known/sealpost', () => {
  it('names the domain, relay URL, directory, relay certificate and pinned peers, signed by the relay', async () => {
    const a = fed.relay('a.example');
    const b = fed.relay('b.example');
    const res = await fetch(`${a.url}/.well-known/sealpost`);
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(JSON.parse(new TextDecoder().decode(bytes))).toEqual({
      domain: 'a.example',
      relay: a.url,
      directory: `${a.url}/fhir`,
      certificate: toPem(a.identity.certificate, 'CERTIFICATE'),
      peers: [{ domain: 'b.example', relay: b.url, directory: `${b.url}/fhir` }],
    });
    const verified = await verifyAnswer(bytes, res.headers.get(SIGNATURE_HEADER), { trust: fed.trust, url: `${a.url}/.well-known/sealpost` });
    expect(verified.certificate).toEqual(a.identity.certificate);
  });

  it('the relay publishes its relay Endpoint (domain → URL) in its directory when it listens', async () => {
    expect(await findRelayUrl(fed.relay('a.example').directory!, 'a.example')).toBe(fed.relay('a.example').url);
    expect(await findRelayUrl(fed.relay('a.example').directory!, 'nowhere.example')).toBeUndefined();
  });

  it("a relay that moves (new URL) moves its mailboxes' Endpoints with it, and only those", async () => {
    const store = fed.relay('a.example').directory!;
    const { identity } = await generateIdentity({ name: 'Mo', address: 'mo@moving.example', issuer: fed.ca });
    const other = await generateIdentity({ name: 'Ot', address: 'ot@other.example', issuer: fed.ca });
    await publishRelay(store, { domain: 'moving.example', relayUrl: 'http://127.0.0.1:1111' });
    await publishMailbox(store, { address: 'mo@moving.example', certificate: identity.certificate }, { relayUrl: 'http://127.0.0.1:1111' });
    await publishMailbox(store, { address: 'ot@other.example', certificate: other.identity.certificate }, { relayUrl: 'http://127.0.0.1:1111' });
    await publishRelay(store, { domain: 'moving.example', relayUrl: 'http://127.0.0.1:2222/' });
    expect(await findRelayUrl(store, 'moving.example')).toBe('http://127.0.0.1:2222');
    expect((await store.get('Endpoint', 'mo-at-moving.example'))?.address).toBe('http://127.0.0.1:2222');
    expect((await store.get('Endpoint', 'ot-at-other.example'))?.address).toBe('http://127.0.0.1:1111');
  });
});

describe('mailbox registration publishes the Endpoint', () => {
  it('registration with an invite publishes address, relay URL, requested payload types and certificate', async () => {
    const a = fed.relay('a.example');
    const invite = randomUUID();
    await a.store!.createInvite({ codeHash: hashInvite(invite), address: 'dana@a.example', expiresAt: Date.now() + 60_000 });
    const { identity } = await generateIdentity({ name: 'Dana', address: 'dana@a.example', issuer: fed.ca });
    const signature = await signChallenge(identity, `sealpost-register-v1\ndana@a.example\n${invite}`);
    const res = await fetch(`${a.url}/v1/mailboxes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ address: 'dana@a.example', certificate: Buffer.from(identity.certificate).toString('base64url'), invite, signature, payloadTypes: ['hl7v2-ref-i12-l1'] }),
    });
    expect(res.status).toBe(201);
    const resolved = await new DirectoryClient({ directories: [`${a.url}/fhir`], trust: fed.trust }).resolve('dana@a.example');
    expect(resolved).toMatchObject({ relayUrl: a.url, payloadTypes: ['hl7v2-ref-i12-l1'] });
    expect(resolved.certificate).toEqual(identity.certificate);
  });

  it('a local mailbox whose Endpoint is missing (second step failed) is published on the first lookup', async () => {
    const a = fed.relay('a.example');
    const { identity } = await generateIdentity({ name: 'Eve', address: 'eve@a.example', issuer: fed.ca });
    await a.store!.addMailbox({ address: 'eve@a.example', certificate: identity.certificate, createdAt: Date.now() });
    expect(await a.directory!.get('Endpoint', 'eve-at-a.example')).toBeUndefined();
    const resolved = await new DirectoryClient({ directories: [`${a.url}/fhir`], trust: fed.trust }).resolve('eve@a.example');
    expect(resolved.relayUrl).toBe(a.url);
    expect(resolved.payloadTypes).toEqual(['fhir-document', 'hl7v2-ref-i12-l2', 'hl7v2-ref-i12-l1']);
  });

  it('the URL published on lookup is the relay’s own, never the Host header of the anonymous request', async () => {
    const a = fed.relay('a.example');
    const { identity } = await generateIdentity({ name: 'Fay', address: 'fay@a.example', issuer: fed.ca });
    await a.store!.addMailbox({ address: 'fay@a.example', certificate: identity.certificate, createdAt: Date.now() });
    const res = await a.server!.app.inject({ method: 'GET', url: `/fhir/Endpoint?identifier=${encodeURIComponent('https://sealpost.org/fhir/sid/address|fay@a.example')}`, headers: { host: 'evil.example' } });
    expect(res.statusCode).toBe(200);
    expect((await a.directory!.get('Endpoint', 'fay-at-a.example'))?.address).toBe(a.url);
  });
});

describe('resolvePeer', () => {
  it('a pinned peer wins; without discovery an unpinned domain is not forwarded', async () => {
    const config = resolveConfig({ store: fed.relay('a.example').store!, domain: 'a.example', peers: { 'b.example': 'http://pinned.invalid' }, peerResolver: async () => 'http://discovered.invalid' });
    expect(await resolvePeer(config, 'b.example')).toBe('http://pinned.invalid');
    expect(forwardsTo(config, 'c.example')).toBe(false);
    expect(await resolvePeer(config, 'c.example')).toBeUndefined();
    expect(forwardsTo(config, 'a.example')).toBe(false);
  });

  it('with discovery: the relay Endpoint in the directory, then https://DOMAIN/.well-known/sealpost', async () => {
    const a = fed.relay('a.example');
    await publishRelay(a.directory!, { domain: 'listed.example', relayUrl: 'https://relay.listed.example/' });
    const config = resolveConfig({ store: a.store!, domain: 'a.example', discoverPeers: true, directory: { store: a.directory! } });
    expect(forwardsTo(config, 'listed.example')).toBe(true);
    expect(await resolvePeer(config, 'listed.example')).toBe('https://relay.listed.example');
    // Loopback has no DNS: the well-known lookup is checked with an injected fetch.
    const asked: string[] = [];
    const fakeFetch = (async (url: string) => {
      asked.push(url);
      const domain = new URL(url).hostname;
      return Response.json(domain === 'known.example' ? { domain, relay: 'https://mx.known.example/' } : { domain: 'someone-else.example', relay: 'https://evil.example' });
    }) as typeof fetch;
    expect(await wellKnownRelay('known.example', { fetch: fakeFetch })).toBe('https://mx.known.example');
    expect(await wellKnownRelay('liar.example', { fetch: fakeFetch })).toBeUndefined();
    expect(await wellKnownRelay('not a domain', { fetch: fakeFetch })).toBeUndefined();
    expect(asked).toEqual(['https://known.example/.well-known/sealpost', 'https://liar.example/.well-known/sealpost']);
  });
});

describe('forwarding to a discovered relay', () => {
  it('A forwards to C found through the relay Endpoint in A’s directory (no pin, no injected lookup); C finds A the same way', async () => {
    const disc = await startFederation({ domains: ['a.example', 'c.example'], backend, peers: () => ({}), options: () => ({ discoverPeers: true }) });
    try {
      const [a, c] = [disc.relay('a.example'), disc.relay('c.example')];
      // What importing a published directory listing the other relay would do.
      await publishRelay(a.directory!, { domain: 'c.example', relayUrl: c.url, certificate: c.identity.certificate });
      await publishRelay(c.directory!, { domain: 'a.example', relayUrl: a.url, certificate: a.identity.certificate });
      const alice = await a.addMailbox('alice');
      const carol = await c.addMailbox('carol');
      const messageId = randomUUID();
      const { envelope } = await sealEnvelope(new TextEncoder().encode('found in the directory'), { sender: alice.identity, recipients: [carol.identity.certificate], messageId });
      await alice.client().submit(envelope, { messageId, to: [carol.address] });
      await waitFor('the letter at C', async () => ((await carol.client().listInbox()).items.some((i) => i.messageId === messageId) ? true : undefined));
      // A records the outcome in its next group of settlements, which can come after C has the letter.
      const forwarded = await waitFor('the forward recorded at A', async () => {
        const row = (await a.store!.listOutbound()).find((o) => o.messageId === messageId);
        return row?.forwardedAt ? row : undefined;
      });
      expect(forwarded).toMatchObject({ peer: 'c.example', forwardedAt: expect.any(Number) });
    } finally {
      await disc.close();
    }
  }, 60_000);

  it('A forwards to C, which A has not pinned, found through the injected resolver; C accepts A found the same way', async () => {
    // C pins nobody; A pins only B. Each finds the other through the resolver (standing in for DNS).
    let urls: Record<string, string> = {};
    const resolver = async (domain: string): Promise<string | undefined> => urls[domain];
    const disc = await startFederation({
      domains: ['a.example', 'c.example'],
      backend,
      peers: () => ({}),
      options: () => ({ discoverPeers: true, peerResolver: resolver }),
    });
    try {
      urls = Object.fromEntries(disc.relays.map((r) => [r.domain, r.url]));
      const alice = await disc.relay('a.example').addMailbox('alice');
      const carol = await disc.relay('c.example').addMailbox('carol');
      const messageId = randomUUID();
      const { envelope } = await sealEnvelope(new TextEncoder().encode('discovered'), { sender: alice.identity, recipients: [carol.identity.certificate], messageId });
      await alice.client().submit(envelope, { messageId, to: [carol.address] });
      await waitFor('the letter at C', async () => ((await carol.client().listInbox()).items.some((i) => i.messageId === messageId) ? true : undefined));
      // An unknown domain is queued, not refused, and retried (nothing found yet).
      const lost = randomUUID();
      const sealed = await sealEnvelope(new TextEncoder().encode('nowhere'), { sender: alice.identity, recipients: [carol.identity.certificate], messageId: lost });
      await alice.client().submit(sealed.envelope, { messageId: lost, to: ['zed@nowhere.example'] });
      const row = await waitFor('a failed attempt', async () => (await disc.relay('a.example').store!.listOutbound()).find((o) => o.messageId === lost && o.attempts > 0));
      expect(row.lastError).toMatch(/no relay found for nowhere\.example/);
      expect(row.forwardedAt).toBeNull();
    } finally {
      await disc.close();
    }
  }, 60_000);
});
