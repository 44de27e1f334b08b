/** `sealpost relay directory import` and `sealpost directory search`, in-process through runCli. */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevCa, toPem } from '@sealpost/sdk/crypto';
import { runCli } from '../../cli/run.js';
import { openDirectoryStore } from '../../relay/directory/index.js';
import { startDirectory, testCa } from './helpers.js';
import type { DirectoryServer } from './helpers.js';

let dir: string;
let server: DirectoryServer;

async function sealpost(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: {}, cwd: dir });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sealpost-dir-cli-'));
  for (const name of ['au-provider-directory.json', 'us-ndh.json', 'us-ndh-bad-npi.json']) copyFileSync(new URL(`../fixtures/directory/${name}`, import.meta.url), join(dir, name));
  writeFileSync(join(dir, 'ca.pem'), toPem((await testCa()).certificate, 'CERTIFICATE'));
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('sealpost relay directory import', () => {
  it('imports a bundle into the relay database and refuses one with a bad NPI (exit 1, nothing written)', async () => {
    const ok = await sealpost(['relay', 'directory', 'import', 'au-provider-directory.json', '--db', 'sqlite:relay.db']);
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(ok.stdout).toBe('imported 2 Organization, 2 Practitioner, 1 Endpoint, 1 HealthcareService, 2 PractitionerRole; skipped 1 Location\n');
    const bad = await sealpost(['relay', 'directory', 'import', 'us-ndh-bad-npi.json', '--db', 'sqlite:relay.db']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Bundle.entry[1].resource.identifier[0]: 1928374656');
    expect(bad.stderr).toContain('nothing imported');
    const json = await sealpost(['relay', 'directory', 'import', 'us-ndh-bad-npi.json', '--db', 'sqlite:relay.db', '--skip-invalid', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ refused: false, imported: { Organization: 1, PractitionerRole: 1, Endpoint: 1 } });
    const store = await openDirectoryStore(`sqlite:${join(dir, 'relay.db')}`);
    expect(await store.count('Organization')).toBe(3);
    await store.close();
  });

  it('answers usage errors with exit 2', async () => {
    expect((await sealpost(['relay', 'directory', 'import'])).code).toBe(2);
    expect((await sealpost(['relay', 'directory', 'export', 'x.json'])).code).toBe(2);
    expect((await sealpost(['relay', 'directory', 'import', 'missing.json', '--db', 'sqlite:relay.db'])).code).toBe(1);
  });
});

describe('sealpost directory search', () => {
  beforeAll(async () => {
    const store = await openDirectoryStore(`sqlite:${join(dir, 'served.db')}`);
    server = await startDirectory({ store });
    expect((await sealpost(['relay', 'directory', 'import', 'au-provider-directory.json', '--db', 'sqlite:served.db'])).code).toBe(0);
  });

  it('prints typeahead matches with addresses from a signed directory', async () => {
    const res = await sealpost(['directory', 'search', 'harb', '--directory', server.base, '--trust', 'ca.pem']);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toContain('Harbourside Skin Cancer Clinic — Harbourside Medical Centre, Manly  <reception@harbourside.example>');
    const mayo = await sealpost(['directory', 'search', 'helen', '--directory', server.base, '--trust', 'ca.pem', '--json']);
    const parsed = JSON.parse(mayo.stdout) as { contacts: { kind: string; display: string; reference: string }[] };
    expect(parsed.contacts).toEqual([expect.objectContaining({ kind: 'PractitionerRole', display: 'Dr Helen Mayo — Downunder Hospital, Blacktown', reference: 'PractitionerRole/helen-cardiology' })]);
  });

  it('searches through --relay URL (its /fhir) and federates several --directory', async () => {
    const relayUrl = server.base.slice(0, -'/fhir'.length);
    const res = await sealpost(['directory', 'search', 'citizen', '--relay', relayUrl, '--directory', server.base, '--trust', 'ca.pem', '--json']);
    const parsed = JSON.parse(res.stdout) as { contacts: { address: string }[] };
    // The same contact (same address) from both directories is listed once.
    expect(parsed.contacts.map((c) => c.address)).toEqual(['jane@harbourside.example']);
  });

  it('fails (exit 1) when no directory answers, and needs --trust or --unsigned', async () => {
    expect((await sealpost(['directory', 'search', 'harb', '--directory', server.base, '--unsigned'])).code).toBe(0);
    expect((await sealpost(['directory', 'search', 'harb', '--directory', server.base])).code).toBe(2);
    writeFileSync(join(dir, 'other-ca.pem'), toPem((await createDevCa({ name: 'Other CA' })).identity.certificate, 'CERTIFICATE'));
    const untrusted = await sealpost(['directory', 'search', 'harb', '--directory', server.base, '--trust', 'other-ca.pem']);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toContain('ERR_DIRECTORY_UNTRUSTED');
    expect(untrusted.stdout).toBe("no match for 'harb'\n");
    const down = await sealpost(['directory', 'search', 'harb', '--directory', 'http://127.0.0.1:9/fhir', '--trust', 'ca.pem']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('ERR_DIRECTORY_HTTP');
  });
});
