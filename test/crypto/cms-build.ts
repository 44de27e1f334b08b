/**
 * Builds CMS pieces separately, for tests that alter the inner SignedData before encrypting it
 * (the SDK itself only writes both in one pass, sdk/crypto/internal/sign-and-encrypt.ts).
 */
import { authEnvelopedHead, recipientInfosFor } from '../../sdk/crypto/internal/auth-enveloped-data.js';
import { signWith } from '../../sdk/crypto/internal/cert.js';
import { concat } from '../../sdk/crypto/internal/der.js';
import { OID } from '../../sdk/crypto/internal/oids.js';
import { signedAttributesFor, signedDataLayout } from '../../sdk/crypto/internal/signed-data.js';
import type { SignedDataInput } from '../../sdk/crypto/internal/signed-data.js';

/** DER ContentInfo(SignedData) over `input.content`. */
export async function buildSignedData(input: SignedDataInput): Promise<Uint8Array> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', input.content as Uint8Array<ArrayBuffer>));
  const signedAttributes = signedAttributesFor(input, digest);
  const layout = signedDataLayout(input, signedAttributes, await signWith(input.signer.signingKey, signedAttributes));
  return concat(layout.prefix, input.content, new Uint8Array(input.padding ?? 0), layout.suffix);
}

/** DER ContentInfo(AuthEnvelopedData) of `plaintext` (a content of type `contentType`) to `recipients`. */
export async function encryptAuthEnveloped(plaintext: Uint8Array, recipients: Uint8Array[], contentType: string = OID.data): Promise<Uint8Array> {
  const cek = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt']);
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, tagLength: 128 }, cek, plaintext as Uint8Array<ArrayBuffer>));
  const ciphertext = sealed.subarray(0, plaintext.length);
  return concat(authEnvelopedHead(contentType, nonce, await recipientInfosFor(cek, recipients), plaintext.length), ciphertext, Uint8Array.of(0x04, 0x10), sealed.subarray(plaintext.length));
}
