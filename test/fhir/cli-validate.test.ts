import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/run.js';

const examples = fileURLToPath(new URL('../fixtures/fhir/r4-examples/', import.meta.url));

async function run(argv: string[], cwd = examples): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {}, cwd });
  return { code, stdout, stderr };
}

describe('sealpost fhir validate', () => {
  it('exits 0 and prints nothing when every file is valid', async () => {
    expect(await run(['fhir', 'validate', 'Patient-example.json', 'Bundle-father.json'])).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('prints FILE: LOCATION: reason for each problem and exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sealpost-fhir-'));
    const bundle = JSON.parse(await readFile(join(examples, 'Bundle-father.json'), 'utf8')) as { entry: Array<{ resource: Record<string, unknown> }> };
    bundle.entry[2]!.resource['birthDate'] = '1974-02-30T';
    await writeFile(join(dir, 'broken.json'), JSON.stringify(bundle));
    await writeFile(join(dir, 'not-json.json'), '{"resourceType":');
    const result = await run(['fhir', 'validate', 'broken.json', 'not-json.json', join(examples, 'Patient-example.json'), 'missing.json'], dir);
    expect(result.code).toBe(1);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^broken\.json: Bundle\.entry\[2\]\.resource\.birthDate: invalid value "1974-02-30T": does not match /);
    expect(lines[1]).toMatch(/^not-json\.json: \(input\): not JSON: /);
    expect(lines[2]).toBe('missing.json: (file): cannot read: ENOENT');
  });

  it('--json prints one object per file with codes', async () => {
    const result = await run(['fhir', 'validate', '--json', 'Patient-example.json', 'Bundle-3ad0687e-f477-468c-afd5-fcc2bf897809.json']);
    expect(result.code).toBe(1);
    const [ok, bad] = result.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { file: string; valid: boolean; issues: Array<{ code: string; location: string }> });
    expect(ok).toEqual({ file: 'Patient-example.json', valid: true, issues: [] });
    expect(bad!.valid).toBe(false);
    expect(bad!.issues.map((i) => [i.code, i.location])).toEqual([['ERR_FHIR_IDENTIFIER', 'Bundle.entry[0].resource.identifier[1].value']]);
  });

  it('refuses a file over --max-bytes without reading it', async () => {
    const result = await run(['fhir', 'validate', '--max-bytes', '100', 'Patient-example.json']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Patient-example\.json: \(input\): \d+ bytes is over the limit of 100 bytes/);
  });

  it('wrong usage exits 2', async () => {
    expect((await run(['fhir', 'validate'])).code).toBe(2);
    expect((await run(['fhir', 'frobnicate', 'x'])).code).toBe(2);
    expect((await run(['fhir', 'validate', '--max-bytes', 'lots', 'x'])).code).toBe(2);
  });
});
