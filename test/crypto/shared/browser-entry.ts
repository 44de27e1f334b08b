/** Browser entry of the shared suites: bundled by suite.browser.test.ts with the SDK's dist build. */
import * as sdk from '@sealpost/sdk/crypto';
import { browserOnlySuite, envelopeSuite, makeContext } from './envelope-suite.js';
import { wycheproofSuite } from './wycheproof-suite.js';

type Result = { name: string; ok: boolean; error?: string };

(globalThis as { runSuite?: () => Promise<Result[]> }).runSuite = async () => {
  const ctx = await makeContext(sdk);
  const results: Result[] = [];
  const record = async (name: string, run: () => Promise<void>) => {
    try {
      await run();
      results.push({ name, ok: true });
    } catch (error) {
      results.push({ name, ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    }
  };
  for (const test of [...envelopeSuite, ...browserOnlySuite]) await record(test.name, () => test.run(ctx));
  for (const test of wycheproofSuite) {
    await record(test.name, async () => {
      const { passed } = await test.run();
      if (passed < test.minimum) throw new Error(`only ${passed} vectors checked (at least ${test.minimum} expected)`);
    });
  }
  return results;
};
