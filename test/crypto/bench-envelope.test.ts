import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BENCH = ['--conditions=source', '--import', 'tsx', 'bench/run.ts', 'envelope'];

/** Smoke test of `npm run bench -- envelope`: the shapes its README documents (figures mean nothing here). */
describe('bench envelope', () => {
  it('--json prints cases SIZE → OP → IMPL in ms, paired ratios and CPU times', async () => {
    const { stdout } = await run(process.execPath, [...BENCH, '--json', '--sizes', '1KB', '--runs', '1', '--warmup', '0'], { timeout: 120_000 });
    const out = JSON.parse(stdout) as { bench: string; unit: string; runs: number; cases: Record<string, Record<string, Record<string, number>>>; pairedRatio: Record<string, Record<string, number>>; cpu: Record<string, Record<string, Record<string, number>>>; sealInPlace: Record<string, Record<string, number>> };
    expect(out).toMatchObject({ bench: 'envelope', unit: 'ms', runs: 1 });
    expect(Object.keys(out.cases)).toEqual(['1KB']);
    for (const op of ['seal', 'open']) {
      const figures = out.cases['1KB']?.[op] ?? {};
      expect(Object.keys(figures).sort()).toEqual(['openssl', 'sealpost', 'webcrypto']);
      for (const value of Object.values(figures)) expect(value).toBeGreaterThan(0);
      expect(out.pairedRatio['1KB']?.[op]).toBeGreaterThan(0);
      expect(Object.keys(out.cpu['1KB']?.[op] ?? {}).sort()).toEqual(['sealpost', 'webcrypto']);
    }
    // The in-place seal (allocatePayload), beside the shape rather than inside it.
    expect(out.sealInPlace['1KB']).toEqual({ ms: expect.any(Number), pairedRatio: expect.any(Number), cpuMs: expect.any(Number) });
  }, 150_000);

  it('--stages lists the WebCrypto calls of Sealpost and the floor, and the time outside them', async () => {
    const { stdout } = await run(process.execPath, [...BENCH, '--stages', '--sizes', '1KB', '--runs', '1'], { timeout: 120_000 });
    for (const name of ['sealpost seal', 'floor    seal', 'sealpost open', 'floor    open']) expect(stdout).toMatch(new RegExp(`${name}\\s+total [\\d.]+\\s+outside WebCrypto [\\d.]+`));
    expect(stdout).toMatch(/encrypt 1024 B/);
    expect(stdout).toMatch(/decrypt 1040 B/);
  }, 150_000);

  it('refuses a malformed size with exit code 2', async () => {
    await expect(run(process.execPath, [...BENCH, '--sizes', '1GBX'], { timeout: 120_000 })).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--sizes: '1GBX' is not like 1KB or 50MB/) });
  }, 150_000);
});
