/**
 * What the agent needs from `scanOutbox` beyond test/adapters/file-drop: a relay outage keeps the
 * letter queued, a shutdown stops between letters, names reused by the EMR never overwrite an
 * earlier letter, and a crash between claiming a sidecar and its letter loses neither.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scanOutbox } from '../../../adapters/file-drop/outbox-watcher.js';
import type { OutboundLetter } from '../../../adapters/file-drop/outbox-watcher.js';
import { oru } from '../support/messages.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'sealpost-agent-outbox-'));
  dirs.push(d);
  return d;
};
class Outage extends Error {}

describe('scanOutbox for the agent', () => {
  it('keeps the letter in .sending/ and stops the scan on a transient failure, then sends it with the same messageId', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'a.hl7'), oru('A'));
    writeFileSync(join(dir, 'b.hl7'), oru('B'));
    const down = await scanOutbox(dir, { settleMs: 0, isTransient: (e) => e instanceof Outage, send: () => Promise.reject(new Outage('relay unreachable')) });
    expect(down).toEqual({ sent: [], failed: [], deferred: { file: 'a.hl7', reason: 'relay unreachable' } });
    expect(readdirSync(join(dir, '.sending')).sort()).toEqual(['a.hl7', 'b.hl7']);
    expect(readdirSync(join(dir, 'error'))).toEqual([]);
    const sent: OutboundLetter[] = [];
    const up = await scanOutbox(dir, { settleMs: 0, send: (l) => Promise.resolve(void sent.push(l)) });
    expect(up.sent).toEqual(['a.hl7', 'b.hl7']);
    expect(sent.map((l) => l.file)).toEqual(['a.hl7', 'b.hl7']);
  });

  it('stops between letters once the signal is aborted: the letter in progress finishes, the rest wait in .sending/', async () => {
    const dir = temp();
    for (const n of ['1', '2', '3']) writeFileSync(join(dir, `${n}.hl7`), oru(n));
    const stop = new AbortController();
    const result = await scanOutbox(dir, {
      settleMs: 0,
      signal: stop.signal,
      send: async () => {
        stop.abort();
        await new Promise((r) => setTimeout(r, 5));
      },
    });
    expect(result.sent).toEqual(['1.hl7']);
    expect(readdirSync(join(dir, '.sending')).sort()).toEqual(['2.hl7', '3.hl7']);
  });

  it('never overwrites an earlier letter of the same name in sent/ or error/', async () => {
    const dir = temp();
    for (const round of ['first', 'second']) {
      writeFileSync(join(dir, 'letter.hl7'), oru(round));
      writeFileSync(join(dir, 'bad.pdf'), round);
      await scanOutbox(dir, { settleMs: 0, send: () => Promise.resolve() });
    }
    expect(readdirSync(join(dir, 'sent')).sort()).toEqual(['letter.1.hl7', 'letter.hl7']);
    expect(readFileSync(join(dir, 'sent', 'letter.hl7'), 'utf8')).toBe(oru('first'));
    expect(readFileSync(join(dir, 'sent', 'letter.1.hl7'), 'utf8')).toBe(oru('second'));
    expect(readdirSync(join(dir, 'error')).sort()).toEqual(['bad.1.pdf', 'bad.1.pdf.reason.txt', 'bad.pdf', 'bad.pdf.reason.txt']);
  });

  it('finds the sidecar still in the outbox when a crash came between claiming the letter and its sidecar', async () => {
    const dir = temp();
    mkdirSync(join(dir, '.sending'));
    writeFileSync(join(dir, '.sending', 'r.pdf'), '%PDF-1.4');
    writeFileSync(join(dir, 'r.pdf.json'), JSON.stringify({ recipient: 'jane@harbourside-gp.example', patient: { family: 'Citizen' } }));
    const sent: OutboundLetter[] = [];
    const result = await scanOutbox(dir, { settleMs: 0, send: (l) => Promise.resolve(void sent.push(l)) });
    expect(result).toEqual({ sent: ['r.pdf'], failed: [] });
    expect(sent[0]!.sidecar?.recipient).toBe('jane@harbourside-gp.example');
    expect(readdirSync(join(dir, 'sent')).sort()).toEqual(['r.pdf', 'r.pdf.json']);
  });
});
