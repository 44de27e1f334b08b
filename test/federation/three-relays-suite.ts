/**
 * The three-relay proof (issue 6), shared by the SQLite and PostgreSQL runs: relays A, B and C on
 * loopback with their own domains, ports, relay identities and directories, every other relay
 * pinned as a peer. A reaches B through a proxy that can alter B's directory answers in transit.
 * The sender uses the real CLI in-process (runCli): `sealpost send` resolves the recipient through
 * A's /.well-known/sealpost and the directories of A and its peers.
 *
 * Each proof point of the issue has its test: cross-relay send and receive; B stopped, then
 * restarted, and A's queue delivers everything exactly once; B's directory answers tampered with
 * and the sender refuses; an expired message and its non-delivery report at the sender; the full
 * timeline (accepted, forwarded, delivered, imported, read) at the sender for a letter received,
 * imported and read at another relay, seen with `sealpost status`.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity, MemorySeenStore, openEnvelope, sealEnvelope } from '@sealpost/sdk/crypto';
import { DirectoryClient, endpointIdFor } from '@sealpost/sdk/directory';
import { runCli } from '../../cli/run.js';
import { publishMailbox } from '../../relay/directory/publish-mailbox.js';
import { author, organization, patient } from '../fhir/support/people.js';
import { HARNESS_PASSPHRASE, startFederation, waitFor } from './harness.js';
import type { Backend, Federation, HarnessMailbox } from './harness.js';
import { startTamperProxy } from './tamper-proxy.js';
import type { TamperProxy } from './tamper-proxy.js';

export function threeRelaySuite(makeBackend: () => Promise<Backend>): void {
  let backend: Backend;
  let fed: Federation;
  let alice: HarnessMailbox;
  let bob: HarnessMailbox;
  let carol: HarnessMailbox;
  let proxy: TamperProxy;
  /** How far each relay's clock runs ahead, ms (for expiry). */
  const skew: Record<string, number> = {};

  beforeAll(async () => {
    backend = await makeBackend();
    // The attacker points B's Endpoint at a relay of its own.
    proxy = await startTamperProxy((body) => body.replaceAll(proxy.target!, 'http://127.0.0.1:9'));
    fed = await startFederation({
      domains: ['a.example', 'b.example', 'c.example'],
      backend,
      peers: (domain, urls) => {
        const others = Object.fromEntries(Object.entries(urls).filter(([d]) => d !== domain));
        return domain === 'a.example' ? { ...others, 'b.example': proxy.url } : others;
      },
      options: (domain) => ({ now: () => Date.now() + (skew[domain] ?? 0) }),
    });
    proxy.target = fed.relay('b.example').url;
    alice = await fed.relay('a.example').addMailbox('alice');
    bob = await fed.relay('b.example').addMailbox('bob');
    carol = await fed.relay('c.example').addMailbox('carol', { payloadTypes: ['hl7v2-ref-i12-l2'] });
    // Dr Carol Nguyen is listed in C's directory, her role pointing at her mailbox's Endpoint.
    await fed.relay('c.example').directory!.put([
      { resourceType: 'Practitioner', id: 'carol', name: [{ prefix: ['Dr'], given: ['Carol'], family: 'Nguyen' }] },
      { resourceType: 'PractitionerRole', id: 'carol-role', practitioner: { reference: 'Practitioner/carol' }, endpoint: [{ reference: `Endpoint/${endpointIdFor(carol.address)}` }] },
    ]);
    writeFileSync(join(fed.dir, 'letter.txt'), 'Dear Dr Nguyen, thank you for seeing Ms Citizen.\n');
    writeFileSync(join(fed.dir, 'patient.json'), JSON.stringify(patient));
    writeFileSync(join(fed.dir, 'author.json'), JSON.stringify(author));
    writeFileSync(join(fed.dir, 'organization.json'), JSON.stringify(organization));
  }, 180_000);
  afterAll(async () => {
    await fed?.close();
    await proxy?.close();
    await backend?.cleanup();
  });

  const sealpost = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: { SEALPOST_PASSPHRASE: HARNESS_PASSPHRASE }, cwd: fed.dir });
    return { code, stdout, stderr };
  };

  const inboxIds = async (mailbox: HarnessMailbox): Promise<string[]> => (await mailbox.client().listInbox()).items.map((i) => i.messageId);

  describe('three relays, through the CLI', () => {
    it('sealpost send resolves carol@c.example through A and its peers, sends REF^I12 L2 (all she accepts); carol opens it at C', async () => {
      const sent = await sealpost(['send', '--relay', fed.relay('a.example').url, '--id', alice.address, '--to', carol.address, '--patient', 'patient.json', '--author', 'author.json', '--organization', 'organization.json', '--title', 'Referral', '--json', 'letter.txt']);
      expect(sent.stderr).toBe('');
      expect(sent.code).toBe(0);
      const answer = JSON.parse(sent.stdout) as { messageId: string; recipient: { relayUrl: string; payloadForm: string; certificateChanged: boolean } };
      expect(answer.recipient).toMatchObject({ relayUrl: fed.relay('c.example').url, payloadForm: 'hl7v2-ref-i12-l2', certificateChanged: false });
      await waitFor('the letter at C', async () => ((await inboxIds(carol)).includes(answer.messageId) ? true : undefined));
      const opened = await openEnvelope(await carol.client().download(answer.messageId), { identity: carol.identity, trust: fed.trust, seenStore: new MemorySeenStore() });
      expect(opened.header?.mediaType).toBe('x-application/hl7-v2+er7');
      const er7 = new TextDecoder().decode(opened.payload);
      expect(er7).toMatch(/^MSH\|/);
      expect(er7).toMatch(/REF\^I12/);
      // The certificate seen is remembered next to the identity, for the change warning.
      expect(Object.keys(JSON.parse(readFileSync(join(fed.dir, alice.address, 'known-certificates.json'), 'utf8')) as object)).toEqual([carol.address]);
    });

    it('a PDF letter to a recipient taking only REF^I12 level 1 goes as level 1; a text letter cannot, and nothing is sent', async () => {
      const dana = await fed.relay('c.example').addMailbox('dana', { payloadTypes: ['hl7v2-ref-i12-l1'] });
      writeFileSync(join(fed.dir, 'letter.pdf'), '%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
      const context = ['--patient', 'patient.json', '--author', 'author.json', '--organization', 'organization.json'];
      const sent = await sealpost(['send', '--relay', fed.relay('a.example').url, '--id', alice.address, '--to', dana.address, ...context, '--json', 'letter.pdf']);
      expect(sent.stderr).toBe('');
      const answer = JSON.parse(sent.stdout) as { messageId: string; recipient: { payloadForm: string } };
      expect(answer.recipient.payloadForm).toBe('hl7v2-ref-i12-l1');
      await waitFor('the letter at C', async () => ((await inboxIds(dana)).includes(answer.messageId) ? true : undefined));
      const opened = await openEnvelope(await dana.client().download(answer.messageId), { identity: dana.identity, trust: fed.trust, seenStore: new MemorySeenStore() });
      expect(new TextDecoder().decode(opened.payload)).toMatch(/^MSH\|[\s\S]*OBX\|[^\r]*\|ED\|/);
      const refused = await sealpost(['send', '--relay', fed.relay('a.example').url, '--id', alice.address, '--to', dana.address, ...context, 'letter.txt']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/ERR_DIRECTORY_NO_PAYLOAD_FORM/);
      expect(await inboxIds(dana)).toEqual([answer.messageId]);
    });

    it('sealpost directory search --relay A finds Dr Carol Nguyen in peer C’s directory (signed by C)', async () => {
      const res = await sealpost(['directory', 'search', 'nguyen', '--relay', fed.relay('a.example').url, '--trust', fed.caFile, '--json']);
      expect(res.code).toBe(0);
      const out = JSON.parse(res.stdout) as { contacts: { display: string; address: string | null; directory: string }[]; failures: unknown[] };
      expect(out.failures).toEqual([]);
      expect(out.contacts).toEqual([expect.objectContaining({ display: 'Dr Carol Nguyen', address: carol.address, directory: `${fed.relay('c.example').url}/fhir` })]);
    });

    it('a changed certificate for a known address: sealpost send warns loudly (and says so in --json)', async () => {
      const c = fed.relay('c.example');
      const rolled = await generateIdentity({ name: 'carol rolled', address: carol.address, issuer: fed.ca });
      await publishMailbox(c.directory!, { address: carol.address, certificate: rolled.identity.certificate }, { relayUrl: c.url, payloadTypes: ['hl7v2-ref-i12-l2'] });
      try {
        const sent = await sealpost(['send', '--relay', fed.relay('a.example').url, '--id', alice.address, '--to', carol.address, '--media-type', 'text/plain', '--json', 'letter.txt']);
        expect(sent.code).toBe(0);
        expect(sent.stderr).toMatch(/WARNING: the certificate of carol@c\.example has CHANGED/);
        expect((JSON.parse(sent.stdout) as { recipient: { certificateChanged: boolean } }).recipient.certificateChanged).toBe(true);
      } finally {
        await publishMailbox(c.directory!, { address: carol.address, certificate: carol.identity.certificate }, { relayUrl: c.url, payloadTypes: ['hl7v2-ref-i12-l2'] });
      }
    });

    it('B’s directory answers altered in transit: sealpost send refuses (exit 1), nothing is sent; unaltered, it sends', async () => {
      const before = await inboxIds(bob);
      const outboundBefore = (await fed.relay('a.example').store!.listOutbound()).length;
      proxy.tamper = true;
      let refused;
      try {
        refused = await sealpost(['send', '--relay', fed.relay('a.example').url, '--id', alice.address, '--to', bob.address, '--media-type', 'text/plain', 'letter.txt']);
      } finally {
        proxy.tamper = false;
      }
      expect(proxy.altered).toBeGreaterThan(0);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/refusing to send to bob@b\.example: the directory answer does not verify \(ERR_DIRECTORY_SIGNATURE/);
      expect(refused.stdout).toBe('');
      expect((await fed.relay('a.example').store!.listOutbound()).length).toBe(outboundBefore);
      const sent = await sealpost(['send', '--relay', fed.relay('a.example').url, '--id', alice.address, '--to', bob.address, '--media-type', 'text/plain', 'letter.txt']);
      expect(sent.code).toBe(0);
      const messageId = sent.stdout.trim();
      await waitFor('the letter at B', async () => ((await inboxIds(bob)).includes(messageId) ? true : undefined));
      expect((await inboxIds(bob)).filter((id) => !before.includes(id))).toEqual([messageId]);
    });

    it('an answer signed by another relay’s key than the directory’s own is refused', async () => {
      const a = `${fed.relay('a.example').url}/fhir`;
      const client = new DirectoryClient({ directories: [a], trust: fed.trust, signers: { [a]: 'b.example' } });
      await expect(client.resolve(alice.address)).rejects.toMatchObject({ code: 'ERR_DIRECTORY_SIGNATURE', directory: a });
    });
  });

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

    /** `sealpost status … --json` at A for alice, with C pinned (loopback has no well-known). */
    const statusAtA = async (messageId: string): Promise<{ code: number; events: { kind: string; actor: string; recipient: string | null; verified: boolean; bound: unknown }[] }> => {
      const res = await sealpost(['status', messageId, '--relay', fed.relay('a.example').url, '--id', alice.dir, '--peer', `c.example=${fed.relay('c.example').url}`, '--json']);
      expect(res.stderr).toBe('');
      return { code: res.code, events: (JSON.parse(res.stdout) as { events: { kind: string; actor: string; recipient: string | null; verified: boolean; bound: unknown }[] }).events };
    };
    const timelineKinds = async (messageId: string): Promise<string[]> => (await alice.client().timeline(messageId)).events.map((e) => e.kind);

    it('shows the sender the full signed timeline of a letter received, imported and read at C: accepted, forwarded, delivered, imported, read', async () => {
      const sent = await sealpost(['send', '--relay', fed.relay('a.example').url, '--id', alice.address, '--to', carol.address, '--media-type', 'text/plain', '--json', 'letter.txt']);
      expect(sent.code).toBe(0);
      const { messageId } = JSON.parse(sent.stdout) as { messageId: string };
      await waitFor('the letter at C', async () => ((await inboxIds(carol)).includes(messageId) ? true : undefined));
      // Carol takes it, files it into her record system and reads it: one signed receipt each, posted at C.
      writeFileSync(join(fed.dir, `${messageId}.p7m`), await carol.client().download(messageId));
      for (const status of ['delivered', 'imported', 'read']) {
        const posted = await sealpost(['receipt', 'send', '--relay', fed.relay('c.example').url, '--id', carol.dir, '--for', `${messageId}.p7m`, '--status', status, '--trust', fed.caFile]);
        expect(posted).toMatchObject({ code: 0, stderr: '' });
      }
      await waitFor('the receipts carried back to A', async () => ((await timelineKinds(messageId)).includes('read') ? true : undefined));
      const status = await statusAtA(messageId);
      expect(status.events.map((e) => [e.kind, e.actor, e.recipient, e.verified, e.bound])).toEqual([
        ['accepted', 'a.example', null, true, true],
        ['forwarded', 'c.example', carol.address, true, true],
        ['delivered', carol.address, carol.address, true, true],
        ['imported', carol.address, carol.address, true, true],
        ['read', carol.address, carol.address, true, true],
      ]);
      expect(status.code).toBe(0);
    }, 60_000);

    // Last in this suite: the purge at C expires every letter there still uncollected.
    it('an expired message: C records the signed non-delivery report and the sender sees it at A', async () => {
      const sent = await sealpost(['send', '--relay', fed.relay('a.example').url, '--id', alice.address, '--to', carol.address, '--media-type', 'text/plain', '--json', 'letter.txt']);
      expect(sent.code).toBe(0);
      const { messageId } = JSON.parse(sent.stdout) as { messageId: string };
      await waitFor('forwarded, at A', async () => ((await timelineKinds(messageId)).includes('forwarded') ? true : undefined));
      // Carol never collects it; C's clock passes the expiry (5 days) and C purges.
      skew['c.example'] = 5 * 86_400_000 + 60_000;
      try {
        const purged = await fed.relay('c.example').store!.purge(Date.now() + skew['c.example'], { retentionMs: 7 * 86_400_000, orphanBlobAgeMs: 60_000 });
        expect(purged.expired).toBeGreaterThanOrEqual(1);
        expect(await inboxIds(carol)).not.toContain(messageId);
        await waitFor('the non-delivery report at A', async () => ((await timelineKinds(messageId)).includes('expired') ? true : undefined));
      } finally {
        skew['c.example'] = 0;
      }
      const status = await statusAtA(messageId);
      expect(status.events.map((e) => [e.kind, e.actor, e.recipient, e.verified])).toEqual([
        ['accepted', 'a.example', null, true],
        ['forwarded', 'c.example', carol.address, true],
        ['expired', 'c.example', carol.address, true],
      ]);
      expect(status.code).toBe(0);
    }, 60_000);
  });
}
