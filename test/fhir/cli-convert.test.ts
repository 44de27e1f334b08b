import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bundle } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { buildDocumentBundle } from '@sealpost/sdk/fhir';
import { parseMessage } from '@sealpost/sdk/hl7v2';
import { runCli } from '../../cli/run.js';
import { author, fixedNow, organization, patient, recipient, sequentialIds } from './support/people.js';

const v2dir = fileURLToPath(new URL('../fixtures/hl7v2/', import.meta.url));

async function run(argv: string[], cwd = v2dir): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {}, cwd });
  return { code, stdout, stderr };
}

describe('sealpost convert', () => {
  it('--to fhir prints a Bundle on stdout and the report on stderr; the bundle validates with sealpost fhir validate', async () => {
    const result = await run(['convert', 'au/oru-r01-pathology-pdf.hl7', '--to', 'fhir']);
    expect(result.code).toBe(0);
    const bundle = JSON.parse(result.stdout) as Bundle;
    expect(bundle.entry![0]!.resource!.resourceType).toBe('MessageHeader');
    expect(result.stderr.split('\n')).toContain('PV1: segment not converted');
    const dir = await mkdtemp(join(tmpdir(), 'sealpost-convert-'));
    await writeFile(join(dir, 'oru.json'), result.stdout);
    expect(await run(['fhir', 'validate', 'oru.json'], dir)).toEqual({ code: 0, stdout: '', stderr: '' });

    const back = await run(['convert', 'oru.json', '--to', 'hl7v2'], dir);
    expect(back.stderr).toBe('');
    expect(back.code).toBe(0);
    const message = parseMessage(back.stdout);
    expect(message.messageType).toBe('ORU^R01^ORU_R01');
    expect(message.get('OBX[2]-5')).toBe('6.2');
  });

  it('--to hl7v2 --profile au-ref-l1 writes a Level 1 referral; missing PDF fails with exit 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sealpost-convert-'));
    const pdf = new TextEncoder().encode('%PDF-1.4\n%%EOF\n');
    const doc = (letter: { contentType: string; data: Uint8Array | string }): string => JSON.stringify(buildDocumentBundle({ patient, author, organization, recipient, title: 'Referral', letter, newId: sequentialIds(), now: fixedNow }));
    await writeFile(join(dir, 'pdf.json'), doc({ contentType: 'application/pdf', data: pdf }));
    await writeFile(join(dir, 'html.json'), doc({ contentType: 'text/html', data: '<p>Hello</p>' }));
    const ok = await run(['convert', 'pdf.json', '--to', 'hl7v2', '--profile', 'au-ref-l1'], dir);
    expect(ok.code).toBe(0);
    expect(parseMessage(ok.stdout).segments('OBX').map((s) => s.value(3))).toEqual(['PDF']);
    const bad = await run(['convert', 'html.json', '--to', 'hl7v2', '--profile', 'au-ref-l1'], dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^html\.json: ERR_FHIR_CONVERT: REF\^I12 Level 1 needs a PDF/);
  });

  it('invalid FHIR input is reported as FILE: LOCATION: reason and not converted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sealpost-convert-'));
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ resourceType: 'DiagnosticReport', status: 'done', code: { text: 'x' } }));
    const result = await run(['convert', 'bad.json', '--to', 'hl7v2'], dir);
    expect(result).toEqual({ code: 1, stdout: '', stderr: expect.stringMatching(/^bad\.json: DiagnosticReport\.status: invalid value "done"/) });
  });

  it('an unparseable HL7 file exits 1 with the parser location', async () => {
    const result = await run(['convert', 'invalid/not-hl7.txt', '--to', 'fhir']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^invalid\/not-hl7\.txt: ERR_HL7_PARSE: /);
  });

  it('wrong usage exits 2', async () => {
    expect((await run(['convert', 'x.hl7'])).code).toBe(2);
    expect((await run(['convert', 'x.hl7', '--to', 'pdf'])).code).toBe(2);
    expect((await run(['convert', 'x.json', '--to', 'fhir', '--profile', 'oru-r01'])).code).toBe(2);
    expect((await run(['convert', 'x.json', '--to', 'hl7v2', '--profile', 'ref-l3'])).code).toBe(2);
  });
});

describe('the built sealpost binary', () => {
  const bin = fileURLToPath(new URL('../../cli/dist/sealpost.js', import.meta.url));

  it('runs fhir validate and convert as a real process against the built SDK (needs `npm run build` first)', async () => {
    expect(existsSync(bin), `${bin} is missing: run \`npm run build\``).toBe(true);
    const dir = await mkdtemp(join(tmpdir(), 'sealpost-convert-'));
    const toFhir = spawnSync(process.execPath, [bin, 'convert', 'au/ref-i12-l2.hl7', '--to', 'fhir'], { cwd: v2dir, encoding: 'utf8' });
    expect(toFhir.status).toBe(0);
    await writeFile(join(dir, 'ref.json'), toFhir.stdout);
    const validate = spawnSync(process.execPath, [bin, 'fhir', 'validate', 'ref.json'], { cwd: dir, encoding: 'utf8' });
    expect([validate.status, validate.stdout]).toEqual([0, '']);
    const back = spawnSync(process.execPath, [bin, 'convert', 'ref.json', '--to', 'hl7v2', '--profile', 'au-ref-l2'], { cwd: dir, encoding: 'utf8' });
    expect(back.status).toBe(0);
    expect(parseMessage(back.stdout).messageType).toBe('REF^I12^REF_I12');
  });
});
