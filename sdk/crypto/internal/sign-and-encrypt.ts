/**
 * Sign then encrypt, written into one buffer: ContentInfo(AuthEnvelopedData(ContentInfo(SignedData))).
 *
 * Why this shape (bench/envelope/README.md has the measurements): at 50 MB every copy of the
 * payload into fresh memory costs about as much as the AES-GCM pass itself, because the kernel
 * maps and zeroes each new page on first touch. WebCrypto already makes three fresh 50 MB buffers
 * (its copy of the digest input, its copy of the encryption input, the ciphertext), and so does
 * any WebCrypto envelope. Sealpost adds one: the message itself. Every length is known before
 * encrypting (GCM ciphertext = plaintext length; the signature's longest DER form is known), so
 * the payload is copied once, straight to where the SignedData sits inside the message buffer;
 * the plaintext SignedData is encrypted from there, and the ciphertext is copied back over it
 * (memory already touched, and no plaintext copy of the payload is left behind).
 */
import { bs, randomBytes } from './bytes.js';
import { signWith } from './cert.js';
import { authEnvelopedHead, MAC_FIELD_LENGTH, recipientInfosFor } from './auth-enveloped-data.js';
import { OID } from './oids.js';
import { maxSignatureLength, signedAttributesFor, signedDataLayout } from './signed-data.js';
import type { SignedDataInput, SignedDataLayout } from './signed-data.js';
import { subtle, subtleFor } from './subtle.js';

export interface SignAndEncryptInput extends SignedDataInput {
  /** Recipient certificates (DER). */
  recipients: Uint8Array[];
  /** A random UKM in each KeyAgreeRecipientInfo. */
  ukm: boolean;
  /**
   * The content is a view the caller lets us build the message around and encrypt over (a slot
   * from `allocatePayload`): the bytes of its buffer before and after the view are ours to write.
   * Used when they are enough for the message around the content; otherwise the content is copied.
   */
  inPlace?: boolean;
}

export interface SignedAndEncrypted {
  /** DER ContentInfo(AuthEnvelopedData). */
  envelope: Uint8Array;
  /** The signature value (receipts bind to it). */
  signature: Uint8Array;
  /** The signed attributes as signed (DER SET OF). */
  signedAttributes: Uint8Array;
}

interface Plan {
  head: Uint8Array;
  /** Length of ContentInfo(SignedData), which is also the ciphertext length. */
  signedLength: number;
  /** Where the eContent starts in the message. */
  contentOffset: number;
  total: number;
}

export async function signAndEncrypt(input: SignAndEncryptInput): Promise<SignedAndEncrypted> {
  const { content, signer } = input;
  const contentLength = content.length + (input.padding ?? 0);
  // Without padding, the payload is hashed as given while it is copied into place: WebCrypto takes
  // its own copy when called and hashes off the main thread.
  const early = contentLength === content.length ? subtle().digest('SHA-256', bs(content)) : undefined;
  early?.catch(() => undefined); // awaited below; this only keeps an early throw from leaving it unhandled
  // Planned with the longest signature the key can make: the real one is at most that long, and
  // every DER length (so every header) of the real message is at most the planned one.
  const plannedLayout = signedDataLayout(input, signedAttributesFor(input, new Uint8Array(32)), new Uint8Array(maxSignatureLength(signer.signingKey)));
  // The content key is made and used by one implementation, chosen by the size of what it encrypts (subtle.ts).
  const webCrypto = subtleFor(plannedLayout.prefix.length + contentLength + plannedLayout.suffix.length);
  const cek = await webCrypto.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt']);
  const nonce = randomBytes(12);
  const recipientInfos = await recipientInfosFor(cek, input.recipients, { ukm: input.ukm });
  const plan = (layout: SignedDataLayout): Plan => {
    const signedLength = layout.prefix.length + contentLength + layout.suffix.length;
    const head = authEnvelopedHead(OID.data, nonce, recipientInfos, signedLength);
    return { head, signedLength, contentOffset: head.length + layout.prefix.length, total: head.length + signedLength + MAC_FIELD_LENGTH };
  };
  const planned = plan(plannedLayout);
  const room = input.inPlace ? { before: content.byteOffset, after: content.buffer.byteLength - content.byteOffset - content.length } : undefined;
  if (room && room.before >= planned.contentOffset && room.after >= planned.total - planned.contentOffset - content.length) {
    return sealInPlace(input, content, contentLength, early, plan, webCrypto, cek, nonce);
  }
  let buffer = new Uint8Array(planned.total);
  buffer.set(content, planned.contentOffset); // the one copy of the payload; padding stays zero
  const digest = new Uint8Array(await (early ?? subtle().digest('SHA-256', bs(buffer.subarray(planned.contentOffset, planned.contentOffset + contentLength)))));
  const signedAttributes = signedAttributesFor(input, digest);
  const signature = await signWith(signer.signingKey, signedAttributes);
  const layout = signedDataLayout(input, signedAttributes, signature);
  const actual = plan(layout);
  if (actual.total > buffer.length) {
    // Cannot happen with maxSignatureLength; kept so a wrong estimate costs a copy, not a bad message.
    const larger = new Uint8Array(actual.total);
    larger.set(buffer.subarray(planned.contentOffset, planned.contentOffset + contentLength), actual.contentOffset);
    buffer = larger;
  } else if (actual.contentOffset !== planned.contentOffset) {
    // A shorter signature moved a length across a DER length-octet boundary (rare): shift in place.
    buffer.copyWithin(actual.contentOffset, planned.contentOffset, planned.contentOffset + contentLength);
  }
  return encryptLaidOut(buffer.subarray(0, actual.total), actual, layout, contentLength, webCrypto, cek, nonce, signature, signedAttributes);
}

/**
 * The message built around the caller's slot: the payload is not copied at all. Its bytes are
 * hashed and encrypted where they are, the SignedData prefix and the CMS head are written into the
 * room before it, the rest of the SignedData into the room after it, and the ciphertext replaces
 * the plaintext, so the slot's buffer ends up holding the envelope (and no plaintext).
 */
async function sealInPlace(input: SignAndEncryptInput, content: Uint8Array, contentLength: number, early: Promise<ArrayBuffer> | undefined, plan: (layout: SignedDataLayout) => Plan, webCrypto: SubtleCrypto, cek: CryptoKey, nonce: Uint8Array): Promise<SignedAndEncrypted> {
  const whole = new Uint8Array(content.buffer, 0, content.buffer.byteLength);
  const at = content.byteOffset;
  // Padding is zeros inside the eContent: written into the room after the payload, then hashed with it.
  whole.fill(0, at + content.length, at + contentLength);
  const digest = new Uint8Array(await (early ?? subtle().digest('SHA-256', bs(whole.subarray(at, at + contentLength)))));
  const signedAttributes = signedAttributesFor(input, digest);
  const signature = await signWith(input.signer.signingKey, signedAttributes);
  const layout = signedDataLayout(input, signedAttributes, signature);
  const actual = plan(layout);
  // contentOffset counts from the start of the message: where the message starts in the slot follows.
  const start = at - actual.contentOffset;
  return encryptLaidOut(whole.subarray(start, start + actual.total), actual, layout, contentLength, webCrypto, cek, nonce, signature, signedAttributes);
}

/** Writes head, SignedData prefix and suffix around the content already in `envelope`, encrypts the SignedData and puts the ciphertext and tag in place. */
async function encryptLaidOut(envelope: Uint8Array, actual: Plan, layout: SignedDataLayout, contentLength: number, webCrypto: SubtleCrypto, cek: CryptoKey, nonce: Uint8Array, signature: Uint8Array, signedAttributes: Uint8Array): Promise<SignedAndEncrypted> {
  const plainStart = actual.head.length;
  const plainEnd = plainStart + actual.signedLength;
  envelope.set(actual.head, 0);
  envelope.set(layout.prefix, plainStart);
  envelope.set(layout.suffix, actual.contentOffset + contentLength);
  const sealed = new Uint8Array(await webCrypto.encrypt({ name: 'AES-GCM', iv: bs(nonce), tagLength: 128 }, cek, bs(envelope.subarray(plainStart, plainEnd))));
  envelope.set(sealed.subarray(0, actual.signedLength), plainStart);
  envelope[plainEnd] = 0x04;
  envelope[plainEnd + 1] = 0x10;
  envelope.set(sealed.subarray(actual.signedLength), plainEnd + 2);
  return { envelope, signature, signedAttributes };
}
