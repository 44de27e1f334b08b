/**
 * `sealpost agent` as a real child process against a real relay on loopback (relay/, SQLite) and a
 * real FHIR server none of us wrote (Medplum's FhirRouter, its own process): letters in → filed into
 * the import folder and the FHIR EMR, EMR acknowledgement files → imported / rejected receipts, the
 * review queue shared with `sealpost review`, the health endpoint, and SIGTERM → exit 0.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealEnvelope, TrustStore, fromPem, verifyReceipt } from '@sealpost/sdk/crypto';
import { RelayClient } from '@sealpost/sdk/transport';
import { MESSAGE_ID_SYSTEM } from '../../../adapters/fhir/fhir-emr.js';
import { IDENTIFIER_SYSTEMS } from '../../../adapters/match/match-patient.js';
import { runCli } from '../../../cli/run.js';
import { spawnFhirServer } from '../support/fhir-server-process.js';
import type { FhirServerProcess } from '../support/fhir-server-process.js';
import { oru } from '../support/messages.js';
import { spawnAgent, startNetwork, waitFor, writeJson } from './support.js';
import type { AgentProcess, Practice, TestNetwork } from './support.js';

let dir: string;
let net: TestNetwork;
let lab: Practice;
let gp: Practice;
const agents: AgentProcess[] = [];
const fhirServers: FhirServerProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sealpost-agent-'));
  net = await startNetwork(dir);
  lab = await net.practice('results@acme-path.example', 'ACME Pathology');
  gp = await net.practice('inbox@harbourside-gp.example', 'Harbourside GP');
});
afterAll(async () => {
  for (const a of agents) if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
  for (const s of fhirServers) await s.close().catch(() => {});
  await net.close();
  rmSync(dir, { recursive: true, force: true });
});

const TOKEN = 'static-secret';
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const ack = (controlId: string, code: string, text = ''): string => `MSH|^~\\&|BP|HARBOURSIDE|SEALPOST|HARBOURSIDE|20260101120500||ACK|A-${controlId}|P|2.4\rMSA|${code}|${controlId}|${text}\r`;

interface ReceiptRow {
  message_id: string;
  status: string;
  reason: string | null;
  state: string;
  bytes: Uint8Array;
}
function receiptRows(state: string): ReceiptRow[] {
  const db = new Database(state, { readonly: true });
  try {
    return db.prepare('SELECT message_id, status, reason, state, bytes FROM agent_receipts ORDER BY rowid').all() as ReceiptRow[];
  } finally {
    db.close();
  }
}
const getHealth = async (url: string): Promise<{ status: number; body: { status: string; lastPollAt: string | null; queues: Record<string, number>; components: Record<string, { failing: boolean; lastError: { message: string } | null }>; warnings: string[] } }> => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as never };
};

describe('sealpost agent (child process, real relay, real FHIR server)', () => {
  it('files letters into the import folder and the FHIR EMR, turns EMR acks into imported/rejected receipts, shares the review queue, reports health, stops on SIGTERM', async () => {
    // The FHIR EMR, with SMART Backend Services: the agent signs client assertions with this key.
    const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const fhir = await spawnFhirServer({ clientId: 'sealpost-agent', jwk: await crypto.subtle.exportKey('jwk', keys.publicKey), staticToken: TOKEN });
    fhirServers.push(fhir);
    const jane = await fhir.create({ resourceType: 'Patient', identifier: [{ system: IDENTIFIER_SYSTEMS.ihi, value: '8003608166690503' }], name: [{ family: 'Citizen', given: ['Jane'] }], birthDate: '1980-01-01', gender: 'female' }, TOKEN);
    writeJson(join(dir, 'gp', 'smart-key.jwk.json'), { ...(await crypto.subtle.exportKey('jwk', keys.privateKey)), kid: 'agent-key-1' });

    const importDir = join(dir, 'gp', 'emr-import');
    const ackDir = join(dir, 'gp', 'emr-acks');
    mkdirSync(ackDir, { recursive: true });
    const state = join(dir, 'gp', 'agent.db');
    const configFile = writeJson(join(dir, 'gp', 'agent.json'), {
      identity: { dir: gp.dir },
      trust: [net.caFile],
      relay: { url: net.relay.url, pollSeconds: 0.2 },
      state: 'agent.db',
      health: { host: '127.0.0.1', port: 0 },
      inbound: [
        { type: 'file-drop', folder: 'emr-import', acks: { folder: 'emr-acks', pattern: '^ACK_.*\\.hl7$' } },
        { type: 'fhir', baseUrl: fhir.baseUrl, auth: { type: 'smart-backend', tokenUrl: fhir.tokenUrl, clientId: 'sealpost-agent', keyFile: 'smart-key.jwk.json', keyId: 'agent-key-1' } },
      ],
    });
    const agent = spawnAgent(configFile);
    agents.push(agent);
    const healthUrl = (await agent.started)!;
    expect(healthUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/healthz$/);

    // Three letters from the lab: two for Jane (IHI), one for a patient this practice does not know.
    const sender = new RelayClient({ relayUrl: net.relay.url, address: lab.address, identity: lab.identity });
    const letters = [
      { id: 'lab-0001', hl7: oru('C1') },
      { id: 'lab-0002', hl7: oru('C2') },
      { id: 'lab-0003', hl7: oru('C3', { family: 'Stranger' }).replace('8003608166690503^^^AUSHIC^NI', 'X1^^^OTHER') },
    ];
    const envelopes = new Map<string, Uint8Array>();
    for (const l of letters) {
      const { envelope } = await sealEnvelope(enc(l.hl7), { sender: lab.identity, recipients: [gp.identity.certificate], messageId: l.id, receipt: true, mediaType: 'application/hl7-v2' });
      envelopes.set(l.id, envelope);
      await sender.submit(envelope, { messageId: l.id, to: [gp.address] });
    }

    await waitFor('two letters in the import folder', () => readdirSync(importDir).filter((f) => f.endsWith('.hl7')).length === 2);
    expect(readFileSync(join(importDir, 'lab-0001.hl7'), 'utf8')).toBe(oru('C1'));
    for (const id of ['lab-0001', 'lab-0002']) {
      // The two inbound targets file independently: the folder can be done before the FHIR EMR.
      const bundle = await waitFor(`${id} in the FHIR EMR`, async () => {
        const b = await fhir.get<{ entry?: { resource: { subject: { reference: string }; content: { attachment: { data: string } }[] } }[] }>(`DocumentReference?identifier=${encodeURIComponent(`${MESSAGE_ID_SYSTEM}|${id}`)}`, TOKEN);
        return (b.entry?.length ?? 0) > 0 ? b : undefined;
      });
      expect(bundle.entry).toHaveLength(1);
      expect(bundle.entry![0]!.resource.subject.reference).toBe(`Patient/${jane.id}`);
    }
    expect((await fhir.stats()).issued).toBeGreaterThan(0);

    // Both "imported" receipts wait for the EMR; the unknown patient waits for staff.
    const before = await waitFor('health with the review item', async () => {
      const h = await getHealth(healthUrl);
      return h.body.queues['review'] === 1 && h.body.queues['receiptsHeld'] === 2 && h.body.queues['importing'] === 0 ? h : undefined;
    });
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ status: 'ok', queues: { review: 1, receiptsHeld: 2, importing: 0 } });
    expect(before.body.lastPollAt).not.toBeNull();

    // The EMR acknowledges C1 and refuses C2.
    writeFileSync(join(ackDir, 'ACK_C1.hl7'), ack('C1', 'AA'));
    writeFileSync(join(ackDir, 'ACK_C2.hl7'), ack('C2', 'AE', 'Patient record locked'));
    writeFileSync(join(ackDir, 'notes.txt'), 'not an ack');
    await waitFor('acks processed', () => readdirSync(join(ackDir, 'processed')).length === 2);
    expect(readdirSync(ackDir).sort()).toEqual(['notes.txt', 'processed']);

    // Staff reject the unknown patient with `sealpost review`, on the agent's own state file.
    const cli = async (args: string[]) => {
      let stdout = '';
      const code = await runCli(args, { stdout: (t) => void (stdout += t), stderr: () => {}, env: {}, cwd: dir });
      return { code, stdout };
    };
    const listed = await cli(['review', 'list', '--db', state, '--json']);
    const [pending] = JSON.parse(listed.stdout) as { id: number; messageId: string }[];
    expect(pending).toMatchObject({ messageId: 'lab-0003' });
    expect((await cli(['review', 'reject', String(pending!.id), '--by', 'reception@harbourside', '--reason', 'not our patient'])).code).toBe(1);
    expect((await cli(['review', 'reject', String(pending!.id), '--by', 'reception@harbourside', '--reason', 'not our patient', '--config', configFile])).code).toBe(0);

    const rows = await waitFor('six receipts', () => {
      const r = receiptRows(state);
      return r.length === 6 && r.every((x) => x.state === 'sent') ? r : undefined;
    });
    expect(rows.map((r) => `${r.message_id}:${r.status}${r.reason ? `:${r.reason}` : ''}`).sort()).toEqual([
      'lab-0001:delivered',
      'lab-0001:imported',
      'lab-0002:delivered',
      'lab-0002:rejected:the EMR refused the import (AE): Patient record locked',
      'lab-0003:delivered',
      'lab-0003:rejected:not our patient',
    ]);
    // Through the relay (POST /v1/messages/{id}/receipts) onto the lab's timeline.
    const timeline = await sender.timeline('lab-0002');
    const kinds = timeline.events.map((e) => `${e.kind}${e.reason ? `:${e.reason}` : ''}`);
    expect(kinds).toEqual(expect.arrayContaining(['delivered', 'rejected:the EMR refused the import (AE): Patient record locked']));
    expect(kinds).not.toContain('imported');
    // The rejected receipt made from the stored binding long after the letter was opened verifies at the lab.
    const trust = new TrustStore().addAnchor(fromPem(readFileSync(net.caFile, 'utf8'), 'CERTIFICATE')[0]!);
    const refused = rows.find((r) => r.message_id === 'lab-0002' && r.status === 'rejected')!;
    const verified = await verifyReceipt(new Uint8Array(refused.bytes), envelopes.get('lab-0002')!, { identity: lab.identity, trust });
    expect(verified.status).toMatchObject({ status: 'rejected', messageId: 'lab-0002', reason: 'the EMR refused the import (AE): Patient record locked' });

    // The FHIR EMR goes away: the next letter's round fails and /healthz answers 503 naming the error.
    await fhirServers.splice(fhirServers.indexOf(fhir), 1)[0]!.close();
    const { envelope } = await sealEnvelope(enc(oru('C4')), { sender: lab.identity, recipients: [gp.identity.certificate], messageId: 'lab-0004', receipt: true, mediaType: 'application/hl7-v2' });
    await sender.submit(envelope, { messageId: 'lab-0004', to: [gp.address] });
    const failing = await waitFor('503', async () => {
      const h = await getHealth(healthUrl);
      return h.status === 503 ? h : undefined;
    });
    expect(failing.body.status).toBe('failing');
    expect(failing.body.components['inbox']).toMatchObject({ failing: true, lastError: { message: expect.stringMatching(/^Patient search: /) } });

    expect((await fetch(healthUrl.replace('/healthz', '/metrics'))).status).toBe(404);
    expect((await fetch(healthUrl, { method: 'POST' })).status).toBe(404);

    agent.child.kill('SIGTERM');
    expect(await agent.exited).toEqual({ code: 0, signal: null });
    expect(agent.logs.map((l) => l['msg'])).toEqual(expect.arrayContaining(['agent started', 'letter filed', 'EMR acknowledgement', 'agent stopping: finishing the work in progress', 'agent stopped']));
    expect(existsSync(join(importDir, 'lab-0004.hl7'))).toBe(false);
  });
});
