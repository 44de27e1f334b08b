import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scanAckFiles } from '../../../adapters/file-drop/ack-files.js';
import { ImportFolder } from '../../../adapters/file-drop/import-folder.js';
import type { AckFileEvent } from '../../../adapters/file-drop/import-folder.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'sealpost-drop-'));
  dirs.push(d);
  return d;
};
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('ImportFolder', () => {
  it('writes through a temporary name, files each messageId once, and names files by pattern', () => {
    const dir = temp();
    const folder = new ImportFolder({ dir: join(dir, 'in'), name: 'SP_{id}.hl7' });
    expect(folder.file('urn:uuid:1/2', enc('MSH|one'))).toEqual({ path: join(dir, 'in', 'SP_urn_uuid_1_2.hl7'), written: true });
    expect(folder.isFiled('urn:uuid:1/2')).toBe(true);
    // The EMR consumed the file; a retry after a crash must not put it back.
    rmSync(join(dir, 'in', 'SP_urn_uuid_1_2.hl7'));
    expect(folder.file('urn:uuid:1/2', enc('MSH|one')).written).toBe(false);
    expect(readdirSync(join(dir, 'in')).filter((f) => !f.startsWith('.'))).toEqual([]);
    expect(() => new ImportFolder({ dir, name: 'fixed.hl7' })).toThrow(TypeError);
  });

  it('finishes a filing interrupted after the journal (the .partial is renamed in), and redoes one interrupted before it', () => {
    const dir = temp();
    const work = join(dir, 'work');
    mkdirSync(work, { recursive: true });
    // Crash state A: bytes durable and the id journalled, rename not done.
    writeFileSync(join(work, 'm1.partial'), 'MSH|m1');
    // Crash state B: a partial write, not journalled: nothing reached the EMR, so it is written whole.
    writeFileSync(join(work, 'm2.partial'), 'MSH|m');
    // A torn append (no newline, so never fsynced whole) does not count as filed.
    writeFileSync(join(work, 'filed.log'), 'm1\nm2');
    const folder = new ImportFolder({ dir: join(dir, 'in'), workDir: work });
    expect(folder.isFiled('m2')).toBe(false);
    expect(readFileSync(join(work, 'filed.log'), 'utf8')).toBe('m1\n');
    expect(folder.file('m1', enc('MSH|m1'))).toMatchObject({ written: true });
    expect(readFileSync(join(dir, 'in', 'm1.hl7'), 'utf8')).toBe('MSH|m1');
    expect(folder.file('m2', enc('MSH|m2-complete'))).toMatchObject({ written: true });
    expect(readFileSync(join(dir, 'in', 'm2.hl7'), 'utf8')).toBe('MSH|m2-complete');
    expect(readdirSync(work)).toEqual(['filed.log']);
    expect(readFileSync(join(work, 'filed.log'), 'utf8')).toBe('m1\nm2\n');
    // A new instance (a restart) reads the same journal.
    rmSync(join(dir, 'in', 'm2.hl7'));
    expect(new ImportFolder({ dir: join(dir, 'in'), workDir: work }).file('m2', enc('x')).written).toBe(false);
  });

  it('takes the marker files of earlier versions into the journal', () => {
    const dir = temp();
    const work = join(dir, 'work');
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, 'r1.ready'), 'MSH|r1'); // marker and .ready: only the final rename was missing
    writeFileSync(join(work, 'r1.filed'), '');
    writeFileSync(join(work, 'd1.filed'), ''); // marker only: filed (and consumed by the EMR)
    writeFileSync(join(work, 'n1.ready'), 'MSH|stale'); // .ready without marker: never filed
    const folder = new ImportFolder({ dir: join(dir, 'in'), workDir: work });
    expect(readdirSync(work).sort()).toEqual(['filed.log', 'r1.partial']);
    expect([folder.isFiled('r1'), folder.isFiled('d1'), folder.isFiled('n1')]).toEqual([true, true, false]);
    expect(folder.file('r1', enc('x'))).toMatchObject({ written: true });
    expect(readFileSync(join(dir, 'in', 'r1.hl7'), 'utf8')).toBe('MSH|r1');
    expect(folder.file('d1', enc('x')).written).toBe(false);
    expect(folder.file('n1', enc('MSH|n1')).written).toBe(true);
    expect(readFileSync(join(dir, 'in', 'n1.hl7'), 'utf8')).toBe('MSH|n1');
  });
});

describe('ImportFolder.fileMany (group commit)', () => {
  it('files a batch once per messageId, resumes each crash state like file(), and leaves only the journal behind', async () => {
    const dir = temp();
    const work = join(dir, 'work');
    mkdirSync(work, { recursive: true });
    // Crash states left by an earlier, interrupted batch:
    writeFileSync(join(work, 'r1.partial'), 'MSH|r1'); // journalled: only the final rename is missing
    writeFileSync(join(work, 'p1.partial'), 'MSH|p'); // a partial write, not journalled: nothing reached the EMR
    writeFileSync(join(work, 'filed.log'), 'r1\nd1\n'); // d1: filed earlier (and consumed by the EMR)
    const folder = new ImportFolder({ dir: join(dir, 'in'), workDir: work });
    const out = await folder.fileMany(
      [
        { messageId: 'r1', bytes: enc('MSH|r1') },
        { messageId: 'p1', bytes: enc('MSH|p1-complete') },
        { messageId: 'd1', bytes: enc('MSH|d1') },
        { messageId: 'n1', bytes: enc('MSH|n1') },
        { messageId: 'a/1', bytes: enc('MSH|a1') },
        { messageId: 'a/1', bytes: enc('MSH|a1-again') },
      ],
      { concurrency: 2 },
    );
    expect(out.map((o) => o.written)).toEqual([true, true, false, true, true, false]);
    expect(out[4]!.path).toBe(join(dir, 'in', 'a_1.hl7'));
    const read = (f: string): string => readFileSync(join(dir, 'in', f), 'utf8');
    expect(readdirSync(join(dir, 'in')).sort()).toEqual(['a_1.hl7', 'n1.hl7', 'p1.hl7', 'r1.hl7']);
    expect([read('a_1.hl7'), read('n1.hl7'), read('p1.hl7'), read('r1.hl7')]).toEqual(['MSH|a1', 'MSH|n1', 'MSH|p1-complete', 'MSH|r1']);
    expect(readdirSync(work)).toEqual(['filed.log']);
    expect(readFileSync(join(work, 'filed.log'), 'utf8').split('\n').sort()).toEqual(['', 'a_1', 'd1', 'n1', 'p1', 'r1']);
    // The EMR consumed everything; the same batch again files nothing, and file() agrees with fileMany().
    for (const f of readdirSync(join(dir, 'in'))) rmSync(join(dir, 'in', f));
    expect((await folder.fileMany([{ messageId: 'p1', bytes: enc('x') }, { messageId: 'a/1', bytes: enc('x') }])).map((o) => o.written)).toEqual([false, false]);
    expect(folder.file('n1', enc('x')).written).toBe(false);
    expect(readdirSync(join(dir, 'in'))).toEqual([]);
    expect(await folder.fileMany([])).toEqual([]);
  });
});

describe('scanAckFiles', () => {
  it('reads files matching the pattern (default *.ack, any case) once each, and sets aside unreadable ones', async () => {
    const dir = temp();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a.ACK'), 'MSH|^~\\&|EMR|GP|SEALPOST|GP|20260101||ACK^R01^ACK|A1|P|2.5.1\rMSA|AA|CTRL-1|Imported\r');
    writeFileSync(join(dir, 'b.ack'), 'garbage');
    writeFileSync(join(dir, 'c.txt'), 'ignored');
    const events: AckFileEvent[] = [];
    const first = await scanAckFiles(dir, { onAck: (e) => void events.push(e) });
    expect(first.acks).toEqual([{ file: 'a.ACK', code: 'AA', controlId: 'CTRL-1', text: 'Imported' }]);
    expect(events).toEqual(first.acks);
    expect(first.unreadable.map((u) => u.file)).toEqual(['b.ack']);
    expect((await scanAckFiles(dir, { onAck: (e) => void events.push(e) })).acks).toEqual([]);
    expect(existsSync(join(dir, 'processed', 'a.ACK'))).toBe(true);
    expect(existsSync(join(dir, 'error', 'b.ack'))).toBe(true);
    renameSync(join(dir, 'c.txt'), join(dir, 'c.ack'));
    expect((await scanAckFiles(dir, { pattern: /\.ACK$/, onAck: () => {} })).acks).toEqual([]);
    expect(existsSync(join(dir, 'c.ack'))).toBe(true);
    // A missing folder (the EMR has not written any yet) is an empty scan.
    expect(await scanAckFiles(join(dir, 'none'), { onAck: () => {} })).toEqual({ acks: [], unreadable: [] });
  });
});
