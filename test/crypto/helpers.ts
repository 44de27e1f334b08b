import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs `openssl` with args; resolves to stdout (Buffer) or rejects with stderr in the message. */
export async function openssl(args: string[], options: { input?: Uint8Array } = {}): Promise<Buffer> {
  const child = run('openssl', args, { encoding: 'buffer', maxBuffer: 512 * 1024 * 1024 });
  if (options.input) {
    child.child.stdin?.end(options.input);
  }
  try {
    const { stdout } = await child;
    return stdout;
  } catch (error) {
    const e = error as { stderr?: Buffer; message: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr?.toString() ?? e.message}`);
  }
}

/** A temporary directory under os.tmpdir(), removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; file: (name: string) => string; write: (name: string, data: string | Uint8Array) => Promise<string>; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sealpost-crypto-'));
  return {
    dir,
    file: (name) => join(dir, name),
    write: async (name, data) => {
      const path = join(dir, name);
      await writeFile(path, data);
      return path;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * Byte equality for large arrays: vitest's toEqual walks a typed array element by element
 * through its generic equality and takes most of a minute on 3 MB on a loaded machine.
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
