import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tempDir } from './helpers.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../cli/dist/sealpost.js', import.meta.url));

/** The built CLI (`npm test` builds before vitest) against the built SDK, as a user runs it. */
describe('built sealpost binary', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    if (!existsSync(BIN)) throw new Error('cli/dist/sealpost.js is missing: run `npm run build` first');
    tmp = await tempDir();
  });
  afterAll(() => tmp.cleanup());

  const sealpost = (args: string[]) => run(process.execPath, [BIN, ...args], { cwd: tmp.dir, env: { ...process.env, SEALPOST_PASSPHRASE: 'built-cli-pass' } });

  it('creates identities, seals and opens; a failed check exits 1 with the code', async () => {
    await sealpost(['id', 'ca', 'new', '--out', 'ca']);
    await sealpost(['id', 'new', '--address', 'a@x.example', '--name', 'A', '--out', 'a', '--ca', 'ca']);
    await sealpost(['id', 'new', '--address', 'b@x.example', '--name', 'B', '--out', 'b', '--ca', 'ca', '--rsa']);
    await writeFile(join(tmp.dir, 'm.txt'), 'hello\n');
    await sealpost(['seal', '--id', 'a', '--to', 'b/cert.pem', '--in', 'm.txt', '--out', 'm.p7m']);
    const { stdout } = await sealpost(['open', '--id', 'b', '--trust', 'ca/cert.pem', '--in', 'm.p7m', '--out', 'o.txt']);
    expect(stdout).toContain('verified sender: CN=A, E=a@x.example');
    expect(await readFile(join(tmp.dir, 'o.txt'), 'utf8')).toBe('hello\n');
    const again = await sealpost(['open', '--id', 'b', '--trust', 'ca/cert.pem', '--in', 'm.p7m', '--out', 'o2.txt']).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('ERR_ENVELOPE_REPLAY');
  });
});
