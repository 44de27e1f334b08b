/**
 * Every `sealpost hl7` command, run in-process on damaged messages: bad escapes (MSH fields
 * included), missing or emptied MSH fields, wrong and unknown charsets, bytes that are not what
 * MSH-18 says, truncation, garbage and framing bytes. Each command must either answer correctly
 * (exit 0) or report a located failure (exit 1) — never throw, never exit 2 on valid usage.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseBatch } from '@sealpost/sdk/hl7v2';
import { fixturesDir, sealpost } from './helpers.js';

const temp = mkdtempSync(join(tmpdir(), 'sealpost-hl7-damaged-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const numRuns = Number(process.env.SEALPOST_CLI_FUZZ_RUNS ?? 120);

const SOURCES = [
  'au/oru-r01-pathology-pdf.hl7',
  'au/ref-i12-l1.hl7',
  'awkward/batch-fhs.hl7',
  'awkward/custom-delimiters.hl7',
  'awkward/ed-hex-and-mime.hl7',
  'awkward/iso-8859-1.hl7',
  'awkward/mllp-stream.hl7',
  'awkward/escapes.hl7',
  'third-party/medplum-qbp-q11-utf8.hl7',
].map((path) => ({ path, text: latin1(readFileSync(join(fixturesDir, path))) }));
// A message over 256 KiB, so the parser reads it through its character index: the pathology
// report with its Base64 PDF grown by 280,000 characters of valid Base64 (damage then mostly lands
// inside the document, the case the index is for).
{
  const pdf = SOURCES[0]!.text;
  const at = pdf.indexOf('Base64^') + 'Base64^'.length;
  SOURCES.push({ path: 'large', text: pdf.slice(0, at) + 'QUJD'.repeat(70_000) + pdf.slice(at) });
}

/** Bytes ↔ a string of one char per byte, so damage can put any byte anywhere. */
function latin1(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += String.fromCharCode(byte);
  return out;
}
function bytesOf(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

type Damage =
  | { kind: 'escape'; at: number; text: string }
  | { kind: 'msh-field'; field: number; value: string }
  | { kind: 'msh-cut'; fields: number }
  | { kind: 'cut'; at: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'overwrite'; at: number; byte: number };

// Values written into MSH fields; charset names land in MSH-18 most often (field weights below).
const MSH_VALUES = ['', '\\', 'A\\Q\\B', '\\X4\\', '^^', '~~', '&', '8859/1', 'UNICODE UTF-8', 'UNICODE UTF-16', 'KLINGON', 'ISO IR87', 'ASCII', 'ÃÂ©', '\xe9\xff'];

const damageArb: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constant('escape' as const), at: fc.nat(), text: fc.constantFrom('\\', '\\Z\\', '\\X4\\', '\\X\\', '\\.br', '\\XZZ\\', '\\E', '\\H\\', '\\X00\\', '\\XC3\\') }),
  fc.record({ kind: fc.constant('msh-field' as const), field: fc.oneof(fc.constantFrom(9, 10, 12, 18, 18, 18), fc.integer({ min: 3, max: 21 })), value: fc.constantFrom(...MSH_VALUES) }),
  fc.record({ kind: fc.constant('msh-cut' as const), fields: fc.integer({ min: 0, max: 12 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(
      fc.constantFrom('\x0b', '\x1c', '\x1c\r', '\r', '\n', '\r\n\r\n', '\ufeff', '\xef\xbb\xbf', '\x00', '\xc3', '\xe9', 'MSH|^~\\&|', 'FHS|^~\\&', 'BTS|1', '|||||', 'OBX|1|ED|^^^^', 'ZZ'),
      fc.uint8Array({ minLength: 1, maxLength: 8 }).map((bytes) => latin1(bytes)),
    ),
  }),
  fc.record({ kind: fc.constant('overwrite' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
);

/** Applies one damage to a message file held as one char per byte. */
function damage(text: string, d: Damage): string {
  const at = (n: number) => n % (text.length + 1);
  switch (d.kind) {
    case 'escape':
    case 'insert':
      return text.slice(0, at(d.at)) + d.text + text.slice(at(d.at));
    case 'cut':
      return text.slice(0, at(d.at));
    case 'overwrite': {
      const i = d.at % Math.max(text.length, 1);
      return text.slice(0, i) + String.fromCharCode(d.byte) + text.slice(i + 1);
    }
    case 'msh-field':
    case 'msh-cut': {
      const start = text.indexOf('MSH');
      if (start === -1 || start + 3 >= text.length) return text;
      let end = start;
      while (end < text.length && text[end] !== '\r' && text[end] !== '\n') end++;
      const separator = text[start + 3]!;
      const fields = text.slice(start, end).split(separator);
      // fields[0] is 'MSH', fields[1] MSH-2: MSH-n is fields[n - 1].
      if (d.kind === 'msh-cut') fields.length = Math.min(fields.length, d.fields + 1);
      else {
        while (fields.length < d.field) fields.push('');
        fields[d.field - 1] = d.value;
      }
      return text.slice(0, start) + fields.join(separator) + text.slice(end);
    }
  }
}

/** A stderr line must name the file and say where: a message (and deeper), or what the file lacks. */
const LOCATED = /^[^:]+: (message \d+(, segment \d+ \([\x20-\x7e]{1,3}\))?(, field \d+)?: .+|no HL7 message found .+|.*\(byte \d+\))$/;

function expectLocated(stderr: string, file: string, command: string): void {
  const lines = stderr.split('\n').filter((line) => line !== '');
  expect(lines.length, `${command}: exit 1 without a reason`).toBeGreaterThan(0);
  for (const line of lines) {
    expect(line.startsWith(`${file}: `), `${command}: ${line}`).toBe(true);
    expect(line, `${command}: unlocated failure`).toMatch(LOCATED);
  }
}

describe('sealpost hl7 on damaged input', () => {
  it('property: inspect, get, roundtrip, extract and ack answer correctly (exit 0) or report located failures (exit 1)', async () => {
    let failures = 0;
    let successes = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(SOURCES.length - 1), fc.array(damageArb, { minLength: 1, maxLength: 4 }), async (which, damages) => {
        const source = SOURCES[which]!;
        let text = source.text;
        for (const d of damages) text = damage(text, d);
        const bytes = bytesOf(text);
        const name = 'damaged.hl7';
        writeFileSync(join(temp, name), bytes);
        // What the SDK makes of the file, to check exit-0 answers against.
        let batch: ReturnType<typeof parseBatch> | undefined;
        try {
          batch = parseBatch(bytes);
        } catch {
          batch = undefined;
        }

        const inspect = await sealpost(['hl7', 'inspect', '--json', name], temp);
        expect([0, 1], `inspect: ${inspect.stderr}`).toContain(inspect.code);
        const rows = inspect.stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as { ok: boolean; controlId?: string });
        if (inspect.code === 1) {
          failures++;
          expectLocated(inspect.stderr, name, 'inspect');
        } else {
          successes++;
          expect(inspect.stderr).toBe('');
          expect(rows.length).toBeGreaterThan(0);
          expect(rows.every((row) => row.ok)).toBe(true);
        }
        const plain = await sealpost(['hl7', 'inspect', name], temp);
        expect(plain.code).toBe(inspect.code);

        for (const path of ['MSH-9', 'MSH-10', 'MSH-18', 'PID-5.1', 'OBX-5.5']) {
          const get = await sealpost(['hl7', 'get', name, path], temp);
          expect([0, 1], `get ${path}: ${get.stderr}`).toContain(get.code);
          if (get.code === 1) expectLocated(get.stderr, name, `get ${path}`);
          else if (batch !== undefined) {
            expect(get.stdout).toBe(batch.messages.map((entry) => `${entry.message.getAll(path).join('\n')}\n`).join(''));
          }
        }

        const roundtrip = await sealpost(['hl7', 'roundtrip', name], temp);
        expect([0, 1], `roundtrip: ${roundtrip.stderr}`).toContain(roundtrip.code);
        if (roundtrip.code === 1) {
          // A parsed message that does not reproduce its bytes is a parser bug, not damage.
          expect(roundtrip.stdout, 'roundtrip: a parsed message changed').not.toMatch(/differs at byte/);
          expectLocated(roundtrip.stderr, name, 'roundtrip');
        } else expect(roundtrip.stdout).toMatch(/round-trip byte for byte/);

        const out = join(temp, 'out');
        rmSync(out, { recursive: true, force: true });
        const extract = await sealpost(['hl7', 'extract', name, '--out', out], temp);
        expect([0, 1], `extract: ${extract.stderr}`).toContain(extract.code);
        if (extract.code === 1) expectLocated(extract.stderr, name, 'extract');
        else {
          const written = (() => {
            try {
              return readdirSync(out).length;
            } catch {
              return 0;
            }
          })();
          expect(extract.stdout.split('\n').filter((line) => line !== '').length).toBeGreaterThanOrEqual(written);
        }

        const ack = await sealpost(['hl7', 'ack', name, '--code', 'AE'], temp);
        expect([0, 1], `ack: ${ack.stderr}`).toContain(ack.code);
        if (ack.code === 1) expectLocated(ack.stderr, name, 'ack');
        else if (batch !== undefined) {
          expect(ack.stdout.match(/^MSA[^A-Za-z0-9\s]/gm)?.length ?? 0).toBe(batch.messages.length);
        }
      }),
      { numRuns },
    );
    // The damage must produce both outcomes, or the property proves little.
    expect(failures).toBeGreaterThan(0);
    expect(successes).toBeGreaterThan(0);
  }, 120_000);
});

describe('damage the property found', () => {
  const write = (name: string, text: string) => writeFileSync(join(temp, name), bytesOf(text));

  it('inspect lists a message whose MSH-10 and MSH-12 hold malformed escapes (as sent) and reports both with their location', async () => {
    write('bad-msh.hl7', 'MSH|^~\\&|LAB||GP||202611210930||ORU^R01|ID\\Q1|P|2.5\\\rPID|1||123\r');
    const result = await sealpost(['hl7', 'inspect', 'bad-msh.hl7'], temp);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('bad-msh.hl7\t1\tORU^R01\tID\\Q1\t2.5\\\tMSH PID\n');
    expect(result.stderr).toBe(
      "bad-msh.hl7: message 1, segment 1 (MSH), field 10: unterminated escape sequence '\\Q1' (byte 42)\n" +
        "bad-msh.hl7: message 1, segment 1 (MSH), field 12: unterminated escape sequence '\\' (byte 51)\n",
    );
  });

  it('ack answers a message whose MSH-9 holds a malformed escape: the trigger is echoed escaped', async () => {
    write('bad-msh9.hl7', 'MSH|^~\\&|LAB||GP||202611210930||ORU^R\\01|ID1|P|2.5\rPID|1||123\r');
    const result = await sealpost(['hl7', 'ack', 'bad-msh9.hl7', '--code', 'AE'], temp);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^MSH\|\^~\\&\|GP\|\|LAB\|\|[^|]+\|\|ACK\^R\\E\\01\^ACK\|[^|]+\|P\|2\.5$/m);
    expect(result.stdout).toMatch(/^MSA\|AE\|ID1$/m);
  });

  it('a stray byte on a line of its own is located with a printable segment name', async () => {
    write('stray.hl7', 'MSH|^~\\&|LAB||GP||202611210930||ORU^R01|ID1|P|2.5\rPID|1||123\r\x80\r');
    const result = await sealpost(['hl7', 'inspect', 'stray.hl7'], temp);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('stray.hl7: message 1, segment 3 (?), field 0: invalid UTF-8 (declare the real character set in MSH-18) (byte 61)\n');
  });
});
