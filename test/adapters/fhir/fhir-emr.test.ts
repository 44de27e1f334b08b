import type { Patient } from '@medplum/fhirtypes';
import { afterEach, describe, expect, it } from 'vitest';
import { FhirEmr, MESSAGE_ID_SYSTEM } from '../../../adapters/fhir/fhir-emr.js';
import { signClientAssertion, smartBackendToken } from '../../../adapters/fhir/smart-backend.js';
import { IDENTIFIER_SYSTEMS, matchPatient } from '../../../adapters/match/match-patient.js';
import { renderHl7Letter } from '../../../adapters/import/render-hl7.js';
import { oru } from '../support/messages.js';
import { spawnFhirServer } from '../support/fhir-server-process.js';
import type { FhirServerProcess } from '../support/fhir-server-process.js';

const servers: FhirServerProcess[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const JANE: Patient = {
  resourceType: 'Patient',
  identifier: [{ system: IDENTIFIER_SYSTEMS.ihi, value: '8003608166690503' }],
  name: [{ family: 'Citizen', given: ['Jane'] }],
  birthDate: '1980-01-01',
  gender: 'female',
  address: [{ postalCode: '2000' }],
};

const TOKEN = 'static-secret';
async function documents(server: FhirServerProcess, type: 'DocumentReference' | 'DiagnosticReport', messageId: string): Promise<{ subject?: { reference?: string }; content?: { attachment: { data?: string; url?: string } }[]; presentedForm?: { data?: string; url?: string }[] }[]> {
  const bundle = await server.get<{ entry?: { resource: never }[] }>(`${type}?identifier=${encodeURIComponent(`${MESSAGE_ID_SYSTEM}|${messageId}`)}`, TOKEN);
  return (bundle.entry ?? []).map((e) => e.resource);
}
const serverKeys = async () => {
  const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  return { keys, jwk: await crypto.subtle.exportKey('jwk', keys.publicKey) };
};

describe('FHIR EMR adapter against Medplum’s FhirRouter + MemoryRepository over HTTP', () => {
  it('finds the patient by IHI, files a DocumentReference once even when retried, with a static bearer token', async () => {
    const { jwk } = await serverKeys();
    const server = await spawnFhirServer({ clientId: 'agent', jwk, staticToken: TOKEN });
    servers.push(server);
    const patient = await server.create(JANE, TOKEN);
    await server.create<Patient>({ resourceType: 'Patient', name: [{ family: 'Citizen', given: ['John'] }], birthDate: '1950-05-05' }, TOKEN);
    const emr = new FhirEmr({ baseUrl: server.baseUrl, token: 'static-secret' });
    // PID-3 8003608166690503^^^AUSHIC^NI: an IHI, as renderHl7Letter reads it.
    const letter = renderHl7Letter(new TextEncoder().encode(oru('F1')));
    expect(letter.patient.identifiers).toEqual([{ system: IDENTIFIER_SYSTEMS.ihi, value: '8003608166690503' }]);
    const candidates = await emr.findPatients(letter.patient);
    expect(candidates.map((c) => c.id)).toEqual([patient.id]);
    const match = matchPatient(letter.patient, candidates);
    expect(match).toMatchObject({ outcome: 'matched', patientId: patient.id });
    await emr.file(letter, patient.id!, 'msg-F1');
    await emr.file(letter, patient.id!, 'msg-F1');
    const docs = await documents(server, 'DocumentReference', 'msg-F1');
    expect(docs).toHaveLength(1);
    expect(docs[0]!.subject?.reference).toBe(`Patient/${patient.id}`);
    expect(Buffer.from(docs[0]!.content![0]!.attachment.data!, 'base64').toString()).toBe(oru('F1'));
    await expect(new FhirEmr({ baseUrl: server.baseUrl, token: 'wrong' }).findPatients(letter.patient)).rejects.toMatchObject({ code: 'ERR_EMR_REQUEST', message: 'Patient search: HTTP 401' });
  });

  it('falls back to family name and birth date, and files a large letter as Binary + DiagnosticReport, once', async () => {
    const { jwk } = await serverKeys();
    const server = await spawnFhirServer({ clientId: 'agent', jwk, staticToken: TOKEN });
    servers.push(server);
    const patient = await server.create(JANE, TOKEN);
    const emr = new FhirEmr({ baseUrl: server.baseUrl, token: TOKEN, resource: 'DiagnosticReport', inlineMaxBytes: 1000 });
    const candidates = await emr.findPatients({ family: 'Citizen', birthDate: '1980-01-01' });
    expect(candidates).toEqual([{ id: patient.id, identifiers: [{ system: IDENTIFIER_SYSTEMS.ihi, value: '8003608166690503' }], family: 'Citizen', given: ['Jane'], birthDate: '1980-01-01', sex: 'female', postcode: '2000' }]);
    const big = renderHl7Letter(new TextEncoder().encode(oru('F2', { filler: 8000 })));
    expect(big.content.length).toBeGreaterThan(64 * 1024);
    await emr.file(big, patient.id!, 'msg-F2');
    await emr.file(big, patient.id!, 'msg-F2');
    const reports = await documents(server, 'DiagnosticReport', 'msg-F2');
    expect(reports).toHaveLength(1);
    const url = (reports[0]!.presentedForm![0] as { url?: string }).url!;
    expect(url).toMatch(/^Binary\//);
    const binary = await server.get<{ resourceType: 'Binary'; data?: string; id: string }>(url, TOKEN);
    expect(Buffer.from(binary.data!, 'base64').toString()).toBe(oru('F2', { filler: 8000 }));
  });

  it('SMART Backend Services: client_credentials with an ES384 private_key_jwt; the token is cached; a wrong key is refused', async () => {
    const { keys, jwk } = await serverKeys();
    const server = await spawnFhirServer({ clientId: 'agent', jwk, staticToken: TOKEN });
    servers.push(server);
    await server.create(JANE, TOKEN);
    const token = smartBackendToken({ tokenUrl: server.tokenUrl, clientId: 'agent', privateKey: keys.privateKey, keyId: 'k1' });
    const emr = new FhirEmr({ baseUrl: server.baseUrl, token });
    expect(await emr.findPatients({ family: 'Citizen', birthDate: '1980-01-01' })).toHaveLength(1);
    expect(await emr.findPatients({ family: 'Citizen', birthDate: '1980-01-01' })).toHaveLength(1);
    expect((await server.stats()).issued).toBe(1);
    const jwt = await signClientAssertion({ tokenUrl: server.tokenUrl, clientId: 'agent', privateKey: keys.privateKey, keyId: 'k1' });
    expect(JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString())).toEqual({ alg: 'ES384', kid: 'k1', typ: 'JWT' });
    const other = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    const bad = new FhirEmr({ baseUrl: server.baseUrl, token: smartBackendToken({ tokenUrl: server.tokenUrl, clientId: 'agent', privateKey: other.privateKey, keyId: 'k2' }) });
    await expect(bad.findPatients({ family: 'Citizen', birthDate: '1980-01-01' })).rejects.toMatchObject({ code: 'ERR_EMR_AUTH' });
    expect((await server.stats()).refused).toBe(1);
  });
});
