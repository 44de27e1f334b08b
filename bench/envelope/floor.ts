/**
 * The raw WebCrypto floor: the cryptographic work any WebCrypto sign-then-encrypt envelope must do,
 * with no format at all. Seal: SHA-256 of the payload, one ECDSA P-256 signature over that digest,
 * a fresh AES-256-GCM key wrapped for each recipient (ephemeral ECDH P-256, one SHA-256 as KDF,
 * AES-KW), AES-256-GCM over the payload. Open: the recipient's unwrap (ECDH, KDF, AES-KW),
 * AES-256-GCM decryption, SHA-256 of the plaintext, one ECDSA verification. Steps run in the
 * order they depend on each other in sign-then-encrypt (the digest before the signature, the
 * decryption before the digest); the pieces are returned separately, never framed or copied.
 * Public keys are imported once, outside the timed calls.
 */
import type { Identity } from '@sealpost/sdk/crypto';
import { certInfo } from '../../sdk/crypto/internal/cert.js';

const subtle = crypto.subtle;
const SHARED_INFO = new Uint8Array(24); // stands in for ECC-CMS-SharedInfo: same hashing cost

export interface FloorSealed {
  signature: ArrayBuffer;
  wrapped: { ephemeral: ArrayBuffer; key: ArrayBuffer }[];
  iv: Uint8Array<ArrayBuffer>;
  sealed: ArrayBuffer;
}

async function kek(privateKey: CryptoKey, publicKey: CryptoKey, usage: KeyUsage): Promise<CryptoKey> {
  const z = new Uint8Array(await subtle.deriveBits({ name: 'ECDH', public: publicKey }, privateKey, 256));
  const input = new Uint8Array(z.length + 4 + SHARED_INFO.length);
  input.set(z, 0);
  input[z.length + 3] = 1;
  input.set(SHARED_INFO, z.length + 4);
  return subtle.importKey('raw', await subtle.digest('SHA-256', input), 'AES-KW', false, [usage]);
}

/** WebCrypto cannot read certificates: the SDK's reader supplies the SPKI, once, at setup. */
const spkiOf = (certificate: Uint8Array) => certInfo(certificate).spki as Uint8Array<ArrayBuffer>;

export function floorFor(sender: Identity, recipientCertificates: Uint8Array[], opener: Identity) {
  const ready = (async () => ({
    verifyKey: await subtle.importKey('spki', spkiOf(sender.certificate), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']),
    recipientKeys: await Promise.all(recipientCertificates.map((c) => subtle.importKey('spki', spkiOf(c), { name: 'ECDH', namedCurve: 'P-256' }, false, []))),
  }))();
  return {
    async seal(payload: Uint8Array<ArrayBuffer>): Promise<FloorSealed> {
      const { recipientKeys } = await ready;
      const digest = await subtle.digest('SHA-256', payload);
      const signature = await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, sender.signingKey, digest);
      const cek = await subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt']);
      const wrapped: FloorSealed['wrapped'] = [];
      for (const recipientKey of recipientKeys) {
        const ephemeral = (await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits'])) as CryptoKeyPair;
        const key = await subtle.wrapKey('raw', cek, await kek(ephemeral.privateKey, recipientKey, 'wrapKey'), 'AES-KW');
        wrapped.push({ ephemeral: await subtle.exportKey('raw', ephemeral.publicKey), key });
      }
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const sealed = await subtle.encrypt({ name: 'AES-GCM', iv, tagLength: 128 }, cek, payload);
      return { signature, wrapped, iv, sealed };
    },
    async open(message: FloorSealed): Promise<ArrayBuffer> {
      const { verifyKey } = await ready;
      const mine = message.wrapped[0] as FloorSealed['wrapped'][number];
      const ephemeral = await subtle.importKey('raw', mine.ephemeral, { name: 'ECDH', namedCurve: 'P-256' }, false, []);
      const cek = await subtle.unwrapKey('raw', mine.key, await kek(opener.decryptionKey, ephemeral, 'unwrapKey'), 'AES-KW', 'AES-GCM', false, ['decrypt']);
      const plaintext = await subtle.decrypt({ name: 'AES-GCM', iv: message.iv, tagLength: 128 }, cek, message.sealed);
      const digest = await subtle.digest('SHA-256', plaintext);
      if (!(await subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, verifyKey, message.signature, digest))) throw new Error('floor: bad signature');
      return plaintext;
    },
  };
}
