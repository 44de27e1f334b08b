/**
 * CMS AuthEnvelopedData (RFC 5083) with AES-GCM (RFC 5084), recipients by
 * - KeyTransRecipientInfo with RSAES-OAEP, SHA-256 and MGF1-SHA-256 (RFC 8017, RFC 4055), and
 * - KeyAgreeRecipientInfo with dhSinglePass-stdDH-sha256kdf-scheme and AES-256 key wrap (RFC 5753,
 *   RFC 3394): one ephemeral P-256 originator key per message, shared by every P-256 recipient in
 *   one KeyAgreeRecipientInfo with a RecipientEncryptedKey each (RFC 5753 §3.1.1 allows several).
 *   Reading, one KARI per recipient (as OpenSSL writes it) and several keys in one are both taken.
 *
 * pkijs 4.0.0 traps this avoids: its "AES-GCM EnvelopedData" is not RFC 5083 (so we write
 * AuthEnvelopedData ourselves); its ECDH KARI without UKM puts an empty entityUInfo into the KDF
 * input and derives the wrong key (PKI.js issue #335: here entityUInfo is left out unless a UKM is
 * really present, RFC 5753 §7.2); and `addRecipientByCertificate` defaults to SHA-512.
 */
import { EnvelopeError } from '../errors.js';
import type { Identity } from '../identity.js';
import { bs, equalBytes, randomBytes } from './bytes.js';
import { certInfo, importCertKey } from './cert.js';
import type { CertInfo } from './cert.js';
import { algorithm, bitString, children, concat, contextConstructed, expectTag, header, integer, octetString, oid, readOctets, readOid, readSmallInteger, sequence, tlv } from './der.js';
import type { Element, ReadLimits } from './der.js';
import { OID } from './oids.js';
import { subtle, subtleFor } from './subtle.js';

const KDF_HASH: Record<string, string> = {
  [OID.stdDhSha1Kdf]: 'SHA-1',
  [OID.stdDhSha256Kdf]: 'SHA-256',
  [OID.stdDhSha384Kdf]: 'SHA-384',
  [OID.stdDhSha512Kdf]: 'SHA-512',
};
const WRAP_LENGTH: Record<string, number> = { [OID.aes128Wrap]: 16, [OID.aes192Wrap]: 24, [OID.aes256Wrap]: 32 };
const GCM_LENGTH: Record<string, number> = { [OID.aes128Gcm]: 16, [OID.aes192Gcm]: 24, [OID.aes256Gcm]: 32 };

/** ECC-CMS-SharedInfo (RFC 5753 §7.2): entityUInfo only when a UKM is present (PKI.js #335). */
function sharedInfo(wrapAlgorithm: string, keyBytes: number, ukm: Uint8Array | undefined): Uint8Array {
  const bits = keyBytes * 8;
  const suppPubInfo = contextConstructed(2, octetString(Uint8Array.of(bits >>> 24, (bits >>> 16) & 0xff, (bits >>> 8) & 0xff, bits & 0xff)));
  return ukm ? sequence(algorithm(wrapAlgorithm), contextConstructed(0, octetString(ukm)), suppPubInfo) : sequence(algorithm(wrapAlgorithm), suppPubInfo);
}

/** ANSI X9.63 KDF (SEC 1 §3.6.1) with WebCrypto digests. */
async function x963Kdf(webCrypto: SubtleCrypto, hash: string, z: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let filled = 0;
  for (let counter = 1; filled < length; counter++) {
    const input = new Uint8Array(z.length + 4 + info.length);
    input.set(z, 0);
    input.set(Uint8Array.of(counter >>> 24, (counter >>> 16) & 0xff, (counter >>> 8) & 0xff, counter & 0xff), z.length);
    input.set(info, z.length + 4);
    const block = new Uint8Array(await webCrypto.digest(hash, input));
    out.set(block.subarray(0, Math.min(block.length, length - filled)), filled);
    filled += block.length;
  }
  return out;
}

async function deriveKek(webCrypto: SubtleCrypto, hash: string, privateKey: CryptoKey, publicKey: CryptoKey, wrapAlgorithm: string, ukm: Uint8Array | undefined, usage: KeyUsage): Promise<CryptoKey> {
  const keyBytes = WRAP_LENGTH[wrapAlgorithm] as number;
  const z = new Uint8Array(await webCrypto.deriveBits({ name: 'ECDH', public: publicKey }, privateKey, 256));
  const kek = await x963Kdf(webCrypto, hash, z, sharedInfo(wrapAlgorithm, keyBytes, ukm), keyBytes);
  return webCrypto.importKey('raw', bs(kek), 'AES-KW', false, [usage]);
}

const OAEP_PARAMS = sequence(contextConstructed(0, algorithm(OID.sha256)), contextConstructed(1, algorithm(OID.mgf1, algorithm(OID.sha256))));

async function keyTransRecipient(recipient: CertInfo, cek: CryptoKey): Promise<Uint8Array> {
  const publicKey = await importCertKey(recipient, 'encrypt');
  const raw = new Uint8Array(await subtle().exportKey('raw', cek));
  const encryptedKey = new Uint8Array(await subtle().encrypt({ name: 'RSA-OAEP' }, publicKey, raw));
  return sequence(integer(0), recipient.issuerAndSerial, algorithm(OID.rsaesOaep, OAEP_PARAMS), octetString(encryptedKey));
}

/**
 * One KeyAgreeRecipientInfo for `recipients` (all on P-256): one ephemeral key, one UKM if asked,
 * and for each recipient its own shared secret, KEK and wrapped content key. Each recipient can
 * compute only its own secret, so sharing the originator key gives nothing away, and saves a key
 * generation and a point export per further recipient (a receipt goes to the sender and back to
 * the practice).
 */
async function keyAgreeRecipients(recipients: CertInfo[], cek: CryptoKey, withUkm: boolean): Promise<Uint8Array> {
  const ephemeral = (await subtle().generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits'])) as CryptoKeyPair;
  const ukm = withUkm ? randomBytes(32) : undefined;
  const encryptedKeys: Uint8Array[] = [];
  for (const recipient of recipients) {
    const recipientKey = await importCertKey(recipient, 'agree');
    const kek = await deriveKek(subtle(), 'SHA-256', ephemeral.privateKey, recipientKey, OID.aes256Wrap, ukm, 'wrapKey');
    const wrapped = new Uint8Array(await subtle().wrapKey('raw', cek, kek, 'AES-KW'));
    encryptedKeys.push(sequence(recipient.issuerAndSerial, octetString(wrapped)));
  }
  const originatorPoint = new Uint8Array(await subtle().exportKey('raw', ephemeral.publicKey));
  // RFC 5753 §7.1.1: originatorKey with id-ecPublicKey and absent parameters, as OpenSSL writes it.
  const originator = contextConstructed(0, contextConstructed(1, algorithm(OID.ecPublicKey), bitString(originatorPoint)));
  const keyEncryption = algorithm(OID.stdDhSha256Kdf, algorithm(OID.aes256Wrap));
  return contextConstructed(1, integer(3), originator, ...(ukm ? [contextConstructed(1, octetString(ukm))] : []), keyEncryption, sequence(...encryptedKeys));
}

export interface EncryptOptions {
  /** Put a random 32-byte UKM into each KeyAgreeRecipientInfo. Default false. */
  ukm?: boolean;
}

/**
 * `RecipientInfos` (the DER SET) giving `cek` to every recipient certificate. `cek` may come from
 * the platform's WebCrypto or an installed runtime: `subtle()` takes both (subtle.ts).
 */
export async function recipientInfosFor(cek: CryptoKey, recipients: Uint8Array[], options: EncryptOptions = {}): Promise<Uint8Array> {
  const infos: (Uint8Array | CertInfo[])[] = [];
  // Every P-256 recipient joins one KeyAgreeRecipientInfo, placed where the first of them was.
  // A key on another curve keeps one of its own, as before (key agreement is P-256 only).
  let sharedAgreement: CertInfo[] | undefined;
  for (const der of recipients) {
    const recipient = certInfo(der);
    if (recipient.kind === 'rsa') infos.push(await keyTransRecipient(recipient, cek));
    else if ((recipient.curve ?? 'P-256') !== 'P-256') infos.push([recipient]);
    else if (sharedAgreement) sharedAgreement.push(recipient);
    else infos.push((sharedAgreement = [recipient]));
  }
  for (const [index, info] of infos.entries()) if (Array.isArray(info)) infos[index] = await keyAgreeRecipients(info, cek, options.ukm ?? false);
  // RecipientInfos is a SET OF; DER wants it sorted, but RFC 5652 readers accept any order and we keep the caller's.
  return tlv(0x31, ...(infos as Uint8Array[]));
}

/** Bytes of the `mac` field after the ciphertext: OCTET STRING header and the 16-byte GCM tag. */
export const MAC_FIELD_LENGTH = 18;

/**
 * The bytes of ContentInfo(AuthEnvelopedData) before the ciphertext, for AES-256-GCM with `nonce`
 * and a ciphertext of `ciphertextLength` bytes. The whole message is this head, the ciphertext,
 * then `04 10` and the tag ({@link MAC_FIELD_LENGTH} bytes): knowing every length before
 * encrypting lets the caller lay the message out in one buffer.
 */
export function authEnvelopedHead(contentType: string, nonce: Uint8Array, recipientInfos: Uint8Array, ciphertextLength: number): Uint8Array {
  const contentEncryption = algorithm(OID.aes256Gcm, sequence(octetString(nonce), integer(16)));
  const typeOid = oid(contentType);
  const ciphertextHeader = header(0x80, ciphertextLength);
  const encryptedContentLength = typeOid.length + contentEncryption.length + ciphertextHeader.length + ciphertextLength;
  const encryptedContentHeader = header(0x30, encryptedContentLength);
  const version = integer(0);
  const authEnvelopedLength = version.length + recipientInfos.length + encryptedContentHeader.length + encryptedContentLength + MAC_FIELD_LENGTH;
  const authEnvelopedHeader = header(0x30, authEnvelopedLength);
  const explicitHeader = header(0xa0, authEnvelopedHeader.length + authEnvelopedLength);
  const outerOid = oid(OID.authEnvelopedData);
  const contentInfoHeader = header(0x30, outerOid.length + explicitHeader.length + authEnvelopedHeader.length + authEnvelopedLength);
  return concat(contentInfoHeader, outerOid, explicitHeader, authEnvelopedHeader, version, recipientInfos, encryptedContentHeader, typeOid, contentEncryption, ciphertextHeader);
}

function ridMatches(rid: Element | undefined, me: CertInfo): boolean {
  if (!rid) return false;
  if (rid.tag === 0x30) return equalBytes(rid.raw, me.issuerAndSerial);
  // subjectKeyIdentifier [0] IMPLICIT (KTRI) or rKeyId [0] IMPLICIT RecipientKeyIdentifier (KARI).
  if (rid.tag === 0x80) return !!me.subjectKeyId && equalBytes(rid.value, me.subjectKeyId);
  if (rid.tag === 0xa0) {
    const [ski] = children(rid, 'rKeyId');
    return !!me.subjectKeyId && equalBytes(expectTag(ski, 0x04, 'rKeyId.subjectKeyIdentifier').value, me.subjectKeyId);
  }
  return false;
}

async function unwrapKeyTrans(webCrypto: SubtleCrypto, info: Element, me: CertInfo, identity: Identity, limits: ReadLimits): Promise<CryptoKey | undefined> {
  const fields = children(info, 'KeyTransRecipientInfo', limits);
  const version = readSmallInteger(fields[0], 'KeyTransRecipientInfo.version');
  if (version !== 0 && version !== 2) throw new EnvelopeError('malformed', `KeyTransRecipientInfo.version ${version}`);
  if (!ridMatches(fields[1], me)) return undefined;
  const [algOid, params] = children(expectTag(fields[2], 0x30, 'keyEncryptionAlgorithm'), 'keyEncryptionAlgorithm', limits);
  const alg = readOid(algOid, 'keyEncryptionAlgorithm');
  if (alg === OID.rsaEncryption) throw new EnvelopeError('unsupported', 'PKCS#1 v1.5 key transport is refused (Bleichenbacher); the sender must use RSAES-OAEP with SHA-256');
  if (alg !== OID.rsaesOaep) throw new EnvelopeError('unsupported', `key transport algorithm ${alg} is not supported`);
  let hash: string = OID.sha1;
  let mgfHash: string = OID.sha1;
  for (const param of params ? children(expectTag(params, 0x30, 'RSAES-OAEP-params'), 'RSAES-OAEP-params', limits) : []) {
    if (param.tag === 0xa0) hash = readOid(children(expectTag(children(param, 'hashFunc')[0], 0x30, 'hashFunc'), 'hashFunc')[0], 'hashFunc');
    else if (param.tag === 0xa1) {
      const [mgf, mgfParams] = children(expectTag(children(param, 'maskGenFunc')[0], 0x30, 'maskGenFunc'), 'maskGenFunc');
      if (readOid(mgf, 'maskGenFunc') !== OID.mgf1) throw new EnvelopeError('unsupported', 'RSAES-OAEP mask generation other than MGF1');
      mgfHash = readOid(children(expectTag(mgfParams, 0x30, 'MGF1 hash'), 'MGF1 hash')[0], 'MGF1 hash');
    } else if (param.tag === 0xa2) throw new EnvelopeError('unsupported', 'RSAES-OAEP with a label (pSourceFunc) is not supported');
    else throw new EnvelopeError('malformed', `unexpected RSAES-OAEP parameter tag 0x${param.tag.toString(16)}`);
  }
  if (hash !== OID.sha256 || mgfHash !== OID.sha256) throw new EnvelopeError('unsupported', 'RSAES-OAEP must use SHA-256 and MGF1-SHA-256');
  const encryptedKey = expectTag(fields[3], 0x04, 'encryptedKey').value;
  if (identity.decryptionKey.algorithm.name !== 'RSA-OAEP') return undefined;
  try {
    const raw = new Uint8Array(await webCrypto.decrypt({ name: 'RSA-OAEP' }, identity.decryptionKey, bs(encryptedKey)));
    return await importCek(webCrypto, raw);
  } catch (error) {
    throw new EnvelopeError('decrypt', 'the content-encryption key could not be decrypted', { cause: error });
  }
}

function importCek(webCrypto: SubtleCrypto, raw: Uint8Array): Promise<CryptoKey> {
  if (raw.length !== 16 && raw.length !== 24 && raw.length !== 32) throw new EnvelopeError('decrypt', 'the content-encryption key has the wrong length');
  return webCrypto.importKey('raw', bs(raw), 'AES-GCM', false, ['decrypt']);
}

async function unwrapKeyAgree(webCrypto: SubtleCrypto, info: Element, me: CertInfo, identity: Identity, limits: ReadLimits): Promise<CryptoKey | undefined> {
  const fields = children(info, 'KeyAgreeRecipientInfo', limits);
  if (readSmallInteger(fields[0], 'KeyAgreeRecipientInfo.version') !== 3) throw new EnvelopeError('malformed', 'KeyAgreeRecipientInfo.version is not 3');
  let index = 1;
  const originatorWrapper = expectTag(fields[index++], 0xa0, 'originator');
  let ukm: Uint8Array | undefined;
  if (fields[index]?.tag === 0xa1) ukm = expectTag(children(fields[index++] as Element, 'ukm')[0], 0x04, 'ukm').value;
  const [kdfOid, wrapAlgorithm] = children(expectTag(fields[index++], 0x30, 'keyEncryptionAlgorithm'), 'keyEncryptionAlgorithm', limits);
  const recipientKeys = children(expectTag(fields[index], 0x30, 'recipientEncryptedKeys'), 'recipientEncryptedKeys', limits);
  let wrapped: Uint8Array | undefined;
  for (const entry of recipientKeys) {
    const [rid, key] = children(expectTag(entry, 0x30, 'RecipientEncryptedKey'), 'RecipientEncryptedKey', limits);
    if (ridMatches(rid, me)) wrapped = expectTag(key, 0x04, 'encryptedKey').value;
  }
  if (!wrapped) return undefined;
  const kdf = readOid(kdfOid, 'keyEncryptionAlgorithm');
  const hash = KDF_HASH[kdf];
  if (!hash) throw new EnvelopeError('unsupported', `key agreement scheme ${kdf} is not supported (expected dhSinglePass-stdDH-sha256kdf-scheme)`);
  const wrapOid = readOid(children(expectTag(wrapAlgorithm, 0x30, 'KeyWrapAlgorithm'), 'KeyWrapAlgorithm')[0], 'KeyWrapAlgorithm');
  if (!WRAP_LENGTH[wrapOid]) throw new EnvelopeError('unsupported', `key wrap algorithm ${wrapOid} is not supported`);
  const [originator] = children(originatorWrapper, 'originator');
  if (!originator || originator.tag !== 0xa1) throw new EnvelopeError('unsupported', 'only an ephemeral originatorKey is supported in KeyAgreeRecipientInfo');
  const [originatorAlgorithm, point] = children(originator, 'originatorKey');
  if (readOid(children(expectTag(originatorAlgorithm, 0x30, 'originatorKey.algorithm'), 'originatorKey.algorithm')[0], 'originatorKey.algorithm') !== OID.ecPublicKey) {
    throw new EnvelopeError('unsupported', 'originatorKey is not an EC public key');
  }
  const pointBytes = expectTag(point, 0x03, 'originatorKey.publicKey').value.subarray(1);
  if (identity.decryptionKey.algorithm.name !== 'ECDH') return undefined;
  try {
    const originatorKey = await webCrypto.importKey('raw', bs(pointBytes), { name: 'ECDH', namedCurve: 'P-256' }, false, []);
    const kek = await deriveKek(webCrypto, hash, identity.decryptionKey, originatorKey, wrapOid, ukm, 'unwrapKey');
    return await webCrypto.unwrapKey('raw', bs(wrapped), kek, 'AES-KW', 'AES-GCM', false, ['decrypt']);
  } catch (error) {
    throw new EnvelopeError('decrypt', 'the content-encryption key could not be unwrapped', { cause: error });
  }
}

/** Decrypts ContentInfo(AuthEnvelopedData) for `identity`; returns the content type and plaintext. */
export async function decryptAuthEnveloped(root: Element, identity: Identity, limits: ReadLimits): Promise<{ contentType: string; plaintext: Uint8Array }> {
  const [type, explicit] = children(expectTag(root, 0x30, 'ContentInfo'), 'ContentInfo', limits);
  const outerType = readOid(type, 'ContentInfo.contentType');
  if (outerType === OID.envelopedData) throw new EnvelopeError('unsupported', 'EnvelopedData (no authentication) is refused; the sender must use AuthEnvelopedData with AES-GCM');
  if (outerType !== OID.authEnvelopedData) throw new EnvelopeError('malformed', `not an AuthEnvelopedData message (content type ${outerType})`);
  const [body] = children(expectTag(explicit, 0xa0, 'ContentInfo.content'), 'ContentInfo.content', limits);
  const fields = children(expectTag(body, 0x30, 'AuthEnvelopedData'), 'AuthEnvelopedData', limits);
  if (readSmallInteger(fields[0], 'AuthEnvelopedData.version') !== 0) throw new EnvelopeError('malformed', 'AuthEnvelopedData.version is not 0');
  let index = 1;
  if (fields[index]?.tag === 0xa0) index++; // originatorInfo
  const recipientInfos = children(expectTag(fields[index++], 0x31, 'recipientInfos'), 'recipientInfos', limits);
  const encryptedContentInfo = children(expectTag(fields[index++], 0x30, 'authEncryptedContentInfo'), 'authEncryptedContentInfo', limits);
  let aad = new Uint8Array(0);
  if (fields[index]?.tag === 0xa1) {
    // RFC 5083 §2.1: the AAD is the DER of authAttrs with the SET OF tag.
    aad = new Uint8Array((fields[index++] as Element).raw);
    aad[0] = 0x31;
  }
  const mac = expectTag(fields[index], 0x04, 'mac').value;

  const contentType = readOid(encryptedContentInfo[0], 'contentType');
  const [algOid, gcmParams] = children(expectTag(encryptedContentInfo[1], 0x30, 'contentEncryptionAlgorithm'), 'contentEncryptionAlgorithm', limits);
  const contentAlgorithm = readOid(algOid, 'contentEncryptionAlgorithm');
  if (!GCM_LENGTH[contentAlgorithm]) throw new EnvelopeError('unsupported', `content encryption ${contentAlgorithm} is not AES-GCM`);
  const gcm = children(expectTag(gcmParams, 0x30, 'GCMParameters'), 'GCMParameters', limits);
  const nonce = expectTag(gcm[0], 0x04, 'aes-nonce').value;
  const icvLength = gcm[1] ? readSmallInteger(gcm[1], 'aes-ICVlen') : 12;
  // A 12-byte nonce is the only length GCM uses directly (NIST SP 800-38D §8.2); other lengths go
  // through GHASH and are refused, as is any tag shorter than 16 bytes.
  if (nonce.length !== 12) throw new EnvelopeError('unsupported', `AES-GCM nonce of ${nonce.length} bytes (only 12 is accepted)`);
  if (icvLength !== 16 || mac.length !== 16) throw new EnvelopeError('unsupported', `AES-GCM tag of ${mac.length} bytes (ICVlen ${icvLength}; only 16 is accepted)`);
  const encrypted = encryptedContentInfo[2];
  if (!encrypted || (encrypted.tag !== 0x80 && encrypted.tag !== 0xa0)) throw new EnvelopeError('malformed', 'no encryptedContent');
  // Segments (BER streaming) are joined into a new array with room for the tag after it.
  const ciphertext = readOctets(encrypted, 'encryptedContent', limits, 16);

  const me = certInfo(identity.certificate);
  // One implementation for every key this message's content key meets: a runtime's own keys are
  // not the platform's (subtle.ts), and a large message is the platform's from start to end.
  const webCrypto = subtleFor(ciphertext.length);
  let cek: CryptoKey | undefined;
  let failure: unknown;
  for (const info of recipientInfos) {
    try {
      if (info.tag === 0x30) cek = await unwrapKeyTrans(webCrypto, info, me, identity, limits);
      else if (info.tag === 0xa1) cek = await unwrapKeyAgree(webCrypto, info, me, identity, limits);
    } catch (error) {
      if (error instanceof EnvelopeError && error.reason !== 'decrypt') throw error;
      failure = error;
    }
    if (cek) break;
  }
  if (!cek) {
    if (failure) throw failure;
    throw new EnvelopeError('decrypt', `the message is not encrypted to '${me.subject}'`);
  }
  if ((cek.algorithm as AesKeyAlgorithm).length / 8 !== GCM_LENGTH[contentAlgorithm]) throw new EnvelopeError('decrypt', 'the content-encryption key does not match the content algorithm');
  try {
    const plaintext = new Uint8Array(await decryptGcm(webCrypto, cek, { name: 'AES-GCM', iv: bs(nonce), additionalData: bs(aad), tagLength: 128 }, ciphertext, mac, root.raw));
    return { contentType, plaintext };
  } catch (error) {
    throw new EnvelopeError('decrypt', 'AES-GCM authentication failed: the message was altered or damaged', { cause: error });
  }
}

const isPlainArrayBuffer = (buffer: ArrayBufferLike): boolean => Object.prototype.toString.call(buffer) === '[object ArrayBuffer]';

/**
 * AES-GCM decryption of `ciphertext` with the separate `mac`, without copying the ciphertext.
 *
 * WebCrypto wants ciphertext and tag in one buffer; in CMS the 16 bytes after the ciphertext are
 * the mac's `04 10` header and 14 bytes of the tag. Copying a 50 MB ciphertext only to append the
 * tag costs as much as the decryption's own input copy, so the tag is written over those 16 bytes
 * of the envelope, decrypt() is called, and the bytes are put back before anything else runs.
 * WebCrypto takes its copy of the input when the method is called, before it returns the promise
 * (WebCrypto spec, "get a copy of the bytes held by the data parameter", step 2 of decrypt()), so
 * the envelope the caller sees never changes. Never on a SharedArrayBuffer, which other threads
 * can read meanwhile (WebCrypto refuses views on one anyway). A runtime that read its input late would see the restored bytes and fail
 * authentication, never accept altered data; that failure is retried on a joined copy.
 * A ciphertext joined from BER segments (`owned` memory, 16 spare bytes after it) takes the tag
 * in place.
 */
async function decryptGcm(webCrypto: SubtleCrypto, key: CryptoKey, params: AesGcmParams, ciphertext: Uint8Array, mac: Uint8Array, envelope: Uint8Array): Promise<ArrayBuffer> {
  const tag = mac.slice();
  const end = ciphertext.byteOffset + ciphertext.length;
  if (ciphertext.buffer !== envelope.buffer) {
    // readOctets joined segments into a new array of ours with the 16 spare bytes.
    const joined = new Uint8Array(ciphertext.buffer, ciphertext.byteOffset, ciphertext.length + 16);
    joined.set(tag, ciphertext.length);
    return webCrypto.decrypt(params, key, bs(joined));
  }
  if (isPlainArrayBuffer(envelope.buffer) && ciphertext.byteOffset >= envelope.byteOffset && end + 16 <= envelope.byteOffset + envelope.length) {
    const sealed = new Uint8Array(ciphertext.buffer, ciphertext.byteOffset, ciphertext.length + 16);
    const saved = sealed.slice(ciphertext.length);
    sealed.set(tag, ciphertext.length);
    let pending: Promise<ArrayBuffer>;
    try {
      pending = webCrypto.decrypt(params, key, bs(sealed));
    } finally {
      sealed.set(saved, ciphertext.length);
    }
    try {
      return await pending;
    } catch {
      // Altered data, or a runtime that copies late: the joined copy below decides.
    }
  }
  const joined = new Uint8Array(ciphertext.length + 16);
  joined.set(ciphertext, 0);
  joined.set(tag, ciphertext.length);
  return webCrypto.decrypt(params, key, joined);
}

