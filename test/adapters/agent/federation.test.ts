/**
 * The issue's end-to-end proof with two relays (test/federation's harness: loopback relays with
 * relay identities, signed directories and pinned peers) and two agent processes: practice A's EMR
 * writes a REF^I12 into its outbox → agent A resolves B's certificate through the directory, seals
 * and sends → relay A forwards to relay B → agent B files it into its FHIR EMR (Medplum's
 * FhirRouter, bearer token) under the matched patient. A letter for an unknown patient waits in B's
 * review queue until staff reject it. B's receipts go back through relay B to relay A: A's timeline
 * shows delivered then imported, and rejected with the reason.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MESSAGE_ID_SYSTEM } from '../../../adapters/fhir/fhir-emr.js';
import { IDENTIFIER_SYSTEMS } from '../../../adapters/match/match-patient.js';
import { runCli } from '../../../cli/run.js';
import { HARNESS_PASSPHRASE, sqliteBackend, startFederation } from '../../federation/harness.js';
import type { Backend, Federation, HarnessMailbox } from '../../federation/harness.js';
import { spawnFhirServer } from '../support/fhir-server-process.js';
import type { FhirServerProcess } from '../support/fhir-server-process.js';
import { oru } from '../support/messages.js';
import { spawnAgent, waitFor, writeJson } from './support.js';
import type { AgentProcess } from './support.js';

let backend: Backend;
let fed: Federation;
let fhir: FhirServerProcess;
let a: HarnessMailbox;
let b: HarnessMailbox;
const agents: AgentProcess[] = [];
const TOKEN = 'emr-static-token';

beforeAll(async () => {
  backend = sqliteBackend();
  fed = await startFederation({ domains: ['northside.example', 'harbourside.example'], backend });
  a = await fed.relay('northside.example').addMailbox('letters');
  b = await fed.relay('harbourside.example').addMailbox('inbox');
  const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  fhir = await spawnFhirServer({ clientId: 'unused', jwk: await crypto.subtle.exportKey('jwk', keys.publicKey), staticToken: TOKEN });
}, 60_000);
afterAll(async () => {
  for (const x of agents) if (x.child.exitCode === null && x.child.signalCode === null) x.child.kill('SIGKILL');
  await fhir?.close();
  await fed?.close();
  await backend?.cleanup();
});

const ref = (controlId: string, family = 'Citizen'): string => oru(controlId, { family }).replace('ORU^R01^ORU_R01', 'REF^I12^REF_I12');

describe('two practices, two agents, two federated relays', () => {
  it('REF^I12 from A’s EMR folder is filed into B’s FHIR EMR under the matched patient; an unknown patient is rejected by staff with a reason', async () => {
    const jane = await fhir.create({ resourceType: 'Patient', identifier: [{ system: IDENTIFIER_SYSTEMS.ihi, value: '8003608166690503' }], name: [{ family: 'Citizen', given: ['Jane'] }], birthDate: '1980-01-01', gender: 'female' }, TOKEN);
    const root = join(fed.dir, 'agents');
    const outbox = join(root, 'a', 'export');
    mkdirSync(outbox, { recursive: true });
    writeFileSync(join(root, 'emr-token.txt'), `${TOKEN}\n`);
    const directories = fed.relays.map((r) => `${r.url}/fhir`);
    const configA = writeJson(join(root, 'a', 'agent.json'), {
      identity: { dir: a.dir },
      trust: [fed.caFile],
      relay: { url: fed.relay('northside.example').url, pollSeconds: 0.2 },
      state: 'agent.db',
      directory: { urls: directories },
      outbound: [{ type: 'file-drop', folder: 'export', to: b.address, settleMs: 0, pollSeconds: 0.1 }],
    });
    const stateB = join(root, 'b', 'agent.db');
    const configB = writeJson(join(root, 'b', 'agent.json'), {
      identity: { dir: b.dir },
      trust: [fed.caFile],
      relay: { url: fed.relay('harbourside.example').url, pollSeconds: 0.2 },
      state: 'agent.db',
      inbound: [{ type: 'fhir', baseUrl: fhir.baseUrl, auth: { type: 'bearer', tokenFile: '../emr-token.txt' } }],
    });
    const agentA = spawnAgent(configA, HARNESS_PASSPHRASE);
    const agentB = spawnAgent(configB, HARNESS_PASSPHRASE);
    agents.push(agentA, agentB);
    await Promise.all([agentA.started, agentB.started]);

    writeFileSync(join(outbox, 'referral-1.hl7'), ref('REF1'));
    writeFileSync(join(outbox, 'referral-2.hl7'), ref('REF2', 'Nobody').replace('8003608166690503^^^AUSHIC^NI', 'Z9^^^OTHER'));

    // Filed at B, under Jane, exactly once, with the messageId agent A chose.
    const sent = await waitFor('A sent both letters', () => {
      const lines = agentA.logs.filter((l) => l['msg'] === 'letter sent');
      return lines.length === 2 ? lines : undefined;
    });
    expect(sent.map((l) => l['recipient'])).toEqual([b.address, b.address]);
    const refId = sent.find((l) => l['file'] === 'referral-1.hl7')!['messageId'] as string;
    const unknownId = sent.find((l) => l['file'] === 'referral-2.hl7')!['messageId'] as string;
    const docs = await waitFor('the DocumentReference at B', async () => {
      const bundle = await fhir.get<{ entry?: { resource: { subject: { reference: string }; content: { attachment: { data: string } }[] } }[] }>(`DocumentReference?identifier=${encodeURIComponent(`${MESSAGE_ID_SYSTEM}|${refId}`)}`, TOKEN);
      return bundle.entry?.length ? bundle.entry : undefined;
    });
    expect(docs).toHaveLength(1);
    expect(docs[0]!.resource.subject.reference).toBe(`Patient/${jane.id}`);
    expect(Buffer.from(docs[0]!.resource.content[0]!.attachment.data, 'base64').toString()).toBe(ref('REF1'));

    // The unknown patient waits for staff; they reject it.
    const cli = async (args: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(args, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: {}, cwd: root });
      return { code, stdout, stderr };
    };
    const pending = await waitFor('the review item at B', async () => {
      const listed = await cli(['review', 'list', '--config', configB, '--json']);
      return (JSON.parse(listed.stdout || '[]') as { id: number; messageId: string }[])[0];
    });
    expect(pending.messageId).toBe(unknownId);
    expect(await cli(['review', 'reject', String(pending.id), '--by', 'reception@harbourside', '--config', configB])).toMatchObject({ code: 0 });

    // B's receipts: delivered and imported for the referral, delivered and rejected (patient not found) for the other.
    const rows = await waitFor('four receipts at B', () => {
      const db = new Database(stateB, { readonly: true });
      try {
        const r = db.prepare('SELECT message_id AS messageId, status, reason, state FROM agent_receipts ORDER BY rowid').all() as { messageId: string; status: string; reason: string | null; state: string }[];
        return r.length === 4 && r.every((x) => x.state === 'sent' || x.state === 'failed') ? r : undefined;
      } finally {
        db.close();
      }
    });
    expect(rows.map((r) => `${r.messageId === refId ? 'ref' : 'unknown'}:${r.status}${r.reason ? `:${r.reason}` : ''}`).sort()).toEqual(['ref:delivered', 'ref:imported', 'unknown:delivered', 'unknown:rejected:patient not found']);
    expect(rows.every((r) => r.state === 'sent')).toBe(true);

    // A's timeline (relay A, receipts carried back from relay B): delivered then imported; rejected with the reason.
    const clientA = a.client();
    const kinds = async (messageId: string): Promise<string[]> => (await clientA.timeline(messageId)).events.map((e) => `${e.kind}${e.reason ? `:${e.reason}` : ''}`);
    const refTimeline = await waitFor('imported on A’s timeline', async () => {
      const k = await kinds(refId);
      return k.includes('imported') ? k : undefined;
    });
    expect(refTimeline.filter((k) => k === 'delivered' || k === 'imported')).toEqual(['delivered', 'imported']);
    const unknownTimeline = await waitFor('rejected on A’s timeline', async () => {
      const k = await kinds(unknownId);
      return k.some((x) => x.startsWith('rejected')) ? k : undefined;
    });
    expect(unknownTimeline).toContain('rejected:patient not found');

    agentA.child.kill('SIGTERM');
    agentB.child.kill('SIGTERM');
    expect((await agentA.exited).code).toBe(0);
    expect((await agentB.exited).code).toBe(0);
    expect(readFileSync(join(outbox, 'sent', 'referral-1.hl7'), 'utf8')).toBe(ref('REF1'));
  });
});
