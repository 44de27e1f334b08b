/**
 * Two `sealpost agent` processes and a real relay on loopback: practice A's EMR writes letters
 * into its outbox folder (HL7 ORU, and a PDF with a sidecar), agent A seals and sends them, agent B
 * files them into its EMR's import folder. Both agents get SIGTERM in the middle of the batch and
 * are started again: every letter arrives exactly once, and nothing is left behind.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractDocuments, parseMessage } from '@sealpost/sdk/hl7v2';
import { sealEnvelope } from '@sealpost/sdk/crypto';
import { RelayClient } from '@sealpost/sdk/transport';
import { IDENTIFIER_SYSTEMS } from '../../../adapters/match/match-patient.js';
import { oru } from '../support/messages.js';
import { spawnAgent, startNetwork, waitFor, writeJson } from './support.js';
import type { AgentProcess, Practice, TestNetwork } from './support.js';

let dir: string;
let net: TestNetwork;
let a: Practice;
let b: Practice;
const agents: AgentProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sealpost-agent-out-'));
  net = await startNetwork(dir);
  a = await net.practice('letters@northside-gp.example', 'Northside GP');
  b = await net.practice('inbox@harbourside-gp.example', 'Harbourside GP');
});
afterAll(async () => {
  for (const x of agents) if (x.child.exitCode === null && x.child.signalCode === null) x.child.kill('SIGKILL');
  await net.close();
  rmSync(dir, { recursive: true, force: true });
});

// Enough letters that the SIGTERM lands mid-batch on a quiet machine too (30 were all sent before it at load 0.01).
const N = 150;
const hl7Files = (folder: string): string[] => readdirSync(folder).filter((f) => /\.(hl7|pdf)$/.test(f));

describe('sealpost agent: outbox → relay → other agent, with SIGTERM mid-batch', () => {
  it('delivers every letter once across a graceful restart of both agents', async () => {
    const outbox = join(dir, 'a', 'emr-export');
    const importDir = join(dir, 'b', 'emr-import');
    mkdirSync(outbox, { recursive: true });
    const configA = writeJson(join(dir, 'a', 'agent.json'), {
      identity: { dir: a.dir },
      trust: [net.caFile],
      relay: { url: net.relay.url, pollSeconds: 0.2 },
      state: 'state/agent.db',
      outbound: [{ type: 'file-drop', folder: 'emr-export', to: b.address, settleMs: 0, pollSeconds: 0.1 }],
      recipients: { [b.address]: b.certFile },
    });
    const configB = writeJson(join(dir, 'b', 'agent.json'), {
      identity: { dir: b.dir },
      trust: [net.caFile],
      relay: { url: net.relay.url, pollSeconds: 0.1 },
      state: 'state/agent.db',
      batchSize: 4,
      match: { patients: 'patients.json' },
      inbound: [{ type: 'file-drop', folder: 'emr-import' }],
    });
    writeJson(join(dir, 'b', 'patients.json'), [{ id: 'jane', identifiers: [{ system: IDENTIFIER_SYSTEMS.ihi, value: '8003608166690503' }], family: 'Citizen', given: ['Jane'], birthDate: '1980-01-01', sex: 'female' }]);

    // The EMR's letters: N results, a PDF letter with its sidecar, and a file the agent must refuse.
    for (let i = 0; i < N; i++) writeFileSync(join(outbox, `R${String(i).padStart(3, '0')}.hl7`), oru(`OUT${i}`, { filler: 20 }));
    const pdf = new TextEncoder().encode('%PDF-1.4\n% a referral letter\n%%EOF\n');
    writeFileSync(join(outbox, 'referral.pdf'), pdf);
    writeJson(join(outbox, 'referral.pdf.json'), { recipient: b.address, patient: { family: 'Citizen', given: ['Jane'], birthDate: '1980-01-01', identifiers: [{ system: IDENTIFIER_SYSTEMS.ihi, value: '8003608166690503' }] } });
    writeFileSync(join(outbox, 'admit.hl7'), 'MSH|^~\\&|PAS|NGP|X|Y|20260101||ADT^A01|ADT1|P|2.4\rPID|1||1^^^X||Doe^John\r');

    const { envelope } = await sealEnvelope(new TextEncoder().encode(oru('FOR-A')), { sender: b.identity, recipients: [a.identity.certificate], messageId: 'for-a-1', mediaType: 'application/hl7-v2' });
    await new RelayClient({ relayUrl: net.relay.url, address: b.address, identity: b.identity }).submit(envelope, { messageId: 'for-a-1', to: [a.address] });

    let agentA = spawnAgent(configA);
    let agentB = spawnAgent(configB);
    agents.push(agentA, agentB);
    await Promise.all([agentA.started, agentB.started]);
    // SIGTERM both once part of the batch has gone through each of them.
    await waitFor('part of the batch sent and filed', () => hl7Files(join(outbox, 'sent')).length >= 10 && hl7Files(importDir).length >= 3, 60_000);
    agentA.child.kill('SIGTERM');
    agentB.child.kill('SIGTERM');
    expect(await agentA.exited).toEqual({ code: 0, signal: null });
    expect(await agentB.exited).toEqual({ code: 0, signal: null });
    const sentBefore = hl7Files(join(outbox, 'sent')).length;
    expect(sentBefore).toBeLessThan(N + 1);

    agentA = spawnAgent(configA);
    agentB = spawnAgent(configB);
    agents.push(agentA, agentB);
    await waitFor('every letter filed at B', () => hl7Files(importDir).length === N + 1 && hl7Files(join(outbox, 'sent')).length === N + 1, 90_000);
    // B has acknowledged (and so removed from the relay's inbox listing) everything it filed.
    const client = new RelayClient({ relayUrl: net.relay.url, address: b.address, identity: b.identity });
    await waitFor('all acknowledged on the relay', async () => (await client.listInbox({ limit: 1000 })).items.every((e) => e.acknowledgedAt !== null));
    agentA.child.kill('SIGTERM');
    agentB.child.kill('SIGTERM');
    expect((await agentA.exited).code).toBe(0);
    expect((await agentB.exited).code).toBe(0);

    // Exactly once: N + 1 messages on the relay for B, N + 1 files in B's import folder, each letter's content once.
    const listing = await client.listInbox({ limit: 1000 });
    expect(listing.items).toHaveLength(N + 1);
    const filed = hl7Files(importDir).map((f) => readFileSync(join(importDir, f), 'utf8'));
    const controlIds = filed.map((t) => parseMessage(new TextEncoder().encode(t)).controlId).filter((c) => c.startsWith('OUT')).sort();
    expect(controlIds).toEqual(Array.from({ length: N }, (_, i) => `OUT${i}`).sort());
    // The PDF travelled as an MDM^T02 built from the sidecar, and comes out byte for byte.
    const mdm = filed.map((t) => parseMessage(new TextEncoder().encode(t))).find((m) => m.messageType.startsWith('MDM'))!;
    expect(mdm.get('PID-5.1')).toBe('Citizen');
    expect(extractDocuments(mdm)[0]).toMatchObject({ mediaType: 'application/pdf', bytes: pdf });

    // The outbox: everything in sent/ (with the sidecar), the ADT in error/ with its reason, nothing left claimed.
    expect(readdirSync(join(outbox, '.sending'))).toEqual([]);
    expect(readdirSync(join(outbox, 'sent'))).toContain('referral.pdf.json');
    expect(readdirSync(join(outbox, 'error')).sort()).toEqual(['admit.hl7', 'admit.hl7.reason.txt']);
    expect(readFileSync(join(outbox, 'error', 'admit.hl7.reason.txt'), 'utf8')).toBe("message type 'ADT^A01' is not sent (accepted: REF, ORU, MDM)\n");
    // A has no inbound adapter: it sends only, and left the letter waiting in its own inbox alone.
    const inboxA = await new RelayClient({ relayUrl: net.relay.url, address: a.address, identity: a.identity }).listInbox();
    expect(inboxA.items.map((e) => [e.messageId, e.acknowledgedAt])).toEqual([['for-a-1', null]]);
  });
});
