/**
 * Wycheproof vectors (test/fixtures/crypto/wycheproof/README.md) for the primitives the envelope
 * calls, on the SubtleCrypto the SDK uses (the platform's WebCrypto, or the Node crypto runtime when
 * installed). Like envelope-suite.ts it uses no Node APIs and no vitest, so wycheproof.test.ts runs
 * it on Node (node-runtime/wycheproof.test.ts again with the Node runtime) and
 * suite.browser.test.ts in Chromium.
 */
import aesGcm from '../../fixtures/crypto/wycheproof/aes_gcm_test.json';
import aesWrap from '../../fixtures/crypto/wycheproof/aes_wrap_test.json';
import ecdh from '../../fixtures/crypto/wycheproof/ecdh_secp256r1_webcrypto_test.json';
import ecdsaDer from '../../fixtures/crypto/wycheproof/ecdsa_secp256r1_sha256_test.json';
import ecdsaP1363 from '../../fixtures/crypto/wycheproof/ecdsa_secp256r1_sha256_p1363_test.json';
import rsaOaep from '../../fixtures/crypto/wycheproof/rsa_oaep_2048_sha256_mgf1sha256_test.json';
import { derToP1363 } from '../../../sdk/crypto/internal/ecdsa.js';
import { subtle } from '../../../sdk/crypto/internal/subtle.js';

interface Vector {
  tcId: number;
  comment: string;
  result: string;
  [field: string]: unknown;
}
interface Group {
  tests: Vector[];
  [field: string]: unknown;
}
interface VectorFile {
  testGroups: unknown[];
}

/** Counts of one file: vectors checked, and vectors skipped (WebCrypto cannot express them, or 'acceptable'). */
export interface WycheproofCount {
  passed: number;
  skipped: number;
}

export interface WycheproofCase {
  name: string;
  /** Least number of vectors that must be checked, so a loader bug cannot pass by checking none. */
  minimum: number;
  run: () => Promise<WycheproofCount>;
}

const hex = (value: unknown): Uint8Array<ArrayBuffer> => {
  const text = String(value);
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
};
const concat = (a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};
const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Chromium's WebCrypto has no 192-bit AES (the envelope seals with AES-256 only); such groups are
 * skipped there and checked where the runtime has them (Node).
 */
let aes192: Promise<boolean> | undefined;
function hasAes192(): Promise<boolean> {
  aes192 ??= subtle().importKey('raw', new Uint8Array(24), 'AES-GCM', false, ['encrypt']).then(
    () => true,
    () => false,
  );
  return aes192;
}

/** Valid vectors must succeed with the expected output; invalid ones must fail. */
async function run(file: VectorFile, attempt: (group: Group, vector: Vector) => Promise<'skip' | Uint8Array | boolean>, expected: (vector: Vector) => Uint8Array | true): Promise<WycheproofCount> {
  let passed = 0;
  let skipped = 0;
  for (const group of file.testGroups as Group[]) {
    for (const vector of group.tests) {
      let outcome: 'skip' | Uint8Array | boolean | Error;
      try {
        outcome = await attempt(group, vector);
      } catch (error) {
        outcome = error instanceof Error ? error : new Error(String(error));
      }
      if (outcome === 'skip' || vector.result === 'acceptable') {
        skipped++;
        continue;
      }
      const ok = outcome === true || outcome instanceof Uint8Array;
      if (vector.result === 'valid') {
        if (!ok) throw new Error(`tcId ${vector.tcId} (${vector.comment}) should succeed: ${String(outcome)}`);
        const want = expected(vector);
        if (want !== true && !same(outcome as Uint8Array, want)) throw new Error(`tcId ${vector.tcId} (${vector.comment}): wrong output`);
      } else if (ok) {
        throw new Error(`tcId ${vector.tcId} (${vector.comment}) should fail`);
      }
      passed++;
    }
  }
  return { passed, skipped };
}

export const wycheproofSuite: WycheproofCase[] = [
  {
    name: 'Wycheproof AES-GCM (12-byte nonce, 16-byte tag)',
    minimum: 100,
    run: () =>
      run(
        aesGcm,
        async (group, v) => {
          if (group.ivSize !== 96 || group.tagSize !== 128) return 'skip';
          if (group.keySize === 192 && !(await hasAes192())) return 'skip';
          const key = await subtle().importKey('raw', hex(v.key), 'AES-GCM', false, ['decrypt']);
          return new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv: hex(v.iv), additionalData: hex(v.aad), tagLength: 128 }, key, concat(hex(v.ct), hex(v.tag))));
        },
        (v) => hex(v.msg),
      ),
  },
  {
    name: 'Wycheproof AES key wrap (RFC 3394)',
    minimum: 100,
    run: () =>
      run(
        aesWrap,
        async (group, v) => {
          const ct = hex(v.ct);
          // WebCrypto refuses lengths that are not a multiple of 8 or under 24 bytes outright:
          // that is the failure an invalid vector expects; a valid one of that shape is skipped.
          if ((ct.length % 8 !== 0 || ct.length < 24) && v.result === 'valid') return 'skip';
          if (group.keySize === 192 && !(await hasAes192())) return 'skip';
          const kek = await subtle().importKey('raw', hex(v.key), 'AES-KW', false, ['unwrapKey']);
          const key = await subtle().unwrapKey('raw', ct, kek, 'AES-KW', { name: 'HMAC', hash: 'SHA-256' }, true, ['sign']);
          return new Uint8Array(await subtle().exportKey('raw', key));
        },
        (v) => hex(v.msg),
      ),
  },
  {
    name: 'Wycheproof ECDH P-256, including invalid public keys',
    minimum: 200,
    run: () =>
      run(
        ecdh,
        async (_group, v) => {
          const publicKey = await subtle().importKey('jwk', v.public as JsonWebKey, { name: 'ECDH', namedCurve: 'P-256' }, false, []);
          const privateKey = await subtle().importKey('jwk', v.private as JsonWebKey, { name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
          return new Uint8Array(await subtle().deriveBits({ name: 'ECDH', public: publicKey }, privateKey, 256));
        },
        (v) => hex(v.shared),
      ),
  },
  {
    name: 'Wycheproof ECDSA P-256 SHA-256 in DER, through our DER → P1363 conversion',
    minimum: 400,
    run: () =>
      run(
        ecdsaDer,
        async (group, v) => {
          const key = await subtle().importKey('spki', hex(group.publicKeyDer), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
          return subtle().verify({ name: 'ECDSA', hash: 'SHA-256' }, key, derToP1363(hex(v.sig), 32) as Uint8Array<ArrayBuffer>, hex(v.msg));
        },
        () => true,
      ),
  },
  {
    name: 'Wycheproof ECDSA P-256 SHA-256 in P1363',
    minimum: 200,
    run: () =>
      run(
        ecdsaP1363,
        async (group, v) => {
          const key = await subtle().importKey('spki', hex(group.publicKeyDer), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
          return subtle().verify({ name: 'ECDSA', hash: 'SHA-256' }, key, hex(v.sig), hex(v.msg));
        },
        () => true,
      ),
  },
  {
    name: 'Wycheproof RSA-OAEP 2048 SHA-256 / MGF1-SHA-256',
    minimum: 30,
    run: () =>
      run(
        rsaOaep,
        async (group, v) => {
          const key = await subtle().importKey('pkcs8', hex(group.privateKeyPkcs8), { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt']);
          const label = hex(v.label);
          return new Uint8Array(await subtle().decrypt(label.length ? { name: 'RSA-OAEP', label } : { name: 'RSA-OAEP' }, key, hex(v.ct)));
        },
        (v) => hex(v.msg),
      ),
  },
];
