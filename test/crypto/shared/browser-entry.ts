/** Browser entry of the shared suite: bundled by suite.browser.test.ts with the SDK's dist build. */
import * as sdk from '@sealpost/sdk/crypto';
import { browserOnlySuite, envelopeSuite, makeContext } from './envelope-suite.js';

(globalThis as { runSuite?: () => Promise<{ name: string; ok: boolean; error?: string }[]> }).runSuite = async () => {
  const ctx = await makeContext(sdk);
  const results: { name: string; ok: boolean; error?: string }[] = [];
  for (const test of [...envelopeSuite, ...browserOnlySuite]) {
    try {
      await test.run(ctx);
      results.push({ name: test.name, ok: true });
    } catch (error) {
      results.push({ name: test.name, ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    }
  }
  return results;
};
