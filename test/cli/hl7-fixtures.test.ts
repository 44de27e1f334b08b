import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Hl7ParseError, parseBatch, parseMessage, splitBatch } from '@sealpost/sdk/hl7v2';
import { fixturesDir, sealpost } from './helpers.js';

// Every fixture of test/fixtures/hl7v2, through the SDK and through the CLI. The invalid set's
// expectations are read from its README table, so the documentation cannot drift from the test.

const validFiles = ['au', 'awkward', 'third-party'].flatMap((dir) =>
  readdirSync(join(fixturesDir, dir))
    .filter((name) => name.endsWith('.hl7'))
    .map((name) => `${dir}/${name}`),
);

const read = (path: string): Uint8Array => new Uint8Array(readFileSync(join(fixturesDir, path)));

/** Messages each multi-message fixture holds; every other valid fixture holds exactly one. */
const MESSAGE_COUNTS: Record<string, number> = { 'awkward/batch-fhs.hl7': 3, 'awkward/multi-message.hl7': 3, 'third-party/nhapi-oml-o21-messages.hl7': 7, 'awkward/mllp-stream.hl7': 2 };

/** Real-world data that parses but that check() flags: nHapi's messages 5 and 7 lack MSH-10. */
const CHECK_PROBLEMS: Record<string, Record<number, string[]>> = {
  'third-party/nhapi-oml-o21-messages.hl7': { 5: ['ERR_HL7_MISSING_FIELD'], 7: ['ERR_HL7_MISSING_FIELD'] },
};

describe('fixture generator', () => {
  it('make-fixtures.ts reproduces every hand-made fixture byte for byte', () => {
    const out = mkdtempSync(join(tmpdir(), 'sealpost-fixtures-'));
    try {
      const run = spawnSync(process.execPath, ['--import', 'tsx', join(fixturesDir, 'make-fixtures.ts'), out], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      let count = 0;
      for (const dir of ['au', 'awkward', 'invalid']) {
        const written = readdirSync(join(out, dir)).sort();
        expect(written).toEqual(readdirSync(join(fixturesDir, dir)).filter((name) => name !== 'README.md').sort());
        for (const name of written) {
          expect(readFileSync(join(out, dir, name)).equals(readFileSync(join(fixturesDir, dir, name))), `${dir}/${name}`).toBe(true);
          count++;
        }
      }
      expect(count).toBeGreaterThan(30);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('valid fixtures', () => {
  it('include every kind of awkward input the issue names', () => {
    expect(validFiles.length).toBeGreaterThanOrEqual(24);
    for (const name of ['custom-delimiters', 'lf-line-endings', 'mixed-line-endings', 'escapes', 'mllp-framed', 'utf8-bom', 'iso-8859-1', 'truncation-v27', 'batch-fhs', 'split-document-obx', 'ed-hex-and-mime']) {
      expect(validFiles).toContain(`awkward/${name}.hl7`);
    }
  });

  it.each(validFiles)('%s parses completely and every message round-trips byte for byte', (path) => {
    const bytes = read(path);
    const split = splitBatch(bytes);
    expect(split.problems).toEqual([]);
    expect(split.messages).toHaveLength(MESSAGE_COUNTS[path] ?? 1);
    for (const entry of split.messages) {
      const message = entry.parse();
      expect(message.check().map((problem) => problem.code)).toEqual(CHECK_PROBLEMS[path]?.[entry.index] ?? []);
      const original = entry.data as Uint8Array;
      expect(message.toBytes()).toEqual(original);
      // Re-encode from the text as well, so the check does not rest on the kept source bytes.
      const text = message.toString();
      const reencoded = message.charset === 'latin1' ? Uint8Array.from(text, (c) => c.charCodeAt(0)) : new TextEncoder().encode(text);
      expect(reencoded).toEqual(original);
      // A message given as a string round-trips as a string.
      expect(parseMessage(text).toString()).toBe(text);
    }
    expect(parseBatch(bytes).messages).toHaveLength(split.messages.length);
  });

  it('`sealpost hl7 roundtrip` and `inspect` accept all of them (exit 0)', async () => {
    const roundtrip = await sealpost(['hl7', 'roundtrip', ...validFiles]);
    expect(roundtrip.stderr).toBe('');
    expect(roundtrip.code).toBe(0);
    expect(roundtrip.stdout.trim().split('\n')).toHaveLength(validFiles.length);
    const clean = validFiles.filter((path) => !CHECK_PROBLEMS[path]);
    const inspect = await sealpost(['hl7', 'inspect', ...clean]);
    expect(inspect.stderr).toBe('');
    expect(inspect.code).toBe(0);
    expect(inspect.stdout.trim().split('\n')).toHaveLength(clean.length + 5);
  });

  it('`sealpost hl7 inspect` reports check() problems with their location, lists every message, exits 1', async () => {
    const inspect = await sealpost(['hl7', 'inspect', 'third-party/nhapi-oml-o21-messages.hl7']);
    expect(inspect.code).toBe(1);
    expect(inspect.stdout.trim().split('\n')).toHaveLength(7);
    expect(inspect.stderr.split('\n')).toEqual([
      'third-party/nhapi-oml-o21-messages.hl7: message 5, segment 1 (MSH), field 10: MSH-10 (message control id) is required (byte 3139)',
      'third-party/nhapi-oml-o21-messages.hl7: message 7, segment 1 (MSH), field 10: MSH-10 (message control id) is required (byte 4554)',
      '',
    ]);
  });
});

interface InvalidRow {
  file: string;
  fn: 'parseMessage' | 'parseBatch' | 'check';
  code: string;
  messageIndex: number;
  segmentIndex: number | undefined;
  segmentName: string | undefined;
  field: number | undefined;
  byteOffset: number;
}

function invalidRows(): InvalidRow[] {
  const readme = readFileSync(join(fixturesDir, 'invalid/README.md'), 'utf8');
  const rows: InvalidRow[] = [];
  for (const line of readme.split('\n')) {
    const cells = line.split('|').slice(1, -1).map((cell) => cell.trim());
    if (cells.length < 9 || !/\.(hl7|txt)$/.test(cells[0]!)) continue;
    const [file, fn, code, message, segment, name, field, byte] = cells as [string, string, string, string, string, string, string, string];
    const optional = (cell: string): number | undefined => (cell === '-' ? undefined : Number(cell));
    rows.push({
      file,
      fn: fn as InvalidRow['fn'],
      code,
      messageIndex: Number(message),
      segmentIndex: optional(segment),
      segmentName: name === '-' ? undefined : name,
      field: optional(field),
      byteOffset: Number(byte),
    });
  }
  return rows;
}

describe('invalid fixtures', () => {
  const rows = invalidRows();

  it('every file in invalid/ has a row in its README', () => {
    const files = readdirSync(join(fixturesDir, 'invalid')).filter((name) => name !== 'README.md');
    expect(rows.map((row) => row.file).sort()).toEqual(files.sort());
  });

  it.each(rows)('$file: $code at message $messageIndex, segment $segmentIndex ($segmentName), field $field, byte $byteOffset', async (row) => {
    const bytes = read(`invalid/${row.file}`);
    let error: unknown;
    if (row.fn === 'check') {
      error = parseMessage(bytes).check()[0];
    } else {
      try {
        (row.fn === 'parseBatch' ? parseBatch : parseMessage)(bytes);
      } catch (e) {
        error = e;
      }
    }
    expect(error).toBeInstanceOf(Hl7ParseError);
    const e = error as Hl7ParseError;
    expect({ code: e.code, messageIndex: e.messageIndex, segmentIndex: e.segmentIndex, segmentName: e.segmentName, field: e.field, byteOffset: e.byteOffset }).toEqual({
      code: row.code,
      messageIndex: row.messageIndex,
      segmentIndex: row.segmentIndex,
      segmentName: row.segmentName,
      field: row.field,
      byteOffset: row.byteOffset,
    });
    const inspect = await sealpost(['hl7', 'inspect', `invalid/${row.file}`]);
    expect(inspect.code).toBe(1);
    expect(inspect.stderr).not.toBe('');
    if (row.fn === 'parseBatch' || row.segmentIndex !== undefined) {
      const where = [`message ${row.messageIndex}`];
      if (row.fn === 'parseBatch' || row.segmentName !== undefined || row.segmentIndex !== 1) {
        where.push(`segment ${row.segmentIndex}${row.segmentName ? ` (${row.segmentName})` : ''}`);
        if (row.field !== undefined) where.push(`field ${row.field}`);
        expect(inspect.stderr).toContain(`invalid/${row.file}: ${where.join(', ')}: `);
        expect(inspect.stderr).toContain(`(byte ${row.byteOffset})`);
      }
    }
  });
});
