/**
 * The agent in-process (`startAgent`) with an MLLP inbound adapter: letters from the relay are
 * queued durably and delivered to an independent MLLP server (simple-hl7), once each even when the
 * same letter is filed again (after a crash); the health report counts the MLLP queue.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealEnvelope } from '@sealpost/sdk/crypto';
import { RelayClient } from '@sealpost/sdk/transport';
import { validateAgentConfig } from '../../../adapters/agent/config.js';
import { startAgent } from '../../../adapters/agent/start-agent.js';
import { buildTargets } from '../../../adapters/agent/targets.js';
import { IDENTIFIER_SYSTEMS } from '../../../adapters/match/match-patient.js';
import { oru } from '../support/messages.js';
import { startPeerServer } from '../support/peer.js';
import type { PeerMessage } from '../support/peer.js';
import { PASSPHRASE, startNetwork, waitFor, writeJson } from './support.js';
import type { Practice, TestNetwork } from './support.js';

let dir: string;
let net: TestNetwork;
let lab: Practice;
let gp: Practice;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sealpost-agent-mllp-'));
  net = await startNetwork(dir);
  lab = await net.practice('results@acme-path.example', 'ACME Pathology');
  gp = await net.practice('inbox@harbourside-gp.example', 'Harbourside GP');
});
afterAll(async () => {
  await net.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('agent with an MLLP inbound adapter (simple-hl7 as the EMR)', () => {
  it('delivers each letter once over MLLP and reports the queue in the health report', async () => {
    const received: PeerMessage[] = [];
    const peer = await startPeerServer((m) => received.push(m));
    writeJson(join(dir, 'patients.json'), [{ id: 'jane', identifiers: [{ system: IDENTIFIER_SYSTEMS.ihi, value: '8003608166690503' }], family: 'Citizen', birthDate: '1980-01-01' }]);
    const config = validateAgentConfig(
      {
        identity: { dir: gp.dir },
        trust: [net.caFile],
        relay: { url: net.relay.url, pollSeconds: 0.1 },
        state: 'agent.db',
        log: { level: 'silent' },
        match: { patients: 'patients.json' },
        inbound: [{ type: 'mllp', host: '127.0.0.1', port: peer.port, ackTimeoutMs: 5000 }],
      },
      { baseDir: dir },
    );
    const agent = await startAgent(config, { passphrase: PASSPHRASE, logger: pino({ level: 'silent' }) });
    try {
      const sender = new RelayClient({ relayUrl: net.relay.url, address: lab.address, identity: lab.identity });
      for (const id of ['M1', 'M2', 'M3']) {
        const { envelope } = await sealEnvelope(new TextEncoder().encode(oru(id)), { sender: lab.identity, recipients: [gp.identity.certificate], messageId: `mllp-${id}`, receipt: true, mediaType: 'application/hl7-v2' });
        await sender.submit(envelope, { messageId: `mllp-${id}`, to: [gp.address] });
      }
      await waitFor('three messages at the MLLP peer', () => received.length >= 3);
      // The pipeline's last step (the "imported" receipt) may still be running when the peer has the message.
      await waitFor('the MLLP queue drained and every letter done', () => agent.health().queues['inbound[0].queued'] === 0 && agent.health().queues['importing'] === 0);
      const health = agent.health();
      expect(health).toMatchObject({ status: 'ok', queues: { 'inbound[0].queued': 0, 'inbound[0].held': 0, review: 0, importing: 0 } });
      expect(health.components['inbound[0]']).toMatchObject({ failing: false });
      await new Promise((r) => setTimeout(r, 300));
      // simple-hl7 numbers header fields from MSH-3: getField(8) is MSH-10.
      expect(received.map((m) => m.header.getField(8).toString())).toEqual(['M1', 'M2', 'M3']);
    } finally {
      await agent.stop();
      peer.server.stop();
    }
    // Filing again after a crash (same MSH-10) queues nothing more; a new letter is queued once.
    const [target] = await buildTargets(config);
    const letter = (id: string) => ({ content: new TextEncoder().encode(oru(id)), mediaType: 'application/hl7-v2', patient: {} });
    await target!.file(letter('M3'), 'jane', 'mllp-M3');
    await target!.file(letter('M9'), 'jane', 'mllp-M9');
    await target!.file(letter('M9'), 'jane', 'mllp-M9');
    expect(target!.queues!()).toEqual({ queued: 1, held: 0 });
    target!.close!();
  });
});
