// test/crypto/openssl-pki.test.ts again, with the Node crypto runtime installed (D-CRYPTO-4).
import { expectNodeRuntime } from './install.js';

expectNodeRuntime();
await import('../openssl-pki.test.js');
