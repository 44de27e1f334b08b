import fc from 'fast-check';
import { describe, it } from 'vitest';
import { properties } from '../fuzz/hl7v2-properties.js';

// CI runs a few hundred cases per property; `npm run fuzz` runs 100,000 (see test/fuzz/run.ts).
const numRuns = Number(process.env.SEALPOST_FUZZ_RUNS ?? 300);

describe('hl7v2 properties (fast-check)', () => {
  for (const [name, check] of Object.entries(properties)) {
    it(name, () => {
      const result = check(numRuns);
      if (result.failed) throw new Error(fc.defaultReportMessage(result));
    });
  }
});
