import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createCases } from '../../../bench/hl7/cases.js';
import { differences } from '../../../bench/hl7/check.js';
import { loadLibraries } from '../../../bench/hl7/libraries.js';
import { referenceRead, referenceWalk } from '../../../bench/hl7/reference.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
// @medplum/core 5 reads the WebSocket global when it loads: Node 20 has it only behind a flag.
const hasWebSocket = typeof (globalThis as { WebSocket?: unknown }).WebSocket !== 'undefined';

/** Known, reported deviations of peers from the reference; anything else fails. */
const KNOWN: Record<string, Record<string, string[]>> = {
  '@medplum/core': {
    // Hl7Message.parse splits on /[\r\n]+/, so the final terminator yields an empty last segment.
    'oru-r01-4kb fullwalk': ['segments: got 17, expected 16'],
    'lab-28-obx-10kb fullwalk': ['segments: got 41, expected 40'],
    'pdf-10mb fullwalk': ['segments: got 8, expected 7'],
  },
};

describe('bench adapters answer like the reference', async () => {
  const { libraries, failures } = await loadLibraries(undefined, 'bench');
  const cases = createCases();

  it('load every library (medplum only where WebSocket exists)', () => {
    const names = libraries.map((library) => library.name);
    expect(names).toEqual(hasWebSocket ? ['sealpost', '@medplum/core', 'hl7-standard', 'simple-hl7'] : ['sealpost', 'hl7-standard', 'simple-hl7']);
    if (!hasWebSocket) expect(failures).toEqual([expect.stringMatching(/^@medplum\/core: not loaded/)]);
  });

  for (const library of libraries) {
    it(`${library.name}: read and fullwalk on every case`, () => {
      for (const benchCase of cases) {
        const read = differences(library.read(benchCase.text), referenceRead(benchCase.text));
        const walk = differences(library.walk(benchCase.text), referenceWalk(benchCase.text));
        expect(read).toEqual(KNOWN[library.name]?.[`${benchCase.name} read`] ?? []);
        expect(walk).toEqual(KNOWN[library.name]?.[`${benchCase.name} fullwalk`] ?? []);
      }
    });
  }

  it('peers without escape decoding return raw escapes when the bench does not decode for them', async () => {
    const raw = await loadLibraries(['simple-hl7'], 'none');
    const typical = cases[0]!.text;
    const problems = differences(raw.libraries[0]!.read(typical), referenceRead(typical));
    expect(problems).toEqual([expect.stringMatching(/^observations\[9\]\.value\[0\]\[0\]: got "Red cells.*\\\\\.br/)]);
  });
});

describe('npm run bench -- hl7 --json', () => {
  it('prints exactly the JSON report on stdout, re-running itself with the flags it needs', () => {
    const child = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'bench/run.ts', 'hl7', '--json', '--quick', '--case', 'oru-r01-4kb'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(child.status).toBe(0);
    const report = JSON.parse(child.stdout) as { bench: string; unit: string; cases: Record<string, Record<string, Record<string, number>>> };
    expect(Object.keys(report)).toEqual(['bench', 'unit', 'cases']);
    expect(report.bench).toBe('hl7');
    expect(report.unit).toBe('msg/s');
    expect(Object.keys(report.cases)).toEqual(['oru-r01-4kb']);
    for (const workload of ['read', 'fullwalk']) {
      const row = report.cases['oru-r01-4kb']![workload]!;
      expect(Object.keys(row)).toEqual(['sealpost', '@medplum/core', 'hl7-standard', 'simple-hl7']);
      for (const value of Object.values(row)) expect(value).toBeGreaterThan(0);
    }
    expect(child.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('rejects unknown options with exit code 2', () => {
    const child = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'bench/run.ts', 'hl7', '--case', 'nope'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(child.status).toBe(2);
    expect(child.stderr).toContain('unknown case');
    expect(child.stdout).toBe('');
  });
});
