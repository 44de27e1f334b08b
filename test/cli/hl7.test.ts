import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseMessage } from '@sealpost/sdk/hl7v2';
import { fixturesDir, sealpost } from './helpers.js';

const temp = mkdtempSync(join(tmpdir(), 'sealpost-hl7-cli-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('sealpost hl7 inspect', () => {
  it('prints one tab-separated line per message: file, index, MSH-9, MSH-10, MSH-12, segments', async () => {
    const result = await sealpost(['hl7', 'inspect', 'au/oru-r01-pathology-pdf.hl7', 'awkward/batch-fhs.hl7']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      'au/oru-r01-pathology-pdf.hl7\t1\tORU^R01^ORU_R01\tSPP2611210930000017\t2.4\tMSH PID PV1 ORC OBR OBX OBX OBX NTE OBX OBX',
      'awkward/batch-fhs.hl7\t1\tADT^A08^ADT_A01\tBATCH0001\t2.5.1\tMSH EVN PID',
      'awkward/batch-fhs.hl7\t2\tADT^A08^ADT_A01\tBATCH0002\t2.5.1\tMSH EVN PID',
      'awkward/batch-fhs.hl7\t3\tADT^A08^ADT_A01\tBATCH0003\t2.5.1\tMSH EVN PID',
      '',
    ]);
  });

  it('--json prints one JSON object per message; custom delimiters are shown with ^', async () => {
    const result = await sealpost(['hl7', 'inspect', '--json', 'awkward/custom-delimiters.hl7', 'awkward/utf8-bom.hl7']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      { file: 'awkward/custom-delimiters.hl7', index: 1, byteOffset: 0, messageType: 'ADT^A01^ADT_A01', controlId: 'CUST0001', version: '2.5.1', charset: 'utf-8', segments: ['MSH', 'EVN', 'PID', 'PV1'], ok: true },
      { file: 'awkward/utf8-bom.hl7', index: 1, byteOffset: 3, messageType: 'ADT^A01^ADT_A01', controlId: 'BOM000001', version: '2.5.1', charset: 'utf-8', segments: ['MSH', 'PID', 'NTE'], ok: true },
    ]);
  });

  it('reports each failure as FILE: message N, segment M (XXX), field F: reason, still reports the rest, exits 1', async () => {
    const result = await sealpost(['hl7', 'inspect', 'invalid/batch-bad-second-message.hl7', 'invalid/invalid-utf8.hl7', 'missing.hl7', 'au/ref-i12-l1.hl7']);
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')).toEqual([
      "invalid/batch-bad-second-message.hl7: message 2, segment 1 (MSH), field 2: MSH-2: expected 4 or 5 encoding characters, found '^' (byte 167)",
      'invalid/invalid-utf8.hl7: message 1, segment 2 (PID), field 5: invalid UTF-8 (declare the real character set in MSH-18) (byte 139)',
      'missing.hl7: cannot read file: no such file',
      '',
    ]);
    expect(result.stdout).toContain('invalid/batch-bad-second-message.hl7\t1\tADT^A08^ADT_A01\tGOOD00001');
    expect(result.stdout).toContain('au/ref-i12-l1.hl7\t1\tREF^I12^REF_I12\tHGP20261121101500001\t2.4');
  });

  it('finds lazy errors too (a malformed escape), with --json error details', async () => {
    const file = join(temp, 'bad-escape.hl7');
    writeFileSync(file, 'MSH|^~\\&|A|B|C|D|2026||ADT^A01|X1|P|2.5.1\rPID|1||P1||DOE\\Q\\^JOHN\r');
    const result = await sealpost(['hl7', 'inspect', '--json', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/bad-escape\.hl7: message 1, segment 2 \(PID\), field 5: .*\(byte \d+\)\n$/);
    const line = JSON.parse(result.stdout) as { ok: boolean; errors: Array<{ code: string; segmentName: string; field: number }> };
    expect(line.ok).toBe(false);
    expect(line.errors[0]).toMatchObject({ code: 'ERR_HL7_ESCAPE', segmentName: 'PID', field: 5 });
  });

  it('needs a FILE (exit 2)', async () => {
    expect((await sealpost(['hl7', 'inspect'])).code).toBe(2);
    expect((await sealpost(['hl7', 'inspect', '--nope', 'x'])).code).toBe(2);
    expect((await sealpost(['hl7', 'frobnicate'])).code).toBe(2);
  });
});

describe('sealpost hl7 get', () => {
  it('prints decoded values, one per line, every occurrence and repetition', async () => {
    expect((await sealpost(['hl7', 'get', 'au/oru-r01-pathology-pdf.hl7', 'OBX-3.2'])).stdout).toBe('Haemoglobin\nWhite cell count\nPlatelets\nDisplay format in PIT\nDisplay format in PDF\n');
    expect((await sealpost(['hl7', 'get', 'awkward/escapes.hl7', 'PID-5.1'])).stdout).toBe('O|BRIEN\n');
    expect((await sealpost(['hl7', 'get', 'awkward/custom-delimiters.hl7', 'PID-3[1].4.2'])).stdout).toBe('1.2.36\n');
    expect((await sealpost(['hl7', 'get', 'awkward/batch-fhs.hl7', 'MSH-10'])).stdout).toBe('BATCH0001\nBATCH0002\nBATCH0003\n');
    expect((await sealpost(['hl7', 'get', 'awkward/iso-8859-1.hl7', 'PID-5'])).stdout).toBe('GARÇON\n');
    expect((await sealpost(['hl7', 'get', 'au/ref-i12-l1.hl7', 'PID-3'])).stdout).toBe('HGP-4411\n2950156481\n');
    // One line per message even where the path matches nothing (nHapi's messages 5 and 7 have no MSH-10).
    expect((await sealpost(['hl7', 'get', 'third-party/nhapi-oml-o21-messages.hl7', 'MSH-10'])).stdout).toBe('msgOP123\nmsgOF102\nmsgOP124\nmsgOF109\n\nmsgOF101\n\n');
    expect((await sealpost(['hl7', 'get', 'awkward/batch-fhs.hl7', 'OBX-5'])).stdout).toBe('\n\n\n');
  });

  it('exits 2 on a bad path and 1 on a bad file', async () => {
    const bad = await sealpost(['hl7', 'get', 'au/ref-i12-l1.hl7', 'PID.5']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid HL7 path 'PID.5'/);
    const broken = await sealpost(['hl7', 'get', 'invalid/msh-truncated.hl7', 'MSH-10']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^invalid\/msh-truncated\.hl7: message 1, segment 1 \(MSH\), field 2: /);
  });
});

describe('sealpost hl7 roundtrip', () => {
  it('exits 0 when every message serialises back to its exact bytes', async () => {
    const result = await sealpost(['hl7', 'roundtrip', 'awkward/mixed-line-endings.hl7', 'awkward/iso-8859-1.hl7', 'awkward/batch-fhs.hl7']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'awkward/mixed-line-endings.hl7: 1 message round-trip byte for byte\nawkward/iso-8859-1.hl7: 1 message round-trip byte for byte\nawkward/batch-fhs.hl7: 3 messages round-trip byte for byte\n',
    );
  });

  it('exits 1 for a file that does not parse', async () => {
    const result = await sealpost(['hl7', 'roundtrip', 'invalid/unknown-charset.hl7']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^invalid\/unknown-charset\.hl7: message 1, segment 1 \(MSH\), field 18: /);
  });
});

describe('sealpost hl7 extract', () => {
  it('writes each embedded document and prints name, media type and size', async () => {
    const out = join(temp, 'l2');
    const result = await sealpost(['hl7', 'extract', 'au/ref-i12-l2.hl7', '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        `ref-i12-l2-1-1.html\ttext/html\t${readFileSync(join(fixturesDir, 'au/referral-letter.html')).length}`,
        `ref-i12-l2-1-2.pdf\tapplication/pdf\t${readFileSync(join(fixturesDir, 'au/referral-letter.pdf')).length}`,
        `ref-i12-l2-1-3.rtf\ttext/rtf\t${readFileSync(join(fixturesDir, 'au/referral-letter.rtf')).length}`,
        `ref-i12-l2-1-4.pdf\tapplication/pdf\t${readFileSync(join(fixturesDir, 'au/ecg-attachment.pdf')).length}`,
        'ref-i12-l2-1-5.txt\ttext/plain\t38',
        '',
      ].join('\n'),
    );
    expect(readFileSync(join(out, 'ref-i12-l2-1-2.pdf'))).toEqual(readFileSync(join(fixturesDir, 'au/referral-letter.pdf')));
    expect(readFileSync(join(out, 'ref-i12-l2-1-4.pdf'))).toEqual(readFileSync(join(fixturesDir, 'au/ecg-attachment.pdf')));
    expect(readdirSync(out).sort()).toHaveLength(5);
  });

  it('uses a MIME file name when the payload has one, made safe', async () => {
    const out = join(temp, 'mime');
    const result = await sealpost(['hl7', 'extract', 'awkward/ed-hex-and-mime.hl7', '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('ed-hex-and-mime-1-1.txt\ttext/plain\t29\nwrapped-report.pdf\tapplication/pdf\t600\n');
    expect(readFileSync(join(out, 'wrapped-report.pdf'))).toEqual(readFileSync(join(fixturesDir, 'awkward/mime-wrapped.pdf')));
    const evil = join(temp, 'evil.hl7');
    const mime = btoa('Content-Type: text/plain; name="../../etc/passwd"\r\n\r\nx');
    writeFileSync(evil, `MSH|^~\\&|A|B|C|D|2026||ORU^R01|X1|P|2.5.1\rOBX|1|ED|T^T^L||^text^plain^Base64^${mime}\r`);
    const safe = await sealpost(['hl7', 'extract', evil, '--out', join(temp, 'evil-out')]);
    expect(safe.stdout).toBe('passwd\ttext/plain\t1\n');
    expect(existsSync(join(temp, 'evil-out', 'passwd'))).toBe(true);
  });

  it('reports an undecodable payload and exits 1; needs --out (exit 2)', async () => {
    const file = join(temp, 'corrupt.hl7');
    writeFileSync(file, 'MSH|^~\\&|A|B|C|D|2026||ORU^R01|X1|P|2.5.1\rOBX|1|ED|PDF^R^L||^application^pdf^Base64^AB*D\r');
    const result = await sealpost(['hl7', 'extract', file, '--out', join(temp, 'corrupt')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/corrupt\.hl7: message 1: OBX 1 \(segment 2\): invalid base64 character/);
    expect((await sealpost(['hl7', 'extract', 'au/ref-i12-l1.hl7'])).code).toBe(2);
  });
});

describe('sealpost hl7 ack', () => {
  it('prints an ACK with MSA-2 = MSH-10, mirrored sender and receiver (one segment per line)', async () => {
    const result = await sealpost(['hl7', 'ack', 'awkward/escapes.hl7']);
    expect(result.code).toBe(0);
    const ack = parseMessage(result.stdout);
    expect(result.stdout.split('\n')).toHaveLength(3);
    expect(ack.getRaw('MSH-9')).toBe('ACK^R01^ACK');
    expect(ack.get('MSH-3')).toBe('RECV');
    expect(ack.get('MSH-5')).toBe('SEALPOST');
    expect(ack.get('MSA-1')).toBe('AA');
    expect(ack.get('MSA-2')).toBe('ESC000001');
  });

  it('--code AE --text, RRI^I12 for a referral, --cr for HL7 terminators', async () => {
    const result = await sealpost(['hl7', 'ack', 'au/ref-i12-l2.hl7', '--code', 'AE', '--text', 'Unknown | recipient', '--cr']);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('\n');
    const ack = parseMessage(result.stdout);
    expect(ack.messageType).toBe('RRI^I12^RRI_I12');
    expect(ack.get('MSA-1')).toBe('AE');
    expect(ack.get('MSA-2')).toBe('HGP20261121101500002');
    expect(ack.get('MSA-3')).toBe('Unknown | recipient');
    expect(ack.getRaw('ERR-1')).toBe('^^^207&Application internal error&HL70357');
  });

  it('acknowledges every message of a batch; refuses a bad code (exit 2)', async () => {
    const result = await sealpost(['hl7', 'ack', 'awkward/batch-fhs.hl7', '--code', 'AR']);
    expect(result.stdout.match(/^MSA\|AR\|BATCH000\d$/gm)).toEqual(['MSA|AR|BATCH0001', 'MSA|AR|BATCH0002', 'MSA|AR|BATCH0003']);
    expect((await sealpost(['hl7', 'ack', 'awkward/batch-fhs.hl7', '--code', 'XX'])).code).toBe(2);
    const rejected = await sealpost(['hl7', 'ack', 'invalid/invalid-utf8.hl7']);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/^invalid\/invalid-utf8\.hl7: message 1, segment 2 \(PID\), field 5: invalid UTF-8/);
    expect(rejected.stdout).toMatch(/^MSA\|AR\|UTF000001\|invalid UTF-8.*$/m);
    expect(rejected.stdout).toMatch(/^ERR\|\|PID\^1\^5\|102\^Data type error\^HL70357\|E/m);
    const broken = await sealpost(['hl7', 'ack', 'invalid/not-hl7.txt']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toBe("invalid/not-hl7.txt: message 1: 'Hel' outside any message: a message must start with MSH (byte 0)\n");
  });
});

describe('damaged input', () => {
  it('property: every command answers a damaged fixture with exit 0 or 1, never an internal error', async () => {
    const sources = ['au/ref-i12-l2.hl7', 'awkward/batch-fhs.hl7', 'awkward/ed-hex-and-mime.hl7', 'awkward/custom-delimiters.hl7'].map((path) => readFileSync(join(fixturesDir, path)));
    const file = join(temp, 'damaged.hl7');
    await fc.assert(
      fc.asyncProperty(
        fc.nat(sources.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.option(fc.nat()),
        async (which, flips, cut) => {
          const bytes = new Uint8Array(sources[which]!);
          for (const [at, value] of flips) bytes[at % bytes.length] = value;
          writeFileSync(file, cut === null ? bytes : bytes.subarray(0, cut % (bytes.length + 1)));
          for (const args of [['inspect', '--json', file], ['roundtrip', file], ['get', file, 'OBX-5.5'], ['ack', file, '--code', 'AE'], ['extract', file, '--out', join(temp, 'damaged-out')]]) {
            const result = await sealpost(['hl7', ...args]);
            expect([0, 1], `${args[0]} exit ${result.code}: ${result.stderr}`).toContain(result.code);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('the built sealpost binary', () => {
  const bin = fileURLToPath(new URL('../../cli/dist/sealpost.js', import.meta.url));

  it('runs hl7 inspect and hl7 roundtrip as a real process (needs `npm run build` first)', () => {
    expect(existsSync(bin), `${bin} is missing: run \`npm run build\``).toBe(true);
    const inspect = spawnSync(process.execPath, [bin, 'hl7', 'inspect', 'au/oru-r01-pathology-pdf.hl7', 'invalid/empty.hl7'], { cwd: fixturesDir, encoding: 'utf8' });
    expect(inspect.status).toBe(1);
    expect(inspect.stdout).toBe('au/oru-r01-pathology-pdf.hl7\t1\tORU^R01^ORU_R01\tSPP2611210930000017\t2.4\tMSH PID PV1 ORC OBR OBX OBX OBX NTE OBX OBX\n');
    expect(inspect.stderr).toBe('invalid/empty.hl7: no HL7 message found (the file is empty or holds only blank lines)\n');
    const roundtrip = spawnSync(process.execPath, [bin, 'hl7', 'roundtrip', 'awkward/mllp-framed.hl7'], { cwd: fixturesDir, encoding: 'utf8' });
    expect(roundtrip.status).toBe(0);
    expect(roundtrip.stdout).toBe('awkward/mllp-framed.hl7: 1 message round-trip byte for byte\n');
  });
});
