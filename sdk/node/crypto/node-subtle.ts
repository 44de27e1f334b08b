/**
 * A SubtleCrypto for Node that runs the SDK's small, frequent operations synchronously on
 * node:crypto and hands everything else to the platform's WebCrypto (docs/decisions.md D-CRYPTO-4).
 *
 * Node's WebCrypto sends every call through libuv's thread pool and re-normalises its arguments:
 * for a 300-byte digest or a P-256 signature that overhead is most of the cost. Done here
 * synchronously: SHA-1/256/384/512 digests, ECDSA P-256 sign and verify, ECDH P-256 key
 * generation and deriveBits, AES-KW wrap and unwrap of raw AES keys, AES-GCM with a 12-byte nonce
 * and a 16-byte tag, raw imports of those keys and raw exports of the ones made here.
 *
 * The rules stay WebCrypto's. A fast path is taken only when WebCrypto would accept the call
 * (algorithm, key type, usages, extractability, sizes); anything else, and any call the fast path
 * fails on (a GCM tag or key-wrap check, a point off the curve), is re-run on the platform's
 * WebCrypto, so callers see WebCrypto's own results and errors. Inputs over `maxInlineBytes` go
 * there too, so that the event loop is never blocked for long. Results are fresh ArrayBuffers, as
 * WebCrypto returns them; plaintext from a failed GCM check is zeroed before anything else runs.
 *
 * Keys are never made with `generateKeyPairSync`/`generateKeySync`. Node 20 deadlocks (a thread
 * waits for ever on a mutex it holds) when a key made by a key-generation job is exported as a
 * JWK and the garbage collection that the export's allocation triggers finalises that very job:
 * the job's destructor takes the key's mutex, which the export holds (seen as a hung import
 * pipeline, gdb: ExportJWKEcKey → GC → ~KeyGenJob<EcKeyGenTraits> → uv_mutex_lock). Ephemeral
 * ECDH keys come from `createECDH` (raw point and agreement without a KeyObject; one is imported
 * from the coordinates only if needed) and AES keys from random bytes.
 */
import { createCipheriv, createDecipheriv, createECDH, createHash, createPrivateKey, createPublicKey, createSecretKey, diffieHellman, randomBytes, sign as signSync, verify as verifySync } from 'node:crypto';
import type { CipherGCMTypes, KeyObject } from 'node:crypto';
import { agreementOf, curveOf, fits, keyObjectOf, NodeCryptoKey, platformKey, pointOf, setAgreement, setPoint } from './node-keys.js';

const HASHES: Record<string, string> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
/** RFC 3394 §2.2.3.1 default initial value. */
const KW_IV = Uint8Array.from([0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6]);
const AES_USAGES: Record<string, readonly KeyUsage[]> = { 'AES-GCM': ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'], 'AES-KW': ['wrapKey', 'unwrapKey'] };
const ECDH_PRIVATE_USAGES: readonly KeyUsage[] = ['deriveBits', 'deriveKey'];

/** WebCrypto matches algorithm names case-insensitively; every name handled here is upper case. */
function nameOf(algorithm: unknown): string | undefined {
  const name = typeof algorithm === 'string' ? algorithm : (algorithm as { name?: unknown } | null | undefined)?.name;
  return typeof name === 'string' ? name.toUpperCase() : undefined;
}

const isArrayBuffer = (value: unknown): value is ArrayBuffer => Object.prototype.toString.call(value) === '[object ArrayBuffer]';

/** A view of a BufferSource backed by an ArrayBuffer, or undefined (left to WebCrypto to refuse). */
function bytesOf(data: unknown): Uint8Array | undefined {
  if (ArrayBuffer.isView(data)) return isArrayBuffer(data.buffer) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : undefined;
  return isArrayBuffer(data) ? new Uint8Array(data) : undefined;
}

/** A fresh ArrayBuffer holding `parts` (node:crypto may hand out views of shared pools). */
function arrayBuffer(...parts: Uint8Array[]): ArrayBuffer {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out.buffer;
}

const base64Url = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64url');

const usagesWithin = (usages: readonly KeyUsage[], allowed: readonly KeyUsage[]): boolean => usages.length > 0 && usages.every((usage) => allowed.includes(usage));

/** The 12-byte nonce and optional AAD of AES-GCM parameters with a 128-bit tag, or undefined. */
function gcmParams(algorithm: unknown): { iv: Uint8Array; aad: Uint8Array | undefined } | undefined {
  if (nameOf(algorithm) !== 'AES-GCM') return undefined;
  const params = algorithm as AesGcmParams;
  if (params.tagLength !== undefined && params.tagLength !== 128) return undefined;
  const iv = bytesOf(params.iv);
  const aad = params.additionalData === undefined ? undefined : bytesOf(params.additionalData);
  if (!iv || iv.length !== 12 || (params.additionalData !== undefined && !aad)) return undefined;
  return { iv, aad };
}

/** The raw bytes of an extractable AES key (runtime or platform), or undefined. The caller zeroes them. */
function extractableSecret(key: CryptoKey): Uint8Array | undefined {
  if (key.type !== 'secret' || !key.extractable || !key.algorithm.name.startsWith('AES-')) return undefined;
  return keyObjectOf(key)?.export();
}

export class NodeSubtle {
  readonly #platform: SubtleCrypto;
  readonly #maxInlineBytes: number;
  /** Calls done here and calls handed to the platform (tests check the fast paths are taken). */
  readonly calls = { inline: 0, platform: 0 };

  constructor(platform: SubtleCrypto, maxInlineBytes: number) {
    this.#platform = platform;
    this.#maxInlineBytes = maxInlineBytes;
  }

  /** Small enough to work on synchronously. */
  #inline(bytes: Uint8Array | undefined): bytes is Uint8Array {
    return bytes !== undefined && bytes.length <= this.#maxInlineBytes;
  }

  /**
   * Runs `call` on the platform's WebCrypto. With platform keys only, now (WebCrypto copies its
   * input when called, and callers such as the GCM open rely on that). Runtime keys are imported
   * there first, so the data is copied now, while the caller's bytes are as they were at the call.
   */
  #platformCall<T>(keys: CryptoKey[], data: unknown[], call: (keys: CryptoKey[], data: unknown[]) => Promise<T>): Promise<T> {
    this.calls.platform++;
    if (!keys.some((key) => key instanceof NodeCryptoKey)) return call(keys, data);
    const copies = data.map((item) => bytesOf(item)?.slice() ?? item);
    return Promise.all(keys.map((key) => platformKey(key, this.#platform))).then((platformKeys) => call(platformKeys, copies));
  }

  async digest(algorithm: AlgorithmIdentifier, data: BufferSource): Promise<ArrayBuffer> {
    const hash = HASHES[nameOf(algorithm) ?? ''];
    const bytes = bytesOf(data);
    if (hash && this.#inline(bytes)) {
      this.calls.inline++;
      return arrayBuffer(createHash(hash).update(bytes).digest());
    }
    this.calls.platform++;
    return this.#platform.digest(algorithm, data);
  }

  async sign(algorithm: AlgorithmIdentifier | EcdsaParams, key: CryptoKey, data: BufferSource): Promise<ArrayBuffer> {
    const bytes = bytesOf(data);
    const hash = HASHES[nameOf((algorithm as EcdsaParams).hash) ?? ''];
    const handle = nameOf(algorithm) === 'ECDSA' && hash && this.#inline(bytes) && fits(key, 'ECDSA', 'private', 'sign') && curveOf(key) === 'P-256' ? keyObjectOf(key) : undefined;
    if (handle) {
      try {
        const signature = signSync(hash as string, bytes as Uint8Array, { key: handle, dsaEncoding: 'ieee-p1363' });
        this.calls.inline++;
        return arrayBuffer(signature);
      } catch {
        // WebCrypto below says what is wrong
      }
    }
    return this.#platformCall([key], [data], ([k], [d]) => this.#platform.sign(algorithm, k as CryptoKey, d as BufferSource));
  }

  async verify(algorithm: AlgorithmIdentifier | EcdsaParams, key: CryptoKey, signature: BufferSource, data: BufferSource): Promise<boolean> {
    const bytes = bytesOf(data);
    const signatureBytes = bytesOf(signature);
    const hash = HASHES[nameOf((algorithm as EcdsaParams).hash) ?? ''];
    const handle = nameOf(algorithm) === 'ECDSA' && hash && signatureBytes && this.#inline(bytes) && fits(key, 'ECDSA', 'public', 'verify') && curveOf(key) === 'P-256' ? keyObjectOf(key) : undefined;
    if (handle) {
      // WebCrypto: a signature that is not r || s of the curve's size is false, not an error.
      if ((signatureBytes as Uint8Array).length !== 64) {
        this.calls.inline++;
        return false;
      }
      try {
        const ok = verifySync(hash as string, bytes as Uint8Array, { key: handle, dsaEncoding: 'ieee-p1363' }, signatureBytes as Uint8Array);
        this.calls.inline++;
        return ok;
      } catch {
        // WebCrypto below decides
      }
    }
    return this.#platformCall([key], [signature, data], ([k], [s, d]) => this.#platform.verify(algorithm, k as CryptoKey, s as BufferSource, d as BufferSource));
  }

  async generateKey(algorithm: AlgorithmIdentifier | EcKeyGenParams | AesKeyGenParams, extractable: boolean, usages: KeyUsage[]): Promise<CryptoKey | CryptoKeyPair> {
    const name = nameOf(algorithm);
    if (name === 'ECDH' && (algorithm as EcKeyGenParams).namedCurve === 'P-256' && usagesWithin(usages, ECDH_PRIVATE_USAGES)) {
      const ecdh = createECDH('prime256v1');
      const point = new Uint8Array(ecdh.generateKeys());
      const x = base64Url(point.subarray(1, 33));
      const y = base64Url(point.subarray(33));
      const ecAlgorithm = { name: 'ECDH', namedCurve: 'P-256' };
      // WebCrypto: the public half is always extractable and has no usages.
      const publicKey = new NodeCryptoKey(() => createPublicKey({ key: { kty: 'EC', crv: 'P-256', x, y }, format: 'jwk' }), 'public', true, ecAlgorithm, []);
      const privateKey = new NodeCryptoKey(() => createPrivateKey({ key: { kty: 'EC', crv: 'P-256', x, y, d: ecdh.getPrivateKey('base64url') }, format: 'jwk' }), 'private', extractable, ecAlgorithm, usages);
      setPoint(publicKey, point);
      setAgreement(privateKey, ecdh);
      this.calls.inline++;
      return { publicKey, privateKey };
    }
    const length = (algorithm as AesKeyGenParams).length;
    if (name === 'AES-GCM' && (length === 128 || length === 192 || length === 256) && usagesWithin(usages, AES_USAGES['AES-GCM'] as KeyUsage[])) {
      const material = randomBytes(length / 8);
      const handle = createSecretKey(material);
      material.fill(0);
      this.calls.inline++;
      return new NodeCryptoKey(handle, 'secret', extractable, { name, length } as AesKeyAlgorithm, usages);
    }
    this.calls.platform++;
    return this.#platform.generateKey(algorithm as AlgorithmIdentifier, extractable, usages);
  }

  async deriveBits(algorithm: AlgorithmIdentifier | EcdhKeyDeriveParams, baseKey: CryptoKey, length?: number | null): Promise<ArrayBuffer> {
    const publicKey = (algorithm as EcdhKeyDeriveParams).public;
    const bytes = length === undefined || length === null ? 32 : length / 8;
    if (nameOf(algorithm) === 'ECDH' && publicKey && Number.isInteger(bytes) && bytes > 0 && bytes <= 32 && fits(baseKey, 'ECDH', 'private', 'deriveBits') && fits(publicKey, 'ECDH', 'public') && curveOf(baseKey) === 'P-256' && curveOf(publicKey) === 'P-256') {
      const agreement = agreementOf(baseKey);
      if (agreement) {
        // An ephemeral key of ours: agree on the peer's point (a platform key's is exported once, off this thread).
        const point = await pointOf(publicKey, this.#platform);
        if (point) {
          try {
            const shared = agreement.computeSecret(point);
            const out = arrayBuffer(shared.subarray(0, bytes));
            shared.fill(0);
            this.calls.inline++;
            return out;
          } catch {
            // WebCrypto below says what is wrong
          }
        }
      } else {
        const privateHandle = keyObjectOf(baseKey);
        const publicHandle = keyObjectOf(publicKey);
        if (privateHandle && publicHandle) {
          try {
            const shared = diffieHellman({ privateKey: privateHandle, publicKey: publicHandle });
            const out = arrayBuffer(shared.subarray(0, bytes));
            shared.fill(0);
            this.calls.inline++;
            return out;
          } catch {
            // WebCrypto below says what is wrong
          }
        }
      }
    }
    const keys = publicKey ? [baseKey, publicKey] : [baseKey];
    return this.#platformCall(keys, [], ([base, pub]) => this.#platform.deriveBits(pub ? { ...(algorithm as EcdhKeyDeriveParams), public: pub } : algorithm, base as CryptoKey, length as number));
  }

  async importKey(format: KeyFormat, keyData: BufferSource | JsonWebKey, algorithm: AlgorithmIdentifier | EcKeyImportParams, extractable: boolean, usages: KeyUsage[]): Promise<CryptoKey> {
    const name = nameOf(algorithm);
    const bytes = format === 'raw' ? bytesOf(keyData) : undefined;
    if (bytes && name === 'ECDH' && (algorithm as EcKeyImportParams).namedCurve === 'P-256' && bytes.length === 65 && bytes[0] === 0x04 && usages.length === 0) {
      try {
        // As a JWK: half the cost of parsing an SPKI here. OpenSSL checks that the point is on the curve, as WebCrypto does.
        const handle = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: base64Url(bytes.subarray(1, 33)), y: base64Url(bytes.subarray(33)) }, format: 'jwk' });
        const key = new NodeCryptoKey(handle, 'public', extractable, { name: 'ECDH', namedCurve: 'P-256' } as EcKeyAlgorithm, []);
        setPoint(key, bytes.slice());
        this.calls.inline++;
        return key;
      } catch {
        // WebCrypto below refuses it with its own error
      }
    } else if (bytes && name && AES_USAGES[name] && (bytes.length === 16 || bytes.length === 24 || bytes.length === 32) && usagesWithin(usages, AES_USAGES[name] as KeyUsage[])) {
      this.calls.inline++;
      return new NodeCryptoKey(createSecretKey(bytes), 'secret', extractable, { name, length: bytes.length * 8 } as AesKeyAlgorithm, usages);
    }
    this.calls.platform++;
    return this.#platform.importKey(format as 'raw', keyData as BufferSource, algorithm, extractable, usages);
  }

  async exportKey(format: KeyFormat, key: CryptoKey): Promise<ArrayBuffer | JsonWebKey> {
    if (format === 'raw' && key instanceof NodeCryptoKey && key.extractable) {
      if (key.type === 'public' && key.algorithm.name === 'ECDH') {
        // Every runtime ECDH public key has its point recorded (a JWK export of a generated key can deadlock: see above).
        const point = pointOf(key, this.#platform) as Uint8Array | undefined;
        if (point) {
          this.calls.inline++;
          return arrayBuffer(point);
        }
      }
      if (key.type === 'secret') {
        const raw = (keyObjectOf(key) as KeyObject).export();
        const out = arrayBuffer(raw);
        raw.fill(0);
        this.calls.inline++;
        return out;
      }
    }
    return this.#platformCall([key], [], ([k]) => this.#platform.exportKey(format as 'raw', k as CryptoKey));
  }

  async wrapKey(format: KeyFormat, key: CryptoKey, wrappingKey: CryptoKey, wrapAlgorithm: AlgorithmIdentifier): Promise<ArrayBuffer> {
    const kek = format === 'raw' && nameOf(wrapAlgorithm) === 'AES-KW' && fits(wrappingKey, 'AES-KW', 'secret', 'wrapKey') ? keyObjectOf(wrappingKey) : undefined;
    const raw = kek ? extractableSecret(key) : undefined;
    if (kek && raw) {
      try {
        if (raw.length >= 16 && raw.length % 8 === 0) {
          const cipher = createCipheriv(`id-aes${(kek.symmetricKeySize as number) * 8}-wrap`, kek, KW_IV);
          const wrapped = arrayBuffer(cipher.update(raw), cipher.final());
          this.calls.inline++;
          return wrapped;
        }
      } catch {
        // WebCrypto below
      } finally {
        raw.fill(0);
      }
    }
    return this.#platformCall([key, wrappingKey], [], ([k, w]) => this.#platform.wrapKey(format as 'raw', k as CryptoKey, w as CryptoKey, wrapAlgorithm));
  }

  async unwrapKey(
    format: KeyFormat,
    wrappedKey: BufferSource,
    unwrappingKey: CryptoKey,
    unwrapAlgorithm: AlgorithmIdentifier,
    unwrappedKeyAlgorithm: AlgorithmIdentifier,
    extractable: boolean,
    usages: KeyUsage[],
  ): Promise<CryptoKey> {
    const wrapped = bytesOf(wrappedKey);
    const name = nameOf(unwrappedKeyAlgorithm);
    const kek =
      format === 'raw' && wrapped && wrapped.length >= 24 && wrapped.length % 8 === 0 && nameOf(unwrapAlgorithm) === 'AES-KW' && fits(unwrappingKey, 'AES-KW', 'secret', 'unwrapKey') && name && AES_USAGES[name] && usagesWithin(usages, AES_USAGES[name] as KeyUsage[])
        ? keyObjectOf(unwrappingKey)
        : undefined;
    if (kek) {
      let raw: Buffer | undefined;
      try {
        const decipher = createDecipheriv(`id-aes${(kek.symmetricKeySize as number) * 8}-wrap`, kek, KW_IV);
        raw = Buffer.concat([decipher.update(wrapped as Uint8Array), decipher.final()]);
        if (raw.length === 16 || raw.length === 24 || raw.length === 32) {
          this.calls.inline++;
          return new NodeCryptoKey(createSecretKey(raw), 'secret', extractable, { name, length: raw.length * 8 } as AesKeyAlgorithm, usages);
        }
      } catch {
        // A failed integrity check (wrong key, altered input): WebCrypto below says so its own way.
      } finally {
        raw?.fill(0);
      }
    }
    return this.#platformCall([unwrappingKey], [wrappedKey], ([k], [w]) => this.#platform.unwrapKey(format as 'raw', w as BufferSource, k as CryptoKey, unwrapAlgorithm, unwrappedKeyAlgorithm, extractable, usages));
  }

  async encrypt(algorithm: AlgorithmIdentifier | AesGcmParams, key: CryptoKey, data: BufferSource): Promise<ArrayBuffer> {
    const gcm = gcmParams(algorithm);
    const bytes = bytesOf(data);
    const handle = gcm && this.#inline(bytes) && fits(key, 'AES-GCM', 'secret', 'encrypt') ? keyObjectOf(key) : undefined;
    if (handle && gcm) {
      try {
        const cipher = createCipheriv(`aes-${(handle.symmetricKeySize as number) * 8}-gcm` as CipherGCMTypes, handle, gcm.iv, { authTagLength: 16 });
        if (gcm.aad) cipher.setAAD(gcm.aad);
        const ciphertext = cipher.update(bytes as Uint8Array);
        cipher.final();
        this.calls.inline++;
        return arrayBuffer(ciphertext, cipher.getAuthTag());
      } catch {
        // WebCrypto below
      }
    }
    const params = key instanceof NodeCryptoKey ? copiedParams(algorithm) : algorithm;
    return this.#platformCall([key], [data], ([k], [d]) => this.#platform.encrypt(params, k as CryptoKey, d as BufferSource));
  }

  async decrypt(algorithm: AlgorithmIdentifier | AesGcmParams, key: CryptoKey, data: BufferSource): Promise<ArrayBuffer> {
    const gcm = gcmParams(algorithm);
    const bytes = bytesOf(data);
    const handle = gcm && this.#inline(bytes) && (bytes as Uint8Array).length >= 16 && fits(key, 'AES-GCM', 'secret', 'decrypt') ? keyObjectOf(key) : undefined;
    if (handle && gcm && bytes) {
      const split = bytes.length - 16;
      let plaintext: Buffer | undefined;
      try {
        const decipher = createDecipheriv(`aes-${(handle.symmetricKeySize as number) * 8}-gcm` as CipherGCMTypes, handle, gcm.iv, { authTagLength: 16 });
        decipher.setAuthTag(bytes.subarray(split));
        if (gcm.aad) decipher.setAAD(gcm.aad);
        plaintext = decipher.update(bytes.subarray(0, split));
        decipher.final(); // throws when the tag does not match
        const out = arrayBuffer(plaintext);
        plaintext.fill(0);
        this.calls.inline++;
        return out;
      } catch {
        // Unauthenticated plaintext never leaves; WebCrypto below gives its OperationError.
        plaintext?.fill(0);
      }
    }
    const params = key instanceof NodeCryptoKey ? copiedParams(algorithm) : algorithm;
    return this.#platformCall([key], [data], ([k], [d]) => this.#platform.decrypt(params, k as CryptoKey, d as BufferSource));
  }

  async deriveKey(algorithm: AlgorithmIdentifier, baseKey: CryptoKey, derivedKeyType: AlgorithmIdentifier, extractable: boolean, usages: KeyUsage[]): Promise<CryptoKey> {
    const publicKey = (algorithm as Partial<EcdhKeyDeriveParams>).public;
    const keys = publicKey ? [baseKey, publicKey] : [baseKey];
    return this.#platformCall(keys, [], ([base, pub]) => this.#platform.deriveKey(pub ? { ...(algorithm as EcdhKeyDeriveParams), public: pub } : algorithm, base as CryptoKey, derivedKeyType, extractable, usages));
  }
}

/**
 * For a call that waits for a key import: the parameters with their nonce and AAD copied as they
 * are at the call (what WebCrypto copies when called).
 */
function copiedParams(algorithm: AlgorithmIdentifier | AesGcmParams): AlgorithmIdentifier | AesGcmParams {
  if (typeof algorithm === 'string') return algorithm;
  const params = { ...(algorithm as AesGcmParams) };
  const iv = bytesOf(params.iv);
  if (iv) params.iv = iv.slice() as Uint8Array<ArrayBuffer>;
  const aad = params.additionalData === undefined ? undefined : bytesOf(params.additionalData);
  if (aad) params.additionalData = aad.slice() as Uint8Array<ArrayBuffer>;
  return params;
}
