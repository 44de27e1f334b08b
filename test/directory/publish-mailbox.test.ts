/** A mailbox's Endpoint published to the directory is what a sender resolves. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity } from '@sealpost/sdk/crypto';
import { DirectoryClient } from '@sealpost/sdk/directory';
import { publishMailbox } from '../../relay/directory/index.js';
import { startDirectory, testCa, trustStore } from './helpers.js';
import type { DirectoryServer } from './helpers.js';

let server: DirectoryServer;
beforeAll(async () => {
  server = await startDirectory();
});
afterAll(async () => server.close());

describe('publishMailbox', () => {
  it('publishes address, relay URL, payload types and certificate; re-publishing replaces it', async () => {
    const { identity } = await generateIdentity({ name: 'Dr Bob', address: 'bob@harbourside.example', issuer: await testCa() });
    const endpoint = await publishMailbox(server.store, { address: 'Bob@Harbourside.example', certificate: identity.certificate }, { relayUrl: 'https://relay.harbourside.example', organization: 'Organization/harbourside', payloadTypes: ['hl7v2-ref-i12-l2'] });
    expect(endpoint).toMatchObject({ resourceType: 'Endpoint', id: 'bob-at-harbourside.example', status: 'active', address: 'https://relay.harbourside.example' });
    const client = new DirectoryClient({ directories: [server.base], trust: await trustStore() });
    const resolved = await client.resolve('bob@harbourside.example');
    expect(resolved.certificate).toEqual(identity.certificate);
    expect(resolved.payloadTypes).toEqual(['hl7v2-ref-i12-l2']);
    expect(resolved.organization?.id).toBe('harbourside');
    const again = await publishMailbox(server.store, { address: 'bob@harbourside.example', certificate: identity.certificate }, { relayUrl: 'https://relay.harbourside.example' });
    expect(again.meta).toMatchObject({ versionId: '2' });
    expect((await client.resolve('bob@harbourside.example', { fresh: true })).payloadTypes).toEqual(['fhir-document', 'hl7v2-ref-i12-l2', 'hl7v2-ref-i12-l1']);
  });
});
