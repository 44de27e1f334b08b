/**
 * `npm run bench -- mllp [--json] [--messages N] [--connections C] [--durable-messages N]
 * [--durable-connections C,C] [--rounds R]`: messages per second and ACK round-trip p50/p99 of
 * Sealpost's MLLP listener beside simple-hl7's own TCP server, in the same run, with the same
 * client: C connections on 127.0.0.1, each sending its share of N ORU^R01 messages one at a time
 * and waiting for the ACK (HL7's synchronous exchange). Without durability: Sealpost original mode
 * vs simple-hl7 (N default 10000, C default 4). With a durable write before the ACK: Sealpost
 * enhanced mode (group commit across connections) vs simple-hl7 whose handler does the same
 * SQLite put per message (N default 2000, at 4 and 16 connections). R rounds (default 3) in
 * rotated order, each Sealpost run back to back with its peer's; medians reported, and Sealpost's
 * msg/s over the peer's per round (steadier than either msg/s on a loaded machine). Also each
 * server's own per-message work without sockets (computeRows).
 */
import { connect } from 'node:net';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseMessage } from '@sealpost/sdk/hl7v2';
import { createMllpDecoder, encodeMllpFrame } from '../../adapters/mllp/decoder.js';
import { encodeAck } from '../../adapters/mllp/encode-ack.js';
import { SqliteInboundStore } from '../../adapters/mllp/inbound-store.js';
import { startMllpListener } from '../../adapters/mllp/listener.js';

const oru = (id: string): string =>
  [
    `MSH|^~\\&|LAB|ACME PATH|GP|SURGERY|20260101120000||ORU^R01^ORU_R01|${id}|P|2.5.1`,
    'PID|1||8003608166690503^^^AUSHIC^NI||Citizen^Jane^^^Ms||19800101|F|||1 Main St^^Sydney^NSW^2000^AU',
    'OBR|1||R1|11502-2^Laboratory report^LN|||20260101110000',
    `OBX|1|FT|11502-2^Laboratory report^LN||${'Result text '.repeat(20)}||||||F`,
  ].join('\r') + '\r';

interface Row {
  server: string;
  messages: number;
  perSecond: number;
  /** Process CPU time (user + system) per message, client and server together (the client's share is the same for every server): steadier than msg/s on a shared machine. */
  cpuUs: number;
  p50Ms: number;
  p99Ms: number;
}

async function drive(name: string, port: number, messages: number, connections: number): Promise<Row> {
  const rtts: number[] = [];
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.setNoDelay(true);
      await new Promise<void>((r) => socket.once('connect', () => r()));
      const decoder = createMllpDecoder();
      let waiter: (() => void) | undefined;
      socket.on('data', (chunk: Uint8Array) => {
        for (const item of decoder.push(chunk)) if (item.kind === 'frame') waiter?.();
      });
      for (let i = c; i < messages; i += connections) {
        const t = performance.now();
        await new Promise<void>((resolve) => {
          waiter = resolve;
          socket.write(encodeMllpFrame(oru(`${name}-${i}`)));
        });
        rtts.push(performance.now() - t);
      }
      socket.destroy();
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  rtts.sort((a, b) => a - b);
  const q = (p: number): number => Math.round(rtts[Math.min(rtts.length - 1, Math.floor(p * rtts.length))]! * 1000) / 1000;
  return { server: name, messages, perSecond: Math.round(messages / seconds), cpuUs: Math.round((cpu.user + cpu.system) / messages), p50Ms: q(0.5), p99Ms: q(0.99) };
}

interface Server {
  name: string;
  port: number;
  durable: boolean;
  stop(): Promise<void> | void;
}

type SimpleHl7 = { tcp(): { use(fn: (req: unknown, res: { end(): void }) => void): void; start(port: number): { server: { address(): { port: number }; listening: boolean; once(e: string, f: () => void): void }; stop(): void } } };

async function startPeer(name: string, handler: () => void): Promise<Server> {
  const require = createRequire(import.meta.url);
  const hl7 = require('simple-hl7') as SimpleHl7;
  const app = hl7.tcp();
  app.use((_req, res) => {
    handler();
    res.end();
  });
  const peer = app.start(0);
  if (!peer.server.listening) await new Promise<void>((r) => peer.server.once('listening', r));
  return { name, port: peer.server.address().port, durable: name.includes('durable'), stop: () => peer.stop() };
}

type PeerParser = new () => { parse(text: string): unknown };
type PeerTcpServer = new (options: object, handler: () => void) => { createAckMessage(message: unknown): { toString(): string } };

/**
 * Each server's own work per message, without sockets, syscalls or the scheduler (which decide
 * msg/s on a loaded machine): the frame of one ORU^R01 in, the framed ACK out as bytes. Sealpost:
 * what its listener does in original mode (decoder, parseMessage, encodeAck, encodeMllpFrame).
 * simple-hl7: what its TcpServer's 'data' handler does (decode, parse, createAckMessage, the framed
 * string, encoded as its socket.write would), leaving out its Req object and handler dispatch —
 * in the peer's favour. Median of 7 runs of 20,000 messages, after one warm-up run.
 */
function computeRows(): { server: string; usPerMessage: number }[] {
  const require = createRequire(import.meta.url);
  const PeerParserClass = require('simple-hl7/lib/hl7/parser.js') as PeerParser;
  const PeerServer = require('simple-hl7/lib/server/tcp-server.js') as PeerTcpServer;
  const frames = Array.from({ length: 1000 }, (_, i) => Buffer.from(encodeMllpFrame(oru(`compute-${i}`))));
  const decoder = createMllpDecoder();
  let seq = 0;
  const sealpost = (chunk: Uint8Array): Uint8Array | undefined => {
    for (const item of decoder.push(chunk)) if (item.kind === 'frame') return encodeMllpFrame(encodeAck(parseMessage(item.payload), { code: 'AA', controlId: `C${(seq++).toString(36)}` }));
    return undefined;
  };
  const parser = new PeerParserClass();
  const server = new PeerServer({}, () => undefined);
  const peer = (chunk: Buffer): Uint8Array | undefined => {
    const text = chunk.toString('utf-8');
    if (!text.endsWith('\x1c\r')) return undefined;
    const ack = server.createAckMessage(parser.parse(text.substring(1, text.length - 2)));
    return Buffer.from(`\x0b${ack.toString()}\x1c\r`, 'utf-8');
  };
  const time = (fn: (chunk: Buffer) => Uint8Array | undefined): number => {
    const runs: number[] = [];
    for (let run = 0; run < 8; run++) {
      const start = performance.now();
      for (let i = 0; i < 20_000; i++) if (fn(frames[i % frames.length]!) === undefined) throw new Error('no ACK');
      if (run > 0) runs.push(((performance.now() - start) * 1000) / 20_000);
    }
    return Math.round(median(runs) * 10) / 10;
  };
  const rows = [
    { server: 'sealpost listener work (decode, parse, ACK, frame)', usPerMessage: time(sealpost) },
    { server: 'simple-hl7 3.3 TcpServer work (decode, parse, ACK, frame)', usPerMessage: time(peer) },
  ];
  return rows;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: { json: { type: 'boolean' }, messages: { type: 'string' }, 'durable-messages': { type: 'string' }, connections: { type: 'string' }, 'durable-connections': { type: 'string' }, rounds: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    process.stdout.write('usage: npm run bench -- mllp [--json] [--messages N (default 10000)] [--connections C (default 4)] [--durable-messages N (default 2000)] [--durable-connections C,C (default 4,16)] [--rounds R (default 3)]\n');
    return 0;
  }
  const messages = Number(values.messages ?? 10000);
  const durableMessages = Number(values['durable-messages'] ?? 2000);
  const connections = Number(values.connections ?? 4);
  const durableConnections = (values['durable-connections'] ?? '4,16').split(',').map(Number);
  const rounds = Number(values.rounds ?? 3);
  const log = (s: string): void => void (values.json ? process.stderr : process.stdout).write(s);
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-bench-mllp-'));
  const servers: Server[] = [];
  const stores: SqliteInboundStore[] = [];
  const rows: Row[] = [];
  const ratios: { case: string; perRound: number[]; median: number }[] = [];
  let compute: { server: string; usPerMessage: number }[] = [];
  try {
    const original = await startMllpListener();
    servers.push({ name: 'sealpost original mode (AA)', port: original.port, durable: false, stop: () => original.close() });
    const store = new SqliteInboundStore(join(dir, 'sealpost.db'));
    stores.push(store);
    const enhanced = await startMllpListener({ mode: 'enhanced', store });
    servers.push({ name: 'sealpost enhanced mode (CA after fsync, group commit)', port: enhanced.port, durable: true, stop: () => enhanced.close() });
    servers.push(await startPeer('simple-hl7 3.3 TcpServer (AA)', () => undefined));
    // The peer made durable the way its users would: the same SQLite store, one put (one fsync) per message in its handler before the ACK.
    const peerStore = new SqliteInboundStore(join(dir, 'peer.db'));
    stores.push(peerStore);
    let peerSeq = 0;
    servers.push(await startPeer('simple-hl7 3.3 + durable put per message', () => void peerStore.put(`peer-${peerSeq++}`, new Uint8Array(400))));
    compute = computeRows();
    // Warm-up (JIT, SQLite page cache), not reported.
    for (const s of servers) await drive('warmup', s.port, s.durable ? 200 : 2000, connections);
    const cases = [
      ...servers.filter((s) => !s.durable).map((s) => ({ server: s, n: messages, c: connections })),
      ...durableConnections.flatMap((c) => servers.filter((s) => s.durable).map((s) => ({ server: s, n: durableMessages, c }))),
    ];
    const samples = new Map<(typeof cases)[number], Row[]>(cases.map((k) => [k, []]));
    // Cases come in pairs (Sealpost, then the peer, same durability and connections).
    const pairs = Array.from({ length: cases.length / 2 }, (_, i) => [cases[2 * i]!, cases[2 * i + 1]!] as const);
    for (let round = 0; round < rounds; round++) {
      // Rotated order, and the two runs of a pair back to back with the first alternating: load
      // from other work on the machine falls on every server alike.
      for (let i = 0; i < pairs.length; i++) {
        const [ours, peer] = pairs[(i + round) % pairs.length]!;
        for (const k of round % 2 === 0 ? [ours, peer] : [peer, ours]) samples.get(k)!.push(await drive(`${k.server.name}#${round}`, k.server.port, k.n, k.c));
      }
    }
    for (const k of cases) {
      const rs = samples.get(k)!;
      rows.push({ server: `${k.server.name}, ${k.c} connections`, messages: k.n, perSecond: median(rs.map((r) => r.perSecond)), cpuUs: median(rs.map((r) => r.cpuUs)), p50Ms: median(rs.map((r) => r.p50Ms)), p99Ms: median(rs.map((r) => r.p99Ms)) });
    }
    // A pair's two runs of one round are back to back, so their ratio cancels most of the load
    // the machine had that round; the ratio of the medians does not.
    for (const [ours, peer] of pairs) {
      const peerRuns = samples.get(peer)!;
      const perRound = samples.get(ours)!.map((r, round) => Math.round((r.perSecond / peerRuns[round]!.perSecond) * 100) / 100);
      ratios.push({ case: `${ours.server.durable ? 'durable' : 'plain'}, ${ours.c} connections`, perRound, median: median(perRound) });
    }
  } finally {
    for (const s of servers) await s.stop();
    for (const s of stores) s.close();
    rmSync(dir, { recursive: true, force: true });
  }
  if (values.json) process.stdout.write(JSON.stringify({ bench: 'mllp', node: process.version, rounds, rows, ratios, compute }, null, 2) + '\n');
  else {
    log(`MLLP listeners, ORU^R01 messages one at a time per connection, median of ${rounds} rounds (Node ${process.version})\n`);
    for (const r of rows) log(`${r.server.padEnd(72)} ${String(r.perSecond).padStart(7)} msg/s ${String(r.cpuUs).padStart(5)} µs CPU/msg   p50 ${r.p50Ms} ms   p99 ${r.p99Ms} ms\n`);
    for (const r of ratios) log(`Sealpost / peer msg/s, ${r.case}: median ${r.median} (per round ${r.perRound.join(', ')})\n`);
    log('Per-message work without sockets (median of 7 runs of 20,000):\n');
    for (const r of compute) log(`${r.server.padEnd(72)} ${String(r.usPerMessage).padStart(7)} µs/msg\n`);
  }
  return 0;
}
