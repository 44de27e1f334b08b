import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../../cli/run.js';
import { openssl, tempDir } from './helpers.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('sealpost id / seal / open / receipt', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  const env = { SEALPOST_PASSPHRASE: 'correct horse battery' };
  const cli = async (argv: string[], extraEnv: Record<string, string> = {}): Promise<Run> => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: { ...env, ...extraEnv }, cwd: tmp.dir });
    return { code, stdout, stderr };
  };
  beforeAll(async () => {
    tmp = await tempDir();
    await writeFile(join(tmp.dir, 'letter.txt'), 'Dear colleague, please see Mrs Smith.\n');
    expect((await cli(['id', 'ca', 'new', '--out', 'ca'])).code).toBe(0);
    expect((await cli(['id', 'new', '--address', 'jane@gp.example', '--name', 'Dr Jane', '--out', 'jane', '--ca', 'ca'])).code).toBe(0);
    expect((await cli(['id', 'new', '--address', 'bob@hosp.example', '--name', 'Dr Bob', '--out', 'bob', '--rsa', '--ca', 'ca'])).code).toBe(0);
  });
  afterAll(() => tmp.cleanup());

  it('seals, opens once, refuses the replay, and checks the chain time', async () => {
    const sealed = await cli(['seal', '--id', 'jane', '--to', 'bob/cert.pem', '--in', 'letter.txt', '--out', 'letter.p7m', '--receipt']);
    expect(sealed).toMatchObject({ code: 0 });
    const opened = await cli(['open', '--id', 'bob', '--trust', 'ca/cert.pem', '--in', 'letter.p7m', '--out', 'out.txt']);
    expect(opened.stderr).toBe('');
    expect(opened.code).toBe(0);
    expect(opened.stdout).toContain('verified sender: CN=Dr Jane, E=jane@gp.example <jane@gp.example>');
    expect(opened.stdout).toContain('to: bob@hosp.example');
    expect(opened.stdout).toContain('receipt requested by: jane@gp.example');
    expect(await readFile(join(tmp.dir, 'out.txt'), 'utf8')).toBe('Dear colleague, please see Mrs Smith.\n');
    const again = await cli(['open', '--id', 'bob', '--trust', 'ca/cert.pem', '--in', 'letter.p7m', '--out', 'out2.txt']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('ERR_ENVELOPE_REPLAY (reason: replay)');
    const late = await cli(['open', '--id', 'bob', '--trust', 'ca/cert.pem', '--in', 'letter.p7m', '--out', 'out3.txt', '--at', '2099-01-01T00:00:00Z']);
    expect(late.code).toBe(1);
    expect(late.stderr).toContain('ERR_ENVELOPE_CHAIN');
    const wrongPass = await cli(['open', '--id', 'bob', '--trust', 'ca/cert.pem', '--in', 'letter.p7m', '--out', 'out4.txt'], { SEALPOST_PASSPHRASE: 'wrong passphrase' });
    expect(wrongPass.code).toBe(1);
    expect(wrongPass.stderr).toContain('ERR_CRYPTO_KEY_PASSPHRASE');
  });

  it('makes a receipt that the sender verifies', async () => {
    await cli(['seal', '--id', 'jane', '--to', 'bob/cert.pem', '--in', 'letter.txt', '--out', 'r-letter.p7m', '--receipt']);
    const made = await cli(['receipt', '--id', 'bob', '--for', 'r-letter.p7m', '--status', 'rejected', '--reason', 'patient not found', '--out', 'r.p7m']);
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    const verified = await cli(['receipt', 'verify', '--id', 'jane', '--trust', 'ca/cert.pem', '--in', 'r.p7m', '--for', 'r-letter.p7m']);
    expect(verified.stderr).toBe('');
    expect(verified.stdout).toContain('status: rejected (patient not found)');
    expect(verified.stdout).toContain('signed by: CN=Dr Bob, E=bob@hosp.example');
    const wrong = await cli(['receipt', 'verify', '--id', 'jane', '--trust', 'ca/cert.pem', '--in', 'r.p7m', '--for', 'letter.p7m']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('ERR_ENVELOPE_RECEIPT');
  });

  it('imports a .p12 and opens plain CMS only with --interop', async () => {
    await openssl(['pkcs12', '-export', '-in', join(tmp.dir, 'bob/cert.pem'), '-inkey', join(tmp.dir, 'bob/key.pem'), '-passin', `pass:${env.SEALPOST_PASSPHRASE}`, '-out', join(tmp.dir, 'bob.p12'), '-passout', 'pass:p12pw']);
    const imported = await cli(['id', 'import', 'bob.p12', '--out', 'bob2'], { SEALPOST_P12_PASSWORD: 'p12pw' });
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    const signed = await openssl(['cms', '-sign', '-in', join(tmp.dir, 'letter.txt'), '-signer', join(tmp.dir, 'jane/cert.pem'), '-inkey', join(tmp.dir, 'jane/key.pem'), '-passin', `pass:${env.SEALPOST_PASSPHRASE}`, '-binary', '-nodetach', '-outform', 'DER', '-md', 'sha256']);
    await writeFile(join(tmp.dir, 'signed.der'), signed);
    await openssl(['cms', '-encrypt', '-aes-256-gcm', '-binary', '-in', join(tmp.dir, 'signed.der'), '-outform', 'DER', '-out', join(tmp.dir, 'plain.p7m'), '-recip', join(tmp.dir, 'bob/cert.pem'), '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256', '-keyopt', 'rsa_mgf1_md:sha256']);
    const strict = await cli(['open', '--id', 'bob2', '--trust', 'ca/cert.pem', '--in', 'plain.p7m', '--out', 'plain.txt']);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('ERR_ENVELOPE_NO_HEADER');
    const interop = await cli(['open', '--id', 'bob2', '--trust', 'ca/cert.pem', '--in', 'plain.p7m', '--out', 'plain.txt', '--interop']);
    expect(interop.code).toBe(0);
    expect(interop.stdout).toContain('recipient binding, replay and expiry were NOT checked');
    expect(await readFile(join(tmp.dir, 'plain.txt'), 'utf8')).toBe('Dear colleague, please see Mrs Smith.\n');
  });

  it('usage errors exit 2; a legacy .p12 exits 1 with the re-export command', async () => {
    expect((await cli(['seal', '--id', 'jane'])).code).toBe(2);
    expect((await cli(['open', '--in', 'x'])).code).toBe(2);
    await openssl(['pkcs12', '-export', '-legacy', '-in', join(tmp.dir, 'bob/cert.pem'), '-inkey', join(tmp.dir, 'bob/key.pem'), '-passin', `pass:${env.SEALPOST_PASSPHRASE}`, '-out', join(tmp.dir, 'legacy.p12'), '-passout', 'pass:p12pw']);
    const legacy = await cli(['id', 'import', 'legacy.p12', '--out', 'bob3'], { SEALPOST_P12_PASSWORD: 'p12pw' });
    expect(legacy.code).toBe(1);
    expect(legacy.stderr).toContain('ERR_CRYPTO_PKCS12_LEGACY');
    expect(legacy.stderr).toContain('openssl pkcs12 -legacy');
  });
});
