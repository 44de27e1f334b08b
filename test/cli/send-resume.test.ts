/**
 * `sealpost send --resume` in-process (runCli) against a relay on 127.0.0.1 port 0: copies left in
 * DIR/sending/ by sends whose outcome was unknown are resubmitted under their own messageId,
 * delivered once whether or not the relay had them already, and moved to DIR/sent/.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevCa, generateIdentity, sealEnvelope, toPem } from '@sealpost/sdk/crypto';
import type { Identity } from '@sealpost/sdk/crypto';
import { writeIdentityDir } from '@sealpost/sdk/node';
import { RelayClient } from '@sealpost/sdk/transport';
import { sendingCopyPath, sentCopyPath } from '../../cli/commands/sent-copy.js';
import { startServer } from '../../relay/server.js';
import type { RunningServer } from '../../relay/server.js';
import { openSqliteStore } from '../../relay/storage/sqlite.js';
import { sealpost as runSealpost } from './helpers.js';
import type { CliResult } from './helpers.js';

let dir: string;
let server: RunningServer;
const PASS = 'send-resume-passphrase';
const ids: Record<string, Identity> = {};

const sealpost = (args: string[]): Promise<CliResult> => runSealpost(args, dir, { SEALPOST_PASSPHRASE: PASS });

/** A relay port nobody listens on: a send there has an unknown outcome. */
async function closedPort(): Promise<number> {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
  const port = (closed.address() as { port: number }).port;
  await new Promise<void>((r) => closed.close(() => r()));
  return port;
}

/** Bob's inbox on the relay: messageId → how many times it is listed. */
async function bobsInbox(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for await (const entry of new RelayClient({ relayUrl: server.url, address: 'bob@gp.example', identity: ids.bob! }).inbox()) counts.set(entry.messageId, (counts.get(entry.messageId) ?? 0) + 1);
  return counts;
}

const sending = (who: string): string[] => (existsSync(join(dir, who, 'sending')) ? readdirSync(join(dir, who, 'sending')).filter((f) => f.endsWith('.p7m')) : []);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sealpost-send-resume-'));
  const ca = await createDevCa({ name: 'Send Resume CA' });
  writeFileSync(join(dir, 'ca.pem'), toPem(ca.identity.certificate, 'CERTIFICATE'));
  for (const name of ['alice', 'bob']) {
    const g = await generateIdentity({ name, address: `${name}@gp.example`, issuer: ca.identity });
    ids[name] = g.identity;
    await writeIdentityDir(join(dir, name), { certificate: g.identity.certificate, chain: g.identity.chain, encryptedKey: await g.exportEncryptedKey(PASS) });
  }
  const store = openSqliteStore(join(dir, 'relay.db'));
  await store.migrate();
  for (const name of ['alice', 'bob']) await store.addMailbox({ address: `${name}@gp.example`, certificate: ids[name]!.certificate, createdAt: Date.now() });
  server = await startServer({ store, domain: 'gp.example', port: 0, logger: false, purgeIntervalMs: 0 });
}, 60_000);
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('sealpost send --resume', () => {
  it('resends every copy left in sending/ under its own messageId: one the relay never got is delivered, one it already held is not delivered twice; both move to sent/', async () => {
    const alice = join(dir, 'alice');
    writeFileSync(join(dir, 'letter.txt'), 'Dear Bob, about Jane.\n');
    // 1. The relay was unreachable: the send's outcome is unknown and its copy waits in sending/.
    const lost = await sealpost(['send', '--relay', `http://127.0.0.1:${await closedPort()}`, '--id', 'alice', '--to', 'bob@gp.example', '--to-cert', 'bob/cert.pem', '--media-type', 'text/plain', 'letter.txt']);
    expect(lost.code).toBe(1);
    const neverArrived = /whether the relay accepted ([0-9a-f-]{36}) is unknown/.exec(lost.stderr)![1]!;
    // 2. A crash after the relay's commit, before the copy moved: the relay holds it already.
    const arrived = randomUUID();
    const { envelope } = await sealEnvelope(new TextEncoder().encode('Dear Bob, second letter'), { sender: ids.alice!, recipients: [ids.bob!.certificate], messageId: arrived });
    await new RelayClient({ relayUrl: server.url, address: 'alice@gp.example', identity: ids.alice! }).submit(envelope, { messageId: arrived, to: ['bob@gp.example'] });
    mkdirSync(join(alice, 'sending'), { recursive: true });
    writeFileSync(sendingCopyPath(alice, arrived), envelope);
    expect(sending('alice').sort()).toEqual([`${neverArrived}.p7m`, `${arrived}.p7m`].sort());
    const copies = new Map([neverArrived, arrived].map((id) => [id, readFileSync(sendingCopyPath(alice, id))]));

    const resumed = await sealpost(['send', '--resume', '--relay', server.url, '--id', 'alice']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout.trim().split('\n').sort()).toEqual([neverArrived, arrived].sort());
    expect(sending('alice')).toEqual([]);
    for (const [id, bytes] of copies) expect(readFileSync(sentCopyPath(alice, id)).equals(bytes)).toBe(true);
    // Delivered once each, and what Bob downloads is byte for byte the copy Alice kept.
    const inbox = await bobsInbox();
    expect([inbox.get(neverArrived), inbox.get(arrived)]).toEqual([1, 1]);
    const bob = new RelayClient({ relayUrl: server.url, address: 'bob@gp.example', identity: ids.bob! });
    for (const [id, bytes] of copies) expect(Buffer.from(await bob.download(id)).equals(bytes)).toBe(true);

    // Nothing left: a second resume has nothing to do, and says so.
    const again = await sealpost(['send', '--resume', '--relay', server.url, '--id', 'alice', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ resent: [] });
  }, 120_000);

  it('leaves a copy it cannot resend (not the sender’s own message, or still no relay) in sending/ and exits 1; --json says why for each', async () => {
    const bobDir = join(dir, 'bob');
    // A letter Alice sealed to Bob, found in Bob's sending/: Bob can open it, but it is not his to resend.
    const foreign = randomUUID();
    const { envelope } = await sealEnvelope(new TextEncoder().encode('not Bob’s'), { sender: ids.alice!, recipients: [ids.bob!.certificate], messageId: foreign });
    mkdirSync(join(bobDir, 'sending'), { recursive: true });
    writeFileSync(sendingCopyPath(bobDir, foreign), envelope);
    const garbage = randomUUID();
    writeFileSync(sendingCopyPath(bobDir, garbage), 'not an envelope');
    writeFileSync(join(dir, 'reply.txt'), 'Dear Alice\n');
    const unreachable = `http://127.0.0.1:${await closedPort()}`;
    const lost = await sealpost(['send', '--relay', unreachable, '--id', 'bob', '--to', 'alice@gp.example', '--to-cert', 'alice/cert.pem', '--media-type', 'text/plain', 'reply.txt']);
    const own = /whether the relay accepted ([0-9a-f-]{36}) is unknown/.exec(lost.stderr)![1]!;

    const still = await sealpost(['send', '--resume', '--relay', unreachable, '--id', 'bob', '--json']);
    expect(still.code).toBe(1);
    const outcomes = (JSON.parse(still.stdout) as { resent: { messageId: string; outcome: string; error?: string }[] }).resent;
    const byId = new Map(outcomes.map((o) => [o.messageId, o]));
    expect(byId.get(foreign)).toMatchObject({ outcome: 'unreadable', error: expect.stringContaining(`not a message bob@gp.example sealed`) });
    expect(byId.get(garbage)).toMatchObject({ outcome: 'unreadable' });
    expect(byId.get(own)).toMatchObject({ outcome: 'unknown', error: expect.stringMatching(/^ERR_TRANSPORT_/) });
    expect(sending('bob').sort()).toEqual([`${foreign}.p7m`, `${garbage}.p7m`, `${own}.p7m`].sort());

    // With the relay back, Bob's own copy goes; the other two stay, and the exit code says so.
    const text = await sealpost(['send', '--resume', '--relay', server.url, '--id', 'bob']);
    expect(text.code).toBe(1);
    expect(text.stdout).toBe(`${own}\n`);
    expect(text.stderr).toContain(`${sendingCopyPath(bobDir, foreign)} was not resent: not a message bob@gp.example sealed`);
    expect(sending('bob').sort()).toEqual([`${foreign}.p7m`, `${garbage}.p7m`].sort());
    expect(existsSync(sentCopyPath(bobDir, own))).toBe(true);
    const alicesInbox: string[] = [];
    for await (const entry of new RelayClient({ relayUrl: server.url, address: 'alice@gp.example', identity: ids.alice! }).inbox()) alicesInbox.push(entry.messageId);
    expect(alicesInbox).toEqual([own]);
  }, 120_000);

  it('refuses wrong usage with exit 2', async () => {
    expect((await sealpost(['send', '--resume', '--id', 'alice'])).code).toBe(2);
    expect((await sealpost(['send', '--resume', '--relay', server.url, '--id', 'alice', 'letter.txt'])).code).toBe(2);
    expect((await sealpost(['send', '--resume', '--relay', server.url, '--id', 'alice', '--to', 'bob@gp.example'])).code).toBe(2);
  });
});
