/**
 * Long fuzz run of the parser properties: `npm run fuzz [-- RUNS]` (default 100,000 per property).
 * Prints one line per property with the run count and time, and exits 1 on the first failure with
 * fast-check's counterexample and seed.
 */
import fc from 'fast-check';
import { properties } from './hl7v2-properties.js';

const numRuns = Number(process.argv[2] ?? 100_000);
let failed = false;
for (const [name, check] of Object.entries(properties)) {
  const started = performance.now();
  const result = check(numRuns);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (result.failed) {
    failed = true;
    console.log(`FAIL ${name} after ${result.numRuns} runs (${seconds} s)\n${fc.defaultReportMessage(result)}`);
  } else {
    console.log(`ok   ${name}: ${result.numRuns} runs, ${seconds} s`);
  }
}
process.exitCode = failed ? 1 : 0;
