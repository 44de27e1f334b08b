import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/run.js';
import { ReviewQueue } from '../../adapters/match/review-queue.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function io(cwd: string) {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t), env: {}, cwd } };
}

describe('sealpost review', () => {
  it('lists pending letters, matches one, rejects another, and refuses a second decision with exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealpost-review-cli-'));
    dirs.push(dir);
    const queue = new ReviewQueue(join(dir, 'agent.db'));
    queue.add('msg-a', { reason: 'best demographic score 0.7 is below 0.9', query: { family: 'Citizen', given: ['Jane'], birthDate: '1980-01-01' }, candidates: [{ patientId: 'p1', score: 0.7, reasons: [] }] });
    queue.add('msg-b', { reason: 'patient not found', query: { family: 'Nobody' }, candidates: [] });
    queue.close();
    const list = io(dir);
    expect(await runCli(['review', 'list', '--db', 'agent.db'], list.io)).toBe(0);
    expect(list.out.stdout).toBe('1\tmsg-a\tCitizen, Jane, 1980-01-01\tbest demographic score 0.7 is below 0.9\tcandidates: p1 (0.7)\n2\tmsg-b\tNobody\tpatient not found\tcandidates: none\n');
    const match = io(dir);
    expect(await runCli(['review', 'match', '1', 'p1', '--by', 'nurse', '--db', 'agent.db'], match.io)).toBe(0);
    expect(match.out.stdout).toMatch(/^msg-a: matched to p1/);
    const reject = io(dir);
    expect(await runCli(['review', 'reject', '2', '--by', 'gp', '--db', 'agent.db'], reject.io)).toBe(0);
    expect(reject.out.stdout).toMatch(/^msg-b: rejected \(patient not found\)/);
    const again = io(dir);
    expect(await runCli(['review', 'reject', '1', '--by', 'gp', '--db', 'agent.db'], again.io)).toBe(1);
    expect(again.out.stderr).toMatch(/ERR_MATCH_REVIEW_STATE: review item 1 is not pending/);
    const usage = io(dir);
    expect(await runCli(['review', 'match', '1', 'p1', '--db', 'agent.db'], usage.io)).toBe(2);
    const json = io(dir);
    expect(await runCli(['review', 'list', '--state', 'matched', '--json', '--db', 'agent.db'], json.io)).toBe(0);
    expect(JSON.parse(json.out.stdout)).toMatchObject([{ messageId: 'msg-a', patientId: 'p1', decidedBy: 'nurse' }]);
  });
});
