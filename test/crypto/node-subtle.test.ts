/**
 * The Node crypto runtime against the platform's WebCrypto, operation by operation: the same bytes
 * where the result is deterministic, each verifying the other's signatures and wraps, and the same
 * error names where WebCrypto refuses (D-CRYPTO-4).
 */
import { describe, expect, it } from 'vitest';
import { NodeSubtle, nodeCryptoRuntime } from '@sealpost/sdk/node/crypto';

const web = globalThis.crypto.subtle;
const LIMIT = 4096;
const node = (): NodeSubtle => new NodeSubtle(web, LIMIT);
const bytes = (length: number, fill = 7): Uint8Array<ArrayBuffer> => new Uint8Array(length).fill(fill);
const u8 = (buffer: ArrayBuffer): Uint8Array => new Uint8Array(buffer);

/** The error name a promise rejects with. */
async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).name;
  }
  return 'no error';
}

describe('Node crypto runtime', () => {
  it('digests like WebCrypto, inline when small and on the platform when large', async () => {
    const n = node();
    for (const hash of ['SHA-1', 'SHA-256', 'sha-384', { name: 'SHA-512' }]) {
      for (const length of [0, 300, LIMIT + 1]) {
        const data = bytes(length, length & 0xff);
        expect(u8(await n.digest(hash, data))).toEqual(u8(await web.digest(hash, data)));
      }
    }
    expect(n.calls).toEqual({ inline: 8, platform: 4 });
  });

  it('returns results in fresh ArrayBuffers of their own length', async () => {
    const result = await node().digest('SHA-256', bytes(10));
    expect(result).toBeInstanceOf(ArrayBuffer);
    expect(result.byteLength).toBe(32);
  });

  it('ECDSA P-256: each verifies the other, with non-extractable platform keys', async () => {
    const n = node();
    const keys = (await web.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    const data = bytes(300);
    const params = { name: 'ECDSA', hash: 'SHA-256' };
    const fromNode = await n.sign(params, keys.privateKey, data);
    expect(fromNode.byteLength).toBe(64); // r || s, as WebCrypto writes it
    expect(await web.verify(params, keys.publicKey, fromNode, data)).toBe(true);
    const fromWeb = await web.sign(params, keys.privateKey, data);
    expect(await n.verify(params, keys.publicKey, fromWeb, data)).toBe(true);
    expect(await n.verify(params, keys.publicKey, fromWeb, bytes(300, 8))).toBe(false);
    const altered = u8(fromWeb).slice();
    altered[10] = (altered[10] as number) ^ 1;
    expect(await n.verify(params, keys.publicKey, altered, data)).toBe(false);
    for (const length of [0, 63, 65, 72]) {
      expect(await n.verify(params, keys.publicKey, bytes(length), data)).toBe(await web.verify(params, keys.publicKey, bytes(length), data));
    }
    expect(n.calls.platform).toBe(0);
  });

  it('refuses what WebCrypto refuses, with the same errors', async () => {
    const n = node();
    const ecdsa = (await web.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    const verifyOnly = await web.importKey('spki', await web.exportKey('spki', ecdsa.publicKey), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    const params = { name: 'ECDSA', hash: 'SHA-256' };
    // A public key cannot sign; a key for ECDSA is not one for ECDH.
    expect(await failure(n.sign(params, verifyOnly, bytes(5)))).toBe(await failure(web.sign(params, verifyOnly, bytes(5))));
    const ecdh = (await n.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])) as CryptoKeyPair;
    const crossed = { name: 'ECDH', public: ecdsa.publicKey };
    const platformEcdh = (await web.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])) as CryptoKeyPair;
    expect(await failure(n.deriveBits(crossed, ecdh.privateKey, 256))).toBe(await failure(web.deriveBits(crossed, platformEcdh.privateKey, 256)));
    // Secret keys with no usages, or usages their algorithm has not.
    expect(await failure(n.importKey('raw', bytes(32), 'AES-KW', false, []))).toBe(await failure(web.importKey('raw', bytes(32), 'AES-KW', false, [])));
    expect(await failure(n.importKey('raw', bytes(32), 'AES-KW', false, ['encrypt']))).toBe(await failure(web.importKey('raw', bytes(32), 'AES-KW', false, ['encrypt'])));
    expect(await failure(n.importKey('raw', bytes(20), 'AES-GCM', false, ['encrypt']))).toBe(await failure(web.importKey('raw', bytes(20), 'AES-GCM', false, ['encrypt'])));
    expect(await failure(n.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, []))).toBe(await failure(web.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, [])));
  });

  it('ECDH P-256: the same shared secret as WebCrypto, and a point off the curve is a DataError', async () => {
    const n = node();
    const mine = (await n.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])) as CryptoKeyPair;
    expect(mine.publicKey.extractable).toBe(true);
    expect(mine.publicKey.usages).toEqual([]);
    expect(mine.privateKey.extractable).toBe(false);
    expect(mine.privateKey.algorithm).toEqual({ name: 'ECDH', namedCurve: 'P-256' });
    const theirs = (await web.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])) as CryptoKeyPair;
    const myPoint = u8((await n.exportKey('raw', mine.publicKey)) as ArrayBuffer);
    expect(myPoint.length).toBe(65);
    expect(myPoint[0]).toBe(4);
    const theirPoint = new Uint8Array(await web.exportKey('raw', theirs.publicKey));
    const theirsHere = await n.importKey('raw', theirPoint, { name: 'ECDH', namedCurve: 'P-256' }, true, []);
    const myPointThere = await web.importKey('raw', myPoint as Uint8Array<ArrayBuffer>, { name: 'ECDH', namedCurve: 'P-256' }, true, []);
    const here = u8(await n.deriveBits({ name: 'ECDH', public: theirsHere }, mine.privateKey, 256));
    const there = u8(await web.deriveBits({ name: 'ECDH', public: myPointThere }, theirs.privateKey, 256));
    expect(here).toEqual(there);
    expect(u8(await n.deriveBits({ name: 'ECDH', public: theirs.publicKey }, mine.privateKey, 128))).toEqual(here.subarray(0, 16));
    // As a certificate's key reaches it: imported from an SPKI, not extractable; still agreed on here, not on the platform.
    const spki = await web.exportKey('spki', theirs.publicKey);
    const fromCertificate = await web.importKey('spki', spki, { name: 'ECDH', namedCurve: 'P-256' }, false, []);
    expect(u8(await n.deriveBits({ name: 'ECDH', public: fromCertificate }, mine.privateKey, 256))).toEqual(here);
    expect(n.calls.platform).toBe(0);
    const offCurve = new Uint8Array(65);
    offCurve[0] = 4;
    offCurve[64] = 1;
    expect(await failure(n.importKey('raw', offCurve, { name: 'ECDH', namedCurve: 'P-256' }, false, []))).toBe('DataError');
    // A private key made non-extractable stays so: exporting it fails as in WebCrypto.
    expect(await failure(n.exportKey('pkcs8', mine.privateKey))).toBe(await failure(web.exportKey('pkcs8', theirs.privateKey)));
  });

  it('keys it makes work where the platform does the work (deriveKey, JWK export)', async () => {
    const n = node();
    const mine = (await n.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits', 'deriveKey'])) as CryptoKeyPair;
    const theirs = (await web.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits'])) as CryptoKeyPair;
    const derived = await n.deriveKey({ name: 'ECDH', public: theirs.publicKey } as AlgorithmIdentifier, mine.privateKey, { name: 'AES-GCM', length: 256 } as AlgorithmIdentifier, true, ['encrypt']);
    const bits = u8(await n.deriveBits({ name: 'ECDH', public: theirs.publicKey }, mine.privateKey, 256));
    expect(new Uint8Array(await web.exportKey('raw', derived))).toEqual(bits);
    const jwk = (await n.exportKey('jwk', mine.privateKey)) as JsonWebKey;
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256' });
    const back = await web.importKey('jwk', jwk, { name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
    expect(u8(await web.deriveBits({ name: 'ECDH', public: theirs.publicKey }, back, 256))).toEqual(bits);
  });

  it('AES-KW: the same wrapped bytes as WebCrypto; a wrong or altered unwrap fails as in WebCrypto', async () => {
    const n = node();
    const kekBytes = crypto.getRandomValues(new Uint8Array(32));
    const cekBytes = crypto.getRandomValues(new Uint8Array(32));
    const webKek = await web.importKey('raw', kekBytes, 'AES-KW', false, ['wrapKey', 'unwrapKey']);
    const nodeKek = await n.importKey('raw', kekBytes, 'AES-KW', false, ['wrapKey', 'unwrapKey']);
    const webCek = await web.importKey('raw', cekBytes, 'AES-GCM', true, ['encrypt']);
    const expected = u8(await web.wrapKey('raw', webCek, webKek, 'AES-KW'));
    expect(u8(await n.wrapKey('raw', webCek, nodeKek, 'AES-KW'))).toEqual(expected);
    const nodeCek = await n.importKey('raw', cekBytes, 'AES-GCM', true, ['encrypt']);
    expect(u8(await n.wrapKey('raw', nodeCek, nodeKek, 'AES-KW'))).toEqual(expected);
    const unwrapped = await n.unwrapKey('raw', expected as Uint8Array<ArrayBuffer>, nodeKek, 'AES-KW', 'AES-GCM', false, ['decrypt']);
    expect(unwrapped.algorithm).toEqual({ name: 'AES-GCM', length: 256 });
    expect(unwrapped.extractable).toBe(false);
    expect(n.calls.platform).toBe(0);
    // The unwrapped key decrypts what the original encrypted.
    const iv = bytes(12, 1);
    const sealed = await web.encrypt({ name: 'AES-GCM', iv }, webCek, bytes(100));
    expect(u8(await n.decrypt({ name: 'AES-GCM', iv }, unwrapped, sealed))).toEqual(bytes(100));
    const otherKek = await n.importKey('raw', crypto.getRandomValues(new Uint8Array(32)), 'AES-KW', false, ['unwrapKey']);
    const webError = await failure(web.unwrapKey('raw', expected as Uint8Array<ArrayBuffer>, await web.importKey('raw', crypto.getRandomValues(new Uint8Array(32)), 'AES-KW', false, ['unwrapKey']), 'AES-KW', 'AES-GCM', false, ['decrypt']));
    expect(webError).toBe('OperationError');
    expect(await failure(n.unwrapKey('raw', expected as Uint8Array<ArrayBuffer>, otherKek, 'AES-KW', 'AES-GCM', false, ['decrypt']))).toBe(webError);
    const altered = expected.slice();
    altered[5] = (altered[5] as number) ^ 1;
    expect(await failure(n.unwrapKey('raw', altered, nodeKek, 'AES-KW', 'AES-GCM', false, ['decrypt']))).toBe(webError);
    // A content key that is not extractable cannot be wrapped.
    const locked = await n.importKey('raw', cekBytes, 'AES-GCM', false, ['encrypt']);
    expect(await failure(n.wrapKey('raw', locked, nodeKek, 'AES-KW'))).toBe(await failure(web.wrapKey('raw', await web.importKey('raw', cekBytes, 'AES-GCM', false, ['encrypt']), webKek, 'AES-KW')));
    expect(await failure(n.exportKey('raw', locked))).toBe(await failure(web.exportKey('raw', await web.importKey('raw', cekBytes, 'AES-GCM', false, ['encrypt']))));
  });

  it('AES-GCM: the same ciphertext and tag as WebCrypto, and an altered message is an OperationError', async () => {
    const n = node();
    const raw = crypto.getRandomValues(new Uint8Array(32));
    const webKey = await web.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
    const nodeKey = await n.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const additionalData = bytes(31, 3);
    for (const params of [{ name: 'AES-GCM', iv }, { name: 'AES-GCM', iv, additionalData, tagLength: 128 }]) {
      for (const length of [0, 1, 4000]) {
        const plaintext = crypto.getRandomValues(new Uint8Array(length));
        const expected = u8(await web.encrypt(params, webKey, plaintext));
        expect(u8(await n.encrypt(params, nodeKey, plaintext))).toEqual(expected);
        expect(u8(await n.encrypt(params, webKey, plaintext))).toEqual(expected);
        expect(u8(await n.decrypt(params, nodeKey, expected as Uint8Array<ArrayBuffer>))).toEqual(plaintext);
        const altered = expected.slice();
        altered[altered.length - 1] = (altered[altered.length - 1] as number) ^ 1;
        expect(await failure(n.decrypt(params, nodeKey, altered))).toBe(await failure(web.decrypt(params, webKey, altered)));
      }
    }
    expect(await failure(n.decrypt({ name: 'AES-GCM', iv }, nodeKey, bytes(5)))).toBe(await failure(web.decrypt({ name: 'AES-GCM', iv }, webKey, bytes(5))));
  });

  it('large inputs go to the platform, runtime keys included, reading the input as it was at the call', async () => {
    const n = node();
    const key = (await n.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt'])) as CryptoKey;
    const twin = await web.importKey('raw', (await n.exportKey('raw', key)) as ArrayBuffer, 'AES-GCM', false, ['encrypt']);
    const iv = bytes(12, 2);
    const plaintext = crypto.getRandomValues(new Uint8Array(LIMIT * 4));
    const expected = u8(await web.encrypt({ name: 'AES-GCM', iv }, twin, plaintext));
    const before = n.calls.platform;
    const pending = n.encrypt({ name: 'AES-GCM', iv }, key, plaintext);
    plaintext.fill(0); // as the GCM open does with the bytes after the ciphertext
    iv.fill(0);
    expect(u8(await pending)).toEqual(expected);
    expect(n.calls.platform).toBe(before + 1);
  });

  it('installs into the slot the SDK reads, and puts back what was there', async () => {
    const { installNodeCrypto } = await import('@sealpost/sdk/node/crypto');
    const { subtle, subtleFor } = await import('../../sdk/crypto/internal/subtle.js');
    expect(subtle()).toBe(globalThis.crypto.subtle);
    const restore = installNodeCrypto(nodeCryptoRuntime(1000));
    try {
      expect(subtle()).toBeInstanceOf(NodeSubtle);
      expect(subtleFor(1000)).toBeInstanceOf(NodeSubtle);
      expect(subtleFor(1001)).toBe(globalThis.crypto.subtle);
      // Installing again (a second start-up path in one process) keeps the runtime there.
      const again = installNodeCrypto();
      expect(subtleFor(1000)).toBeInstanceOf(NodeSubtle);
      again();
    } finally {
      restore();
    }
    expect(subtle()).toBe(globalThis.crypto.subtle);
  });
});
