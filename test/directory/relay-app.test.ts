/** The directory inside the relay app: /fhir beside the mailbox API, signed by the relay identity. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { SIGNATURE_HEADER, verifyAnswer } from '@sealpost/sdk/directory';
import { buildApp } from '../../relay/app.js';
import { openSqliteStore } from '../../relay/storage/sqlite.js';
import type { RelayStore } from '../../relay/storage/types.js';
import { openSqliteDirectoryStore } from '../../relay/directory/index.js';
import type { DirectoryStore } from '../../relay/directory/index.js';
import { relayIdentity, trustStore } from './helpers.js';
import { sampleDirectory } from './sample.js';

let app: FastifyInstance;
let store: RelayStore;
let directory: DirectoryStore;

beforeAll(async () => {
  store = openSqliteStore(':memory:');
  await store.migrate();
  directory = openSqliteDirectoryStore(':memory:');
  await directory.migrate();
  await directory.put(sampleDirectory());
  app = await buildApp({ store, logger: false, directory: { store: directory, signer: await relayIdentity(), publicUrl: 'https://relay.harbourside.example' } });
});
afterAll(async () => {
  await app.close();
  await store.close();
  await directory.close();
});

describe('relay app with the directory', () => {
  it('serves signed /fhir answers next to the mailbox API', async () => {
    const url = '/fhir/PractitionerRole?practitioner.name=jan&_include=PractitionerRole:endpoint';
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/fhir+json');
    const bundle = res.json<{ entry: { fullUrl: string }[] }>();
    expect(bundle.entry[0]!.fullUrl).toMatch(/^https:\/\/relay\.harbourside\.example\/fhir\/PractitionerRole\//);
    await verifyAnswer(res.rawPayload, res.headers[SIGNATURE_HEADER] as string, { trust: await trustStore(), url });
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('keeps its own errors: OperationOutcome under /fhir, problem+json elsewhere', async () => {
    const fhir = await app.inject({ method: 'GET', url: '/fhir/Practitioner?colour=blue' });
    expect(fhir.statusCode).toBe(400);
    expect(fhir.json()).toMatchObject({ resourceType: 'OperationOutcome' });
    const relay = await app.inject({ method: 'GET', url: '/v1/nothing-here' });
    expect(relay.statusCode).toBe(404);
    expect(relay.headers['content-type']).toContain('application/problem+json');
  });
});
