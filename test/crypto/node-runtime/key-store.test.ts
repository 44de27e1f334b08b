// test/crypto/key-store.test.ts again, with the Node crypto runtime installed (D-CRYPTO-4).
import { expectNodeRuntime } from './install.js';

expectNodeRuntime();
await import('../key-store.test.js');
