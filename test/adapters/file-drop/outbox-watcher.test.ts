import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scanOutbox } from '../../../adapters/file-drop/outbox-watcher.js';
import type { OutboundLetter } from '../../../adapters/file-drop/outbox-watcher.js';
import { oru } from '../support/messages.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'sealpost-outbox-'));
  dirs.push(d);
  return d;
};

describe('scanOutbox', () => {
  it('sends HL7 and PDF+sidecar letters, moves them to sent/, and moves refused ones to error/ with a reason', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'a.hl7'), oru('O1'));
    writeFileSync(join(dir, 'b.pdf'), '%PDF-1.4 letter');
    writeFileSync(join(dir, 'b.pdf.json'), JSON.stringify({ recipient: 'jane@harbourside-gp.example', patient: { family: 'Citizen' } }));
    writeFileSync(join(dir, 'c.rtf'), '{\\rtf1 no sidecar}');
    writeFileSync(join(dir, 'd.hl7'), oru('O4').replace('ORU^R01^ORU_R01', 'ADT^A08^ADT_A01'));
    writeFileSync(join(dir, 'notes.doc'), 'ignored');
    const sent: OutboundLetter[] = [];
    const result = await scanOutbox(dir, { settleMs: 0, send: (l) => Promise.resolve(void sent.push(l)) });
    expect(result.sent).toEqual(['a.hl7', 'b.pdf']);
    expect(result.failed.map((f) => f.file)).toEqual(['c.rtf', 'd.hl7']);
    expect(sent.map((l) => [l.kind, l.messageType, l.sidecar?.recipient])).toEqual([['hl7', 'ORU^R01^ORU_R01', undefined], ['pdf', undefined, 'jane@harbourside-gp.example']]);
    expect(sent[0]!.messageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(readdirSync(join(dir, 'sent')).sort()).toEqual(['a.hl7', 'b.pdf', 'b.pdf.json']);
    expect(readFileSync(join(dir, 'error', 'c.rtf.reason.txt'), 'utf8')).toMatch(/needs a sidecar c\.rtf\.json/);
    expect(readFileSync(join(dir, 'error', 'd.hl7.reason.txt'), 'utf8')).toMatch(/message type 'ADT\^A08\^ADT_A01' is not sent/);
    expect(readdirSync(dir).sort()).toEqual(['.sending', 'error', 'notes.doc', 'sent']);
  });

  it('moves a letter to error/ when sending fails, leaves unsettled files, and resends an interrupted letter with the same messageId', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'x.hl7'), oru('X1'));
    expect(await scanOutbox(dir, { settleMs: 60_000, send: () => Promise.resolve() })).toEqual({ sent: [], failed: [] });
    const failed = await scanOutbox(dir, { settleMs: 0, send: () => Promise.reject(new Error('recipient unknown')) });
    expect(failed.failed).toEqual([{ file: 'x.hl7', reason: 'recipient unknown' }]);
    // A crash after the claim: the letter sits in .sending/.
    mkdirSync(join(dir, '.sending'), { recursive: true });
    writeFileSync(join(dir, '.sending', 'y.hl7'), oru('Y1'));
    const ids: string[] = [];
    await scanOutbox(dir, { settleMs: 0, send: (l) => Promise.resolve(void ids.push(l.messageId)) });
    writeFileSync(join(dir, 'y-again.hl7'), oru('Y1'));
    await scanOutbox(dir, { settleMs: 0, send: (l) => Promise.resolve(void ids.push(l.messageId)) });
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(ids[1]);
    expect(existsSync(join(dir, 'sent', 'y.hl7'))).toBe(true);
  });
});
