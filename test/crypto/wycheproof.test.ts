import { describe, expect, it } from 'vitest';
import { wycheproofSuite } from './shared/wycheproof-suite.js';

describe('Wycheproof on Node WebCrypto', () => {
  for (const test of wycheproofSuite) {
    it(test.name, async () => {
      const { passed } = await test.run();
      expect(passed).toBeGreaterThanOrEqual(test.minimum);
    });
  }
});
