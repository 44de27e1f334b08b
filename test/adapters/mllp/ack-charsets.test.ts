/**
 * ACKs sdk/hl7v2's toBytes() cannot write (a legacy MSH-18 such as 8859/2 or ISO IR87, or text
 * outside the message's charset): the listener still answers, in printable ASCII, and the
 * independent peer (simple-hl7's client) reads the answer.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMllpDecoder, encodeMllpFrame } from '../../../adapters/mllp/decoder.js';
import { startMllpListener } from '../../../adapters/mllp/listener.js';
import type { MllpHandlerResult } from '../../../adapters/mllp/listener.js';
import { simpleHl7 } from '../support/peer.js';
import type { PeerMessage, PeerTcpClient } from '../support/peer.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A small message with the given MSH-18 (MSH-17 AUS), plain ASCII content. */
function message(controlId: string, charset: string, body = 'PID|1||8003608166690503^^^AUSHIC^NI||Citizen^Jane||19800101|F'): string {
  return `MSH|^~\\&|LAB|ACME PATH|GP|SURGERY|20260101120000||ORU^R01^ORU_R01|${controlId}|P|2.5.1|||||AUS|${charset}\r${body}\r`;
}

/** A listener whose application answers by MSH-10, from `answers`. */
async function listen(answers: Record<string, MllpHandlerResult>): Promise<number> {
  const listener = await startMllpListener({ onMessage: (m) => answers[m.controlId] });
  cleanups.push(() => listener.close());
  return listener.port;
}

/** simple-hl7's client; a closed connection rejects instead of leaving the callback unanswered forever. */
async function peerClient(port: number): Promise<(text: string) => Promise<PeerMessage>> {
  const client = simpleHl7.Server.createTcpClient({ host: '127.0.0.1', port, keepalive: true }) as PeerTcpClient & {
    connect(callback: (error?: Error) => void): void;
    client?: { once(event: 'close', fn: () => void): void };
  };
  cleanups.push(() => client.close());
  await new Promise<void>((resolve, reject) => client.connect((error) => (error ? reject(error) : resolve())));
  let closed: (() => void) | undefined;
  client.client!.once('close', () => closed?.());
  return (text) =>
    new Promise<PeerMessage>((resolve, reject) => {
      closed = () => reject(new Error('the listener closed the connection without an ACK'));
      client.send(text, (error, ack) => (error || !ack ? reject(error ?? new Error('no ACK')) : resolve(ack)));
    });
}

const msa = (ack: PeerMessage, n: number): string => ack.getSegment('MSA')!.getField(n).toString();
// simple-hl7 numbers MSH fields from MSH-3 (its getField(8) is MSH-10).
const msh = (ack: PeerMessage, n: number): string => ack.header.getField(n - 2).toString();

/** Raw bytes in, ACK frames' bytes out: to see exactly what went on the wire. */
async function rawAcks(port: number, frames: (string | Uint8Array)[]): Promise<Uint8Array[]> {
  const socket = connect({ host: '127.0.0.1', port });
  cleanups.push(() => socket.destroy());
  const decoder = createMllpDecoder();
  const acks: Uint8Array[] = [];
  await new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Uint8Array) => {
      for (const item of decoder.push(chunk)) if (item.kind === 'frame') acks.push(item.payload);
      if (acks.length >= frames.length) resolve();
    });
    socket.on('close', () => reject(new Error(`connection closed after ${acks.length} of ${frames.length} ACKs`)));
    socket.on('error', reject);
    for (const frame of frames) socket.write(encodeMllpFrame(typeof frame === 'string' ? new TextEncoder().encode(frame) : frame));
  });
  return acks;
}

const isPrintableAscii = (bytes: Uint8Array): boolean => bytes.every((b) => b === 0x0d || (b >= 0x20 && b <= 0x7e));

describe('MLLP listener: ACKs toBytes() cannot write', () => {
  it('answers an 8859/2 message with AE and its Polish text in 8859/2, MSH-18 kept (simple-hl7 client, then the bytes)', async () => {
    const answers: Record<string, MllpHandlerResult> = { PL1: { code: 'AE', text: 'Nieznany pacjent: Łukasz Żółć' } };
    const port = await listen(answers);
    const ask = await peerClient(port);
    const ack = await ask(message('PL1', '8859/2'));
    expect([msa(ack, 1), msa(ack, 2), msh(ack, 18)]).toEqual(['AE', 'PL1', '8859/2']);
    // The connection stays open for the next message.
    const next = await ask(message('PL2', '8859/2'));
    expect([msa(next, 1), msa(next, 2)]).toEqual(['AA', 'PL2']);
    // simple-hl7 reads bytes as UTF-8; the text is in 8859/2, as MSH-18 says.
    const [bytes] = await rawAcks(port, [message('PL1', '8859/2')]);
    const lines = new TextDecoder('iso-8859-2').decode(bytes).split('\r');
    expect(lines[1]).toBe('MSA|AE|PL1|Nieznany pacjent: Łukasz Żółć');
    expect(lines[2]).toMatch(/^ERR\|\|\|207\^Application internal error\^HL70357\|E\|\|\|\|Nieznany pacjent: Łukasz Żółć$/);
    expect(bytes!.includes(0xa3)).toBe(true); // Ł in 8859/2
  });

  it('writes 8859/5 text in 8859/5, and what the charset lacks transliterated or as ?', async () => {
    const port = await listen({ RU: { code: 'AR', text: 'Пациент не найден (Zoë, 日本)' } });
    const [bytes] = await rawAcks(port, [message('RU', '8859/5')]);
    expect(new TextDecoder('iso-8859-5').decode(bytes).split('\r')[1]).toBe('MSA|AR|RU|Пациент не найден (Zoe, ??)');
  });

  it('answers an ASCII message whose application text is not ASCII (simple-hl7 client)', async () => {
    const port = await listen({ A1: { code: 'AR', text: 'Zoë Ñandú: ｜no｜ 日本' } });
    const ask = await peerClient(port);
    const ack = await ask(message('A1', 'ASCII'));
    // A fullwidth bar must not become the field separator.
    expect([msa(ack, 1), msa(ack, 2), msa(ack, 3)]).toEqual(['AR', 'A1', 'Zoe Nandu: ?no? ??']);
    expect(msh(ack, 18)).toBe('ASCII');
  });

  it('answers a REF^I12 in 8859/2 with its RRI^I12 (simple-hl7 client)', async () => {
    const port = await listen({});
    const ask = await peerClient(port);
    const referral = message('R1', '8859/2', 'RF1|P^Pending||||||REF-1\rPRD|RP|Smith^John\rPID|1||123^^^MRN||Citizen^Jane').replace('ORU^R01^ORU_R01', 'REF^I12^REF_I12');
    const ack = await ask(referral);
    expect(msh(ack, 9)).toBe('RRI^I12^RRI_I12');
    expect([msa(ack, 1), msa(ack, 2)]).toEqual(['AA', 'R1']);
    expect(ack.getSegment('PID')!.getField(5).toString()).toBe('Citizen^Jane');
  });

  it('answers an unparseable ISO IR87 message with AR, and non-ASCII header fields transliterated (raw bytes)', async () => {
    const port = await listen({});
    const broken = 'MSH|^~\\&|LAB|ACME PATH|GP|SURGERY|20260101120000||ORU^R01|J1|P|2.5.1|||||JPN|ISO IR87\rpid|1\r';
    // ASCII with a non-ASCII sending facility: invalid as declared; buildErrorAck reads the header leniently.
    const notAscii = message('A2', 'ASCII').replace('ACME PATH', 'Zürich Labor');
    const acks = await rawAcks(port, [broken, notAscii]);
    for (const ack of acks) expect(isPrintableAscii(ack)).toBe(true);
    const [first, second] = acks.map((a) => Buffer.from(a).toString('latin1').split('\r'));
    expect(first![0]).toMatch(/^MSH\|\^~\\&\|GP\|SURGERY\|LAB\|ACME PATH\|.*\|ISO IR87$/);
    expect(first![1]).toMatch(/^MSA\|AR\|J1\|/);
    expect(second![0]).toMatch(/^MSH\|\^~\\&\|GP\|SURGERY\|LAB\|Zurich Labor\|.*\|ASCII$/);
    expect(second![1]).toMatch(/^MSA\|AR\|A2\|byte 0xc3 is not ASCII/);
  });
});
