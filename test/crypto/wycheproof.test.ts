import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { derToP1363 } from '../../sdk/crypto/internal/ecdsa.js';

/** Wycheproof vectors (test/fixtures/crypto/wycheproof/README.md) on the runtime's WebCrypto. */
interface Vector {
  tcId: number;
  comment: string;
  flags: string[];
  result: 'valid' | 'invalid' | 'acceptable';
  [field: string]: unknown;
}
interface Group {
  tests: Vector[];
  [field: string]: unknown;
}

const load = (name: string): Group[] => (JSON.parse(readFileSync(new URL(`../fixtures/crypto/wycheproof/${name}`, import.meta.url), 'utf8')) as { testGroups: Group[] }).testGroups;
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

/** Runs `attempt` for every vector: valid ones must succeed with the right output, invalid ones must fail. */
async function run(groups: Group[], attempt: (group: Group, vector: Vector) => Promise<'skip' | Uint8Array | boolean>, expected: (vector: Vector) => Uint8Array | true): Promise<{ passed: number; skipped: number }> {
  let passed = 0;
  let skipped = 0;
  for (const group of groups) {
    for (const vector of group.tests) {
      let outcome: 'skip' | Uint8Array | boolean | Error;
      try {
        outcome = await attempt(group, vector);
      } catch (error) {
        outcome = error as Error;
      }
      if (outcome === 'skip' || vector.result === 'acceptable') {
        skipped++;
        continue;
      }
      const ok = outcome === true || outcome instanceof Uint8Array;
      if (vector.result === 'valid') {
        expect(ok, `tcId ${vector.tcId} (${vector.comment}) should succeed: ${String(outcome)}`).toBe(true);
        const want = expected(vector);
        if (want !== true) expect(outcome, `tcId ${vector.tcId} output`).toEqual(want);
      } else {
        expect(ok, `tcId ${vector.tcId} (${vector.comment}) should fail`).toBe(false);
      }
      passed++;
    }
  }
  return { passed, skipped };
}

describe('Wycheproof on WebCrypto', () => {
  it('AES-GCM (12-byte nonce, 16-byte tag)', async () => {
    const { passed, skipped } = await run(
      load('aes_gcm_test.json'),
      async (group, v) => {
        if (group.ivSize !== 96 || group.tagSize !== 128) return 'skip';
        const key = await crypto.subtle.importKey('raw', hex(v.key), 'AES-GCM', false, ['decrypt']);
        return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: hex(v.iv), additionalData: hex(v.aad), tagLength: 128 }, key, concat(hex(v.ct), hex(v.tag))));
      },
      (v) => hex(v.msg),
    );
    expect(passed).toBeGreaterThan(100);
    expect(skipped).toBeLessThan(passed + 300);
  });

  it('AES key wrap (RFC 3394)', async () => {
    const { passed } = await run(
      load('aes_wrap_test.json'),
      async (_group, v) => {
        const ct = hex(v.ct);
        if (ct.length % 8 !== 0 || ct.length < 24) {
          // WebCrypto refuses these lengths outright; that is the failure an invalid vector expects.
          if (v.result === 'valid') return 'skip';
        }
        const kek = await crypto.subtle.importKey('raw', hex(v.key), 'AES-KW', false, ['unwrapKey']);
        const key = await crypto.subtle.unwrapKey('raw', ct, kek, 'AES-KW', { name: 'HMAC', hash: 'SHA-256' }, true, ['sign']);
        return new Uint8Array(await crypto.subtle.exportKey('raw', key));
      },
      (v) => hex(v.msg),
    );
    expect(passed).toBeGreaterThan(100);
  });

  it('ECDH P-256, including invalid public keys', async () => {
    const { passed } = await run(
      load('ecdh_secp256r1_webcrypto_test.json'),
      async (_group, v) => {
        const publicKey = await crypto.subtle.importKey('jwk', v.public as JsonWebKey, { name: 'ECDH', namedCurve: 'P-256' }, false, []);
        const privateKey = await crypto.subtle.importKey('jwk', v.private as JsonWebKey, { name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
        return new Uint8Array(await crypto.subtle.deriveBits({ name: 'ECDH', public: publicKey }, privateKey, 256));
      },
      (v) => hex(v.shared),
    );
    expect(passed).toBeGreaterThan(200);
  });

  it('ECDSA P-256 SHA-256 in DER, through our DER → P1363 conversion', async () => {
    const { passed } = await run(
      load('ecdsa_secp256r1_sha256_test.json'),
      async (group, v) => {
        const key = await crypto.subtle.importKey('spki', hex(group.publicKeyDer), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
        const signature = derToP1363(hex(v.sig), 32) as Uint8Array<ArrayBuffer>;
        return crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, signature, hex(v.msg));
      },
      () => true,
    );
    expect(passed).toBeGreaterThan(400);
  });

  it('ECDSA P-256 SHA-256 in P1363', async () => {
    const { passed } = await run(
      load('ecdsa_secp256r1_sha256_p1363_test.json'),
      async (group, v) => {
        const key = await crypto.subtle.importKey('spki', hex(group.publicKeyDer), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
        return crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, hex(v.sig), hex(v.msg));
      },
      () => true,
    );
    expect(passed).toBeGreaterThan(200);
  });

  it('RSA-OAEP 2048 SHA-256 / MGF1-SHA-256', async () => {
    const { passed } = await run(
      load('rsa_oaep_2048_sha256_mgf1sha256_test.json'),
      async (group, v) => {
        const key = await crypto.subtle.importKey('pkcs8', hex(group.privateKeyPkcs8), { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt']);
        const label = hex(v.label);
        return new Uint8Array(await crypto.subtle.decrypt(label.length ? { name: 'RSA-OAEP', label } : { name: 'RSA-OAEP' }, key, hex(v.ct)));
      },
      (v) => hex(v.msg),
    );
    expect(passed).toBeGreaterThan(30);
  });
});
