/**
 * `npm run bench -- mllp [--json] [--messages N] [--connections C]`: messages per second and ACK
 * round-trip p50/p99 of Sealpost's MLLP listener (original mode, and enhanced mode with the
 * durable SQLite store) beside simple-hl7's own TCP server, in the same run, with the same client:
 * C connections on 127.0.0.1, each sending its share of N ORU^R01 messages one at a time and
 * waiting for the ACK (HL7's synchronous exchange). Bounded by N (default 10000) and C (default 4).
 */
import { connect } from 'node:net';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createMllpDecoder, encodeMllpFrame } from '../../adapters/mllp/decoder.js';
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
  p50Ms: number;
  p99Ms: number;
}

async function drive(name: string, port: number, messages: number, connections: number): Promise<Row> {
  const rtts: number[] = [];
  const start = performance.now();
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
  rtts.sort((a, b) => a - b);
  const q = (p: number): number => Math.round(rtts[Math.min(rtts.length - 1, Math.floor(p * rtts.length))]! * 1000) / 1000;
  return { server: name, messages, perSecond: Math.round(messages / seconds), p50Ms: q(0.5), p99Ms: q(0.99) };
}

export async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: { json: { type: 'boolean' }, messages: { type: 'string' }, connections: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    process.stdout.write('usage: npm run bench -- mllp [--json] [--messages N (default 10000)] [--connections C (default 4)]\n');
    return 0;
  }
  const messages = Number(values.messages ?? 10000);
  const connections = Number(values.connections ?? 4);
  const rows: Row[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-bench-mllp-'));
  try {
    // Warm-up runs (JIT) are not reported.
    const original = await startMllpListener();
    await drive('warmup', original.port, 2000, connections);
    rows.push(await drive('sealpost (original mode, AA)', original.port, messages, connections));
    await original.close();
    const store = new SqliteInboundStore(join(dir, 'in.db'));
    const enhanced = await startMllpListener({ mode: 'enhanced', store });
    rows.push(await drive('sealpost (enhanced mode, CA after fsync)', enhanced.port, messages, connections));
    await enhanced.close();
    store.close();
    const require = createRequire(import.meta.url);
    const hl7 = require('simple-hl7') as { tcp(): { use(fn: (req: unknown, res: { end(): void }) => void): void; start(port: number): { server: { address(): { port: number }; listening: boolean; once(e: string, f: () => void): void }; stop(): void } } };
    const app = hl7.tcp();
    app.use((_req, res) => res.end());
    const peer = app.start(0);
    if (!peer.server.listening) await new Promise<void>((r) => peer.server.once('listening', r));
    await drive('warmup', peer.server.address().port, 2000, connections);
    rows.push(await drive('simple-hl7 3.3 TcpServer (AA)', peer.server.address().port, messages, connections));
    peer.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (values.json) process.stdout.write(JSON.stringify({ bench: 'mllp', node: process.version, connections, rows }, null, 2) + '\n');
  else {
    process.stdout.write(`MLLP listener, ${messages} ORU^R01 messages over ${connections} connections (Node ${process.version})\n`);
    for (const r of rows) process.stdout.write(`${r.server.padEnd(44)} ${String(r.perSecond).padStart(7)} msg/s   p50 ${r.p50Ms} ms   p99 ${r.p99Ms} ms\n`);
  }
  return 0;
}
