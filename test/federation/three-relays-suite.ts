/**
 * The three-relay proof (issue 6), shared by the SQLite and PostgreSQL runs: relays A, B and C on
 * loopback with their own domains, ports, relay identities and directories, every other relay
 * pinned as a peer.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySeenStore, openEnvelope, sealEnvelope } from '@sealpost/sdk/crypto';
import { DirectoryClient } from '@sealpost/sdk/directory';
import { startFederation, waitFor } from './harness.js';
import type { Backend, Federation, HarnessMailbox } from './harness.js';

export function threeRelaySuite(makeBackend: () => Promise<Backend>): void {
  let backend: Backend;
  let fed: Federation;
  let alice: HarnessMailbox;
  let bob: HarnessMailbox;
  let carol: HarnessMailbox;

  beforeAll(async () => {
    backend = await makeBackend();
    fed = await startFederation({ domains: ['a.example', 'b.example', 'c.example'], backend });
    alice = await fed.relay('a.example').addMailbox('alice');
    bob = await fed.relay('b.example').addMailbox('bob');
    carol = await fed.relay('c.example').addMailbox('carol', { payloadTypes: ['hl7v2-ref-i12-l2'] });
  }, 180_000);
  afterAll(async () => {
    await fed?.close();
    await backend?.cleanup();
  });

  const inboxIds = async (mailbox: HarnessMailbox): Promise<string[]> => (await mailbox.client().listInbox()).items.map((i) => i.messageId);

  describe('three relays', () => {
    it('resolves a recipient at another relay through the directory, sends and receives across relays', async () => {
      const directory = new DirectoryClient({ directories: fed.relays.map((r) => `${r.url}/fhir`), trust: fed.trust });
      const resolved = await directory.resolve(carol.address);
      expect(resolved.relayUrl).toBe(fed.relay('c.example').url);
      expect(resolved.payloadTypes).toEqual(['hl7v2-ref-i12-l2']);
      expect(resolved.certificate).toEqual(carol.identity.certificate);
      const messageId = randomUUID();
      const { envelope } = await sealEnvelope(new TextEncoder().encode('A to C'), { sender: alice.identity, recipients: [resolved.certificate], messageId });
      await alice.client().submit(envelope, { messageId, to: [carol.address] });
      await waitFor('the letter at C', async () => ((await inboxIds(carol)).includes(messageId) ? true : undefined));
      const opened = await openEnvelope(await carol.client().download(messageId), { identity: carol.identity, trust: fed.trust, seenStore: new MemorySeenStore() });
      expect(new TextDecoder().decode(opened.payload)).toBe('A to C');
    });

    it('relay B stopped for a while, then restarted: A delivers everything exactly once', async () => {
      const b = fed.relay('b.example');
      await b.stop();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const messageId = randomUUID();
        const { envelope } = await sealEnvelope(new TextEncoder().encode(`letter ${i}`), { sender: alice.identity, recipients: [bob.identity.certificate], messageId });
        await alice.client().submit(envelope, { messageId, to: [bob.address] });
        ids.push(messageId);
      }
      // While B is down the forwards fail and stay queued.
      await waitFor('failed attempts', async () => ((await fed.relay('a.example').store!.listOutbound()).filter((o) => ids.includes(o.messageId) && o.attempts > 0).length === ids.length ? true : undefined));
      await new Promise((r) => setTimeout(r, 300));
      await b.start();
      const received = await waitFor('all five at B', async () => {
        const got = await inboxIds(bob);
        return ids.every((id) => got.includes(id)) ? got : undefined;
      });
      // Let the forwarder run a few more passes: nothing arrives twice.
      await new Promise((r) => setTimeout(r, 500));
      const again = await inboxIds(bob);
      expect(again.filter((id) => ids.includes(id)).sort()).toEqual([...ids].sort());
      expect(again.length).toBe(received.length);
      const rows = (await fed.relay('a.example').store!.listOutbound()).filter((o) => ids.includes(o.messageId));
      expect(rows.every((o) => o.forwardedAt !== null && o.failedAt === null)).toBe(true);
    }, 60_000);
  });
}
