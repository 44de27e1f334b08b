/**
 * The built CLI (cli/dist, `npm test` builds before vitest) loads the built adapters
 * (adapters/dist) under plain Node, as an installed `sealpost` does: `agent --check` and
 * `review list|match` against a state file written by the adapters' sources; and the built
 * CryptoWorkerPool (which the agent uses by default) starts its worker from adapters/dist.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReviewQueue } from '../../adapters/match/review-queue.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../cli/dist/sealpost.js', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../docs/adapters/agent.example.json', import.meta.url));
const BUILT = ['../../adapters/dist/index.js', '../../adapters/dist/agent.js', '../../adapters/dist/crypto-worker.js', '../../sdk/dist/crypto.js'].map((p) => fileURLToPath(new URL(p, import.meta.url)));

/** Runs the built binary with plain Node (no tsx, no `source` condition); resolves with the exit code instead of throwing. */
async function sealpost(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env['PATH'] ?? '' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('built sealpost binary with the built adapters', () => {
  let dir: string;
  beforeAll(() => {
    for (const file of [BIN, ...BUILT]) if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first`);
    dir = mkdtempSync(join(tmpdir(), 'sealpost-built-adapters-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('agent --config FILE --check validates the example configuration (exit 0), and lists the problems of a bad one (exit 1)', async () => {
    const ok = await sealpost(['agent', '--config', EXAMPLE, '--check'], dir);
    expect(ok).toEqual({ code: 0, stdout: `${EXAMPLE}: valid (3 inbound, 1 outbound adapters)\n`, stderr: '' });
    const json = await sealpost(['agent', '--config', EXAMPLE, '--check', '--json'], dir);
    expect(JSON.parse(json.stdout)).toEqual({ valid: true, problems: [] });
    const bad = await sealpost(['agent', '--config', join(dir, 'missing.json'), '--check'], dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^sealpost agent: ERR_AGENT_CONFIG: .*missing\.json is not valid:\n/);
    expect(bad.stderr).not.toMatch(/ERR_CLI_ADAPTERS_SOURCES/);
  });

  it('review list and match read and decide the queue of a state file (better-sqlite3 under plain Node)', async () => {
    const queue = new ReviewQueue(join(dir, 'agent.db'));
    queue.add('msg-built', { reason: 'patient not found', query: { family: 'Citizen', given: ['Jane'], birthDate: '1980-01-01' }, candidates: [{ patientId: 'p7', score: 0.6, reasons: [] }] });
    queue.close();
    const list = await sealpost(['review', 'list', '--db', 'agent.db'], dir);
    expect(list).toEqual({ code: 0, stdout: '1\tmsg-built\tCitizen, Jane, 1980-01-01\tpatient not found\tcandidates: p7 (0.6)\n', stderr: '' });
    const match = await sealpost(['review', 'match', '1', 'p7', '--by', 'nurse', '--db', 'agent.db'], dir);
    expect(match.code).toBe(0);
    expect(match.stdout).toMatch(/^msg-built: matched to p7/);
    const again = await sealpost(['review', 'match', '1', 'p7', '--by', 'nurse', '--db', 'agent.db'], dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/ERR_MATCH_REVIEW_STATE/);
    expect(JSON.parse((await sealpost(['review', 'list', '--state', 'matched', '--json', '--db', 'agent.db'], dir)).stdout)).toMatchObject([{ messageId: 'msg-built', patientId: 'p7', decidedBy: 'nurse' }]);
  });

  it('the built CryptoWorkerPool opens an envelope on a worker thread started from adapters/dist', async () => {
    const script = join(dir, 'pool.mjs');
    const [adapters, , , crypto] = BUILT.map((p) => pathToFileURL(p!).href);
    writeFileSync(
      script,
      `const { CryptoWorkerPool } = await import(${JSON.stringify(adapters)});
const { createDevCa, generateIdentity, MemorySeenStore, sealEnvelope } = await import(${JSON.stringify(crypto)});
const ca = await createDevCa({ name: 'Built CA' });
const lab = await generateIdentity({ name: 'Lab', address: 'lab@x.example', issuer: ca.identity });
const gp = await generateIdentity({ name: 'GP', address: 'gp@x.example', issuer: ca.identity });
const { envelope } = await sealEnvelope(new TextEncoder().encode('opened by a built worker'), { sender: lab.identity, recipients: [gp.identity.certificate], messageId: 'built-1' });
const pool = new CryptoWorkerPool({ identity: gp.identity, trust: { anchors: [ca.identity.certificate] }, size: 1 });
const { opened } = await pool.open({ envelope, seenStore: new MemorySeenStore(), at: new Date() });
await pool.close();
process.stdout.write(new TextDecoder().decode(opened.payload) + ' ' + opened.header.messageId);
`,
    );
    const { stdout } = await run(process.execPath, [script], { cwd: dir, env: { PATH: process.env['PATH'] ?? '' } });
    expect(stdout).toBe('opened by a built worker built-1');
  });
});
