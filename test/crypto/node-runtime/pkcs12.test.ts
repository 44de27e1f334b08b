// test/crypto/pkcs12.test.ts again, with the Node crypto runtime installed (D-CRYPTO-4).
import { expectNodeRuntime } from './install.js';

expectNodeRuntime();
await import('../pkcs12.test.js');
