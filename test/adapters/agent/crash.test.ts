/**
 * kill -9 at random points: agent A sends 200 letters from its EMR's outbox, agent B files them
 * into its EMR's import folder, and both are killed with SIGKILL several times mid-batch and
 * started again. The "EMR" takes every file out of the import folder as soon as it appears and
 * keeps every copy, so a duplicate would show. Every letter arrives exactly once.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMessage } from '@sealpost/sdk/hl7v2';
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
  dir = mkdtempSync(join(tmpdir(), 'sealpost-agent-crash-'));
  net = await startNetwork(dir);
  a = await net.practice('letters@northside-gp.example', 'Northside GP');
  b = await net.practice('inbox@harbourside-gp.example', 'Harbourside GP');
});
afterAll(async () => {
  for (const x of agents) if (x.child.exitCode === null && x.child.signalCode === null) x.child.kill('SIGKILL');
  await net.close();
  rmSync(dir, { recursive: true, force: true });
});

const N = 200;

describe('sealpost agent: kill -9 at random points during a batch', () => {
  it('files each of 200 letters exactly once across repeated SIGKILLs of both agents', async () => {
    const outbox = join(dir, 'a', 'export');
    const importDir = join(dir, 'b', 'import');
    const consumed = join(dir, 'b', 'consumed');
    for (const d of [outbox, importDir, consumed]) mkdirSync(d, { recursive: true });
    const configA = writeJson(join(dir, 'a', 'agent.json'), {
      identity: { dir: a.dir },
      trust: [net.caFile],
      relay: { url: net.relay.url, pollSeconds: 0.2 },
      state: 'agent.db',
      outbound: [{ type: 'file-drop', folder: 'export', to: b.address, settleMs: 0, pollSeconds: 0.05 }],
      recipients: { [b.address]: b.certFile },
    });
    const configB = writeJson(join(dir, 'b', 'agent.json'), {
      identity: { dir: b.dir },
      trust: [net.caFile],
      relay: { url: net.relay.url, pollSeconds: 0.05 },
      state: 'agent.db',
      batchSize: 7,
      match: { patients: 'patients.json' },
      inbound: [{ type: 'file-drop', folder: 'import', workFolder: 'import-work' }],
    });
    writeJson(join(dir, 'b', 'patients.json'), [{ id: 'jane', identifiers: [{ system: IDENTIFIER_SYSTEMS.ihi, value: '8003608166690503' }], family: 'Citizen', given: ['Jane'], birthDate: '1980-01-01' }]);
    for (let i = 0; i < N; i++) writeFileSync(join(outbox, `R${String(i).padStart(3, '0')}.hl7`), oru(`K${i}`));

    // The EMR: takes each letter as soon as it appears, keeping every copy it ever saw.
    let copies = 0;
    const emr = setInterval(() => {
      for (const f of readdirSync(importDir)) if (!f.startsWith('.')) renameSync(join(importDir, f), join(consumed, `${f}.${copies++}`));
    }, 3);
    const sentCount = (): number => (readdirSync(outbox).includes('sent') ? readdirSync(join(outbox, 'sent')).length : 0);
    try {
      const kills: { sent: number; filed: number }[] = [];
      for (let round = 0; round < 4; round++) {
        const agentA = spawnAgent(configA);
        const agentB = spawnAgent(configB);
        agents.push(agentA, agentB);
        await Promise.all([agentA.started, agentB.started]);
        // Kill at a point measured in progress, not time: a random number of further letters sent.
        const target = Math.min(N - 1, sentCount() + 5 + Math.floor(Math.random() * 40));
        await waitFor('progress before the kill', () => sentCount() >= target || sentCount() >= N, 60_000);
        agentA.child.kill('SIGKILL');
        await new Promise((r) => setTimeout(r, Math.random() * 150));
        agentB.child.kill('SIGKILL');
        await Promise.all([agentA.exited, agentB.exited]);
        kills.push({ sent: sentCount(), filed: readdirSync(consumed).length });
      }
      expect(kills.some((k) => k.sent < N)).toBe(true);
      const agentA = spawnAgent(configA);
      const agentB = spawnAgent(configB);
      agents.push(agentA, agentB);
      await waitFor('every letter filed', () => readdirSync(consumed).length >= N && sentCount() === N, 120_000);
      const client = new RelayClient({ relayUrl: net.relay.url, address: b.address, identity: b.identity });
      await waitFor('all acknowledged on the relay', async () => (await client.listInbox({ limit: 500 })).items.every((e) => e.acknowledgedAt !== null));
      // Give a duplicate the chance to show up before counting.
      await new Promise((r) => setTimeout(r, 500));
      agentA.child.kill('SIGTERM');
      agentB.child.kill('SIGTERM');
      expect((await agentA.exited).code).toBe(0);
      expect((await agentB.exited).code).toBe(0);
    } finally {
      clearInterval(emr);
    }
    const controlIds = readdirSync(consumed).map((f) => parseMessage(readFileSync(join(consumed, f))).controlId);
    expect(controlIds).toHaveLength(N);
    expect(new Set(controlIds).size).toBe(N);
    expect(readdirSync(join(outbox, '.sending'))).toEqual([]);
    expect(readdirSync(join(outbox, 'error'))).toEqual([]);
    const listing = await new RelayClient({ relayUrl: net.relay.url, address: b.address, identity: b.identity }).listInbox({ limit: 500 });
    expect(listing.items).toHaveLength(N);
  }, 300_000);
});
