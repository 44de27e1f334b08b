import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMllpDecoder, encodeMllpFrame } from '../../../adapters/mllp/decoder.js';
import { SqliteInboundStore } from '../../../adapters/mllp/inbound-store.js';
import { startMllpListener } from '../../../adapters/mllp/listener.js';
import { MllpSender } from '../../../adapters/mllp/sender.js';
import { oru } from '../support/messages.js';
import { simpleHl7, startPeerServer } from '../support/peer.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-mllp-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Sends raw bytes (in the given chunks, with a pause between) and collects `count` ACK frames. */
async function rawExchange(port: number, chunks: Uint8Array[], count: number, pauseMs = 0): Promise<string[]> {
  const socket = connect({ host: '127.0.0.1', port });
  const decoder = createMllpDecoder();
  const acks: string[] = [];
  const done = new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Uint8Array) => {
      for (const item of decoder.push(chunk)) if (item.kind === 'frame') acks.push(text(item.payload));
      if (acks.length >= count) resolve();
    });
    socket.on('error', reject);
    // A listener that drops the connection fails the exchange at once instead of at the test's timeout.
    socket.on('close', () => reject(new Error(`connection closed after ${acks.length} of ${count} ACKs`)));
  });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  for (const chunk of chunks) {
    socket.write(chunk);
    if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
  }
  await done;
  socket.destroy();
  return acks;
}

describe('MLLP listener, driven by simple-hl7’s client', () => {
  it('acknowledges each message with AA and MSA-2 = MSH-10, in original mode', async () => {
    const received: string[] = [];
    const listener = await startMllpListener({ onMessage: (m) => void received.push(m.controlId) });
    cleanups.push(() => listener.close());
    const client = simpleHl7.Server.createTcpClient({ host: '127.0.0.1', port: listener.port, keepalive: true });
    cleanups.push(() => client.close());
    for (const id of ['MSG1', 'MSG2', 'MSG3']) {
      const ack = await new Promise<{ msa1: string; msa2: string }>((resolve, reject) =>
        client.send(oru(id), (error, message) => {
          if (error || !message) return reject(error ?? new Error('no ack'));
          const msa = message.getSegment('MSA')!;
          resolve({ msa1: msa.getField(1).toString(), msa2: msa.getField(2).toString() });
        }),
      );
      expect(ack).toEqual({ msa1: 'AA', msa2: id });
    }
    expect(received).toEqual(['MSG1', 'MSG2', 'MSG3']);
  });

  it('answers AE and AR as the application says, and AR for an unparseable message', async () => {
    const listener = await startMllpListener({ onMessage: (m) => (m.controlId === 'BAD' ? { code: 'AE', text: 'Unknown patient' } : m.controlId === 'NO' ? { code: 'AR' } : undefined) });
    cleanups.push(() => listener.close());
    // An invalid segment name: parseMessage fails (ERR_HL7_PARSE), but MSH-10 is readable for the AR.
    const bad = 'MSH|^~\\&|LAB|ACME|GP|SURG|20260101||ORU^R01|BROKEN|P|2.5.1\rpid|1||x\r';
    const acks = await rawExchange(listener.port, [encodeMllpFrame(oru('BAD')), encodeMllpFrame(oru('NO')), encodeMllpFrame(bad)], 3);
    expect(acks[0]).toMatch(/\rMSA\|AE\|BAD/);
    expect(acks[0]).toContain('Unknown patient');
    expect(acks[1]).toMatch(/\rMSA\|AR\|NO/);
    expect(acks[2]).toMatch(/\rMSA\|AR\|BROKEN/);
  });

  it('answers AE with a reason and reports a TypeError when the application answers an invalid ACK code, keeping the connection for the next message', async () => {
    const errors: unknown[] = [];
    const answers: Record<string, unknown> = { OK1: { code: 'OK' }, CA1: { code: 'CA' }, NUM: { code: 'AE', text: 42 }, STR: 'AA' };
    const listener = await startMllpListener({
      // A JavaScript caller is not held to the type: the listener must not trust it either.
      onMessage: (m) => (m.controlId === 'LATER' ? Promise.resolve({ code: 'XX' } as never) : (answers[m.controlId] as never)),
      onError: (e) => errors.push(e),
    });
    cleanups.push(() => listener.close());
    const ids = ['OK1', 'CA1', 'NUM', 'STR', 'LATER', 'FINE'];
    const acks = await rawExchange(listener.port, ids.map((id) => encodeMllpFrame(oru(id))), ids.length);
    expect(acks.map((a) => /\rMSA\|(\w+)\|(\w+)/.exec(a)?.slice(1).join(':'))).toEqual(['AE:OK1', 'AE:CA1', 'AE:NUM', 'AE:STR', 'AE:LATER', 'AA:FINE']);
    for (const a of acks.slice(0, 5)) expect(a).toContain('Application internal error');
    expect(errors).toHaveLength(5);
    for (const e of errors) expect(e).toBeInstanceOf(TypeError);
    expect(String((errors[0] as Error).message)).toContain(`answered {"code":"OK"} for MSH-10 'OK1'`);
    expect(listener.accepted).toBe(1);
  });

  it('handles partial frames, several frames per chunk, garbage between frames and an oversize frame from a slow peer', async () => {
    const errors: string[] = [];
    const received: string[] = [];
    const listener = await startMllpListener({ maxFrameBytes: 2000, onMessage: (m) => void received.push(m.controlId), onError: (e) => errors.push((e as { code?: string }).code ?? e.message) });
    cleanups.push(() => listener.close());
    const stream = new Uint8Array([...encodeMllpFrame(oru('A')), ...new TextEncoder().encode('\n\ngarbage'), ...encodeMllpFrame(oru('B')), ...encodeMllpFrame(oru('HUGE', { filler: 500 })), ...encodeMllpFrame(oru('C'))]);
    // Slow peer: 97-byte chunks with a pause between them, cutting frames anywhere.
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i += 97) chunks.push(stream.subarray(i, i + 97));
    const acks = await rawExchange(listener.port, chunks, 3, 1);
    expect(acks.map((a) => /\rMSA\|(\w+)\|(\w+)/.exec(a)?.slice(1).join(':'))).toEqual(['AA:A', 'AA:B', 'AA:C']);
    expect(received).toEqual(['A', 'B', 'C']);
    expect(errors).toEqual(['ERR_MLLP_FRAME_TOO_LARGE']);
  });

  it('enhanced mode: CA only once the message is in the store; a resend after a lost ACK is not handed on twice', async () => {
    const dir = tempDir();
    const store = new SqliteInboundStore(join(dir, 'in.db'));
    cleanups.push(() => store.close());
    const received: string[] = [];
    const listener = await startMllpListener({ mode: 'enhanced', store, onMessage: (m) => void received.push(m.controlId) });
    cleanups.push(() => listener.close());
    const first = await rawExchange(listener.port, [encodeMllpFrame(oru('E1'))], 1);
    expect(first[0]).toMatch(/\rMSA\|CA\|E1/);
    // Before the CA went out, the row was committed: a second handle on the file sees it.
    const reader = new SqliteInboundStore(join(dir, 'in.db'));
    cleanups.push(() => reader.close());
    expect(reader.pending().map((r) => r.key)).toEqual(['LAB|ACME PATH|E1']);
    const again = await rawExchange(listener.port, [encodeMllpFrame(oru('E1')), encodeMllpFrame(oru('E2'))], 2);
    expect(again.map((a) => /\rMSA\|(\w+)\|(\w+)/.exec(a)?.slice(1).join(':'))).toEqual(['CA:E1', 'CA:E2']);
    await new Promise((r) => setTimeout(r, 20));
    expect(received).toEqual(['E1', 'E2']);
    expect(reader.pending().map((r) => r.key)).toEqual(['LAB|ACME PATH|E1', 'LAB|ACME PATH|E2']);
  });

  it('enhanced mode: CE when the store fails, CR for an unparseable message', async () => {
    const listener = await startMllpListener({
      mode: 'enhanced',
      store: {
        put() {
          throw new Error('disk full');
        },
      },
    });
    cleanups.push(() => listener.close());
    const bad = 'MSH|^~\\&|LAB|ACME|GP|SURG|20260101||ORU^R01|Y1|P|2.5.1\rpid|1||x\r';
    const acks = await rawExchange(listener.port, [encodeMllpFrame(oru('X1')), encodeMllpFrame(bad)], 2);
    expect(acks[0]).toMatch(/\rMSA\|CE\|X1/);
    expect(acks[1]).toMatch(/\rMSA\|CR\|Y1/);
  });

  it('enhanced mode: messages arriving together on several connections share one commit (putMany); ACKs keep each connection\'s order; a key sent twice at once is stored and handed on once', async () => {
    const dir = tempDir();
    const real = new SqliteInboundStore(join(dir, 'in.db'));
    cleanups.push(() => real.close());
    const groups: number[] = [];
    const store = {
      put: (key: string, payload: Uint8Array) => real.put(key, payload),
      putMany: (entries: readonly { key: string; payload: Uint8Array }[]) => {
        groups.push(entries.length);
        return real.putMany(entries);
      },
    };
    const received: string[] = [];
    const listener = await startMllpListener({ mode: 'enhanced', store, onMessage: (m) => void received.push(m.controlId) });
    cleanups.push(() => listener.close());
    // Six connections, each sending five frames in one chunk; connections 0 and 1 both carry DUP.
    const ids = (c: number): string[] => [...Array.from({ length: 4 }, (_, i) => `G${c}-${i}`), c < 2 ? 'DUP' : `G${c}-4`];
    const frames = (c: number): Uint8Array => {
      const parts = ids(c).map((id) => encodeMllpFrame(oru(id)));
      const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      parts.reduce((at, p) => (all.set(p, at), at + p.length), 0);
      return all;
    };
    const acks = await Promise.all(Array.from({ length: 6 }, (_, c) => rawExchange(listener.port, [frames(c)], 5)));
    acks.forEach((connectionAcks, c) => expect(connectionAcks.map((a) => /\rMSA\|(\w+)\|([\w-]+)/.exec(a)?.slice(1).join(':'))).toEqual(ids(c).map((id) => `CA:${id}`)));
    // Every ACK has its own control id.
    const ackIds = acks.flat().map((a) => a.split('|')[9]);
    expect(new Set(ackIds).size).toBe(30);
    // 30 frames, fewer commits: each group is one transaction.
    expect(groups.reduce((a, b) => a + b, 0)).toBe(30);
    expect(groups.length).toBeLessThan(30);
    expect(Math.max(...groups)).toBeGreaterThan(1);
    await new Promise((r) => setTimeout(r, 20));
    const unique = [...new Set(Array.from({ length: 6 }, (_, c) => ids(c)).flat())];
    expect(received.sort()).toEqual([...unique].sort());
    expect(real.pending(100).length).toBe(29);
  });

  it('enhanced mode: CE for every message of a group whose commit failed', async () => {
    const listener = await startMllpListener({
      mode: 'enhanced',
      store: {
        put: () => 'stored',
        putMany() {
          throw new Error('disk full');
        },
      },
    });
    cleanups.push(() => listener.close());
    const chunk = new Uint8Array([...encodeMllpFrame(oru('F1')), ...encodeMllpFrame(oru('F2')), ...encodeMllpFrame(oru('F3'))]);
    const acks = await rawExchange(listener.port, [chunk], 3);
    expect(acks.map((a) => /\rMSA\|(\w+)\|(\w+)/.exec(a)?.slice(1).join(':'))).toEqual(['CE:F1', 'CE:F2', 'CE:F3']);
  });
});

describe('MLLP sender, against simple-hl7’s server', () => {
  it('sends the queue in order, matches MSA-2 to MSH-10 and marks every message acked', async () => {
    const seen: string[] = [];
    const peer = await startPeerServer((m) => seen.push(m.header.getField(8).toString()));
    cleanups.push(() => peer.server.stop());
    const sender = new MllpSender({ host: '127.0.0.1', port: peer.port, path: join(tempDir(), 'out.db'), minIntervalMs: 5 });
    cleanups.push(() => sender.close());
    for (const id of ['S1', 'S2', 'S3']) sender.enqueue(oru(id));
    const result = await sender.flush();
    expect(result).toEqual({ acked: 3, failed: 0, held: 0, queued: 0 });
    expect(seen).toEqual(['S1', 'S2', 'S3']);
    expect(sender.list('acked').map((e) => [e.controlId, e.ackCode])).toEqual([['S1', 'AA'], ['S2', 'AA'], ['S3', 'AA']]);
  });

  it('leaves messages queued when the peer is unreachable (nothing was sent)', async () => {
    const listener = await startMllpListener();
    const port = listener.port;
    await listener.close();
    const sender = new MllpSender({ host: '127.0.0.1', port, path: join(tempDir(), 'out.db'), connectTimeoutMs: 2000 });
    cleanups.push(() => sender.close());
    sender.enqueue(oru('Q1'));
    const result = await sender.flush();
    expect(result.error?.code).toBe('ERR_MLLP_CONNECTION');
    expect(result.queued).toBe(1);
  });
});

describe('MLLP sender, ambiguous failures', () => {
  it('holds a message after a timeout, ignores an ACK for another control id, and never resends it on its own', async () => {
    let frames = 0;
    // A peer that answers with the wrong MSA-2, then never answers.
    const { createServer } = await import('node:net');
    const server = createServer((socket) => {
      const decoder = createMllpDecoder();
      socket.on('data', (chunk: Uint8Array) => {
        for (const item of decoder.push(chunk)) {
          if (item.kind !== 'frame') continue;
          frames++;
          socket.write(encodeMllpFrame('MSH|^~\\&|GP|SURGERY|LAB|ACME|20260101||ACK^R01^ACK|Z9|P|2.5.1\rMSA|AA|SOMEONE-ELSE\r'));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const path = join(tempDir(), 'out.db');
    const sender = new MllpSender({ host: '127.0.0.1', port: (server.address() as { port: number }).port, path, ackTimeoutMs: 300 });
    sender.enqueue(oru('T1'));
    sender.enqueue(oru('T2'));
    const result = await sender.flush();
    expect(result.error?.code).toBe('ERR_MLLP_TIMEOUT');
    expect(result).toMatchObject({ acked: 0, held: 1, queued: 1 });
    expect(sender.list('held').map((e) => e.controlId)).toEqual(['T1']);
    // The flush stopped at the held message, so order is kept: T2 stays queued, nothing was resent.
    expect(frames).toBe(1);
    sender.close();
    // Restart: still held, nothing resent until a reviewer releases it.
    const again = new MllpSender({ host: '127.0.0.1', port: 1, path });
    cleanups.push(() => again.close());
    expect(again.list('held').map((e) => [e.controlId, e.reason])).toEqual([['T1', "no ACK for MSH-10 'T1' within 300 ms"]]);
    again.release(1);
    expect(again.entry(1)?.state).toBe('queued');
    expect(() => again.release(1)).toThrow(expect.objectContaining({ code: 'ERR_MATCH_REVIEW_STATE' }));
  });

  it('a message caught in "sending" by a crash is held on restart', async () => {
    const path = join(tempDir(), 'out.db');
    const sender = new MllpSender({ host: '127.0.0.1', port: 1, path });
    const entry = sender.enqueue(oru('C1'));
    // Simulate the crash window: the row says sending, the process dies before the ACK.
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(path);
    db.prepare("UPDATE mllp_outbox SET state = 'sending' WHERE id = ?").run(entry.id);
    db.close();
    sender.close();
    const restarted = new MllpSender({ host: '127.0.0.1', port: 1, path });
    cleanups.push(() => restarted.close());
    expect(restarted.entry(entry.id)).toMatchObject({ state: 'held', reason: 'interrupted while awaiting the ACK' });
  });
});
