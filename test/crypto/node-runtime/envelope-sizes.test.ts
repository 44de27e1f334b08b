// test/crypto/envelope-sizes.test.ts again, with the Node crypto runtime installed (D-CRYPTO-4).
import { expectNodeRuntime } from './install.js';

expectNodeRuntime();
await import('../envelope-sizes.test.js');
