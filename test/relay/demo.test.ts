/**
 * `npm start` = `sealpost relay demo`: first run creates the CA, two mailboxes and their
 * identities, runs the relay and prints the commands to send and read a letter. The test runs the
 * demo in its own process (port 0, a temp data directory) and then runs exactly the printed
 * commands (without their `npm run sealpost --` prefix) in-process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/run.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const data = mkdtempSync(join(tmpdir(), 'sealpost-demo-'));
const children: ReturnType<typeof spawn>[] = [];
afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }
  rmSync(data, { recursive: true, force: true });
});

function startDemo(): Promise<string> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'cli/main.ts', 'relay', 'demo', '--data', data, '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`demo did not start in 60 s: ${err}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => void (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ctrl-C stops the relay.')) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.once('exit', (code) => reject(new Error(`demo exited with ${code}: ${err}`)));
  });
}

async function run(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = command.trim().replace(/^npm run sealpost -- /, '').split(/\s+/);
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: {}, cwd: root });
  return { code, stdout, stderr };
}

describe('npm start (sealpost relay demo)', () => {
  it('prints commands that send a letter from one demo mailbox to the other and read it', async () => {
    const banner = await startDemo();
    expect(banner).toMatch(/Sealpost demo relay on http:\/\/127\.0\.0\.1:\d+/);
    const commands = banner.split('\n').filter((l) => l.trim().startsWith('npm run sealpost -- '));
    expect(commands.map((c) => c.trim().split(' ')[4])).toEqual(['send', 'inbox', 'fetch']);
    const sent = await run(commands[0]!);
    expect(sent.code).toBe(0);
    const messageId = sent.stdout.trim();
    expect((await run(commands[1]!)).stdout).toContain(messageId);
    const fetched = await run(commands[2]!);
    expect(fetched.code).toBe(0);
    expect(fetched.stdout).toMatch(/acknowledged/);
    const received = join(data, 'received');
    expect(readdirSync(received).sort()).toEqual([`${messageId}.json`, `${messageId}.p7m`, `${messageId}.txt`]);
    expect(readFileSync(join(received, `${messageId}.txt`), 'utf8')).toBe(readFileSync(join(data, 'letter.txt'), 'utf8'));
  }, 120_000);
});
