import { beforeAll, describe, it } from 'vitest';
import * as sdk from '@sealpost/sdk/crypto';
import { envelopeSuite, makeContext } from './shared/envelope-suite.js';
import type { SuiteContext } from './shared/envelope-suite.js';

describe('shared envelope suite on Node', () => {
  let ctx: SuiteContext;
  beforeAll(async () => {
    ctx = await makeContext(sdk);
  });
  for (const test of envelopeSuite) it(test.name, () => test.run(ctx));
});
