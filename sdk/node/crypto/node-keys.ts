/**
 * Keys for the Node crypto runtime: a node:crypto KeyObject behind the CryptoKey interface.
 *
 * The runtime makes its own keys only where the SDK makes short-lived ones (ephemeral ECDH pairs,
 * key-encryption keys, content-encryption keys of small messages); identity and certificate keys
 * stay the platform's CryptoKeys, which are read through `KeyObject.from` (it works on
 * non-extractable keys too) and remembered per key. A runtime key that has to reach the
 * platform's WebCrypto (an operation the runtime leaves to it) is imported there once, with its
 * own algorithm, extractability and usages, so WebCrypto applies its own rules to it.
 */
import { KeyObject } from 'node:crypto';
import type { ECDH } from 'node:crypto';

/** Every key's KeyObject: runtime keys from birth (or when first needed), platform CryptoKeys on first use. */
const handles = new WeakMap<CryptoKey, KeyObject>();
/** How a runtime key makes its KeyObject when it was born without one. */
const makers = new WeakMap<CryptoKey, () => KeyObject>();
const platformTwins = new WeakMap<CryptoKey, Promise<CryptoKey>>();
/** Uncompressed P-256 points of ECDH public keys (runtime keys from birth, platform keys once exported). */
const points = new WeakMap<CryptoKey, Uint8Array | Promise<Uint8Array | undefined>>();
/** The `ECDH` object behind an ephemeral private key the runtime generated. */
const agreements = new WeakMap<CryptoKey, ECDH>();

/** A key made by the Node runtime. Not a platform CryptoKey: only the runtime's SubtleCrypto takes it. */
export class NodeCryptoKey implements CryptoKey {
  readonly type: KeyType;
  readonly extractable: boolean;
  readonly algorithm: KeyAlgorithm;
  readonly usages: KeyUsage[];

  /** `handle` is the key's KeyObject, or a function that makes it when it is first needed. */
  constructor(handle: KeyObject | (() => KeyObject), type: KeyType, extractable: boolean, algorithm: KeyAlgorithm, usages: readonly KeyUsage[]) {
    this.type = type;
    this.extractable = extractable;
    this.algorithm = Object.freeze({ ...algorithm });
    this.usages = [...new Set(usages)];
    if (typeof handle === 'function') makers.set(this, handle);
    else handles.set(this, handle);
    Object.freeze(this);
  }
}

/** Records the uncompressed point of a runtime ECDH public key. */
export function setPoint(key: NodeCryptoKey, point: Uint8Array): void {
  points.set(key, point);
}

/** Records the `ECDH` object of a runtime ECDH private key. */
export function setAgreement(key: NodeCryptoKey, ecdh: ECDH): void {
  agreements.set(key, ecdh);
}

/** The `ECDH` object of an ephemeral private key the runtime generated, or undefined. */
export function agreementOf(key: CryptoKey): ECDH | undefined {
  return agreements.get(key);
}

/**
 * The uncompressed point of an ECDH P-256 public key: recorded for runtime keys; for a platform
 * CryptoKey found once and remembered. An extractable one (a generated key's public half always
 * is) is exported through the platform, whose export job runs off this thread; a non-extractable
 * one can only have been imported (WebCrypto makes every generated public key extractable), so no
 * key-generation job shares its mutex and its KeyObject's JWK is safe to read here. Undefined when
 * it cannot be had.
 */
export function pointOf(key: CryptoKey, platform: SubtleCrypto): Uint8Array | Promise<Uint8Array | undefined> | undefined {
  const known = points.get(key);
  if (known || key instanceof NodeCryptoKey) return known;
  if (!key.extractable) {
    const jwk = keyObjectOf(key)?.export({ format: 'jwk' });
    if (!jwk?.x || !jwk.y) return undefined;
    const point = new Uint8Array(65);
    point[0] = 0x04;
    point.set(coordinate(jwk.x), 1);
    point.set(coordinate(jwk.y), 33);
    points.set(key, point);
    return point;
  }
  const exported = platform.exportKey('raw', key).then(
    (raw) => {
      const point = new Uint8Array(raw);
      points.set(key, point);
      return point;
    },
    () => undefined,
  );
  points.set(key, exported);
  return exported;
}

/** A P-256 JWK coordinate as 32 bytes (left-padded, should an encoder drop leading zeros). */
function coordinate(value: string): Uint8Array {
  const bytes = Buffer.from(value, 'base64url');
  if (bytes.length > 32) throw new RangeError('P-256 coordinate longer than 32 bytes');
  const out = new Uint8Array(32);
  out.set(bytes, 32 - bytes.length);
  return out;
}

/** The KeyObject of a runtime key or a platform CryptoKey; undefined for anything else. */
export function keyObjectOf(key: CryptoKey): KeyObject | undefined {
  let handle = handles.get(key);
  if (handle) return handle;
  const make = makers.get(key);
  if (make) {
    handle = make();
    handles.set(key, handle);
    return handle;
  }
  try {
    handle = KeyObject.from(key);
  } catch {
    return undefined; // not a CryptoKey of this realm: the platform's WebCrypto decides what to say
  }
  handles.set(key, handle);
  return handle;
}

/** True when `key` has the algorithm, type and usage an operation needs. */
export function fits(key: CryptoKey, name: string, type: KeyType, usage?: KeyUsage): boolean {
  return key.algorithm.name === name && key.type === type && (usage === undefined || key.usages.includes(usage));
}

/** The named curve of an EC key, or undefined. */
export function curveOf(key: CryptoKey): string | undefined {
  return (key.algorithm as Partial<EcKeyAlgorithm>).namedCurve;
}

/**
 * `key` as a platform CryptoKey: itself, or for a runtime key the platform's import of the same
 * material with the same algorithm, extractability and usages (once per key). The material passes
 * through a buffer of ours that is zeroed after the import.
 */
export function platformKey(key: CryptoKey, platform: SubtleCrypto): Promise<CryptoKey> {
  if (!(key instanceof NodeCryptoKey)) return Promise.resolve(key);
  let twin = platformTwins.get(key);
  if (!twin) {
    twin = importTwin(key, keyObjectOf(key) as KeyObject, platform);
    platformTwins.set(key, twin);
  }
  return twin;
}

async function importTwin(key: NodeCryptoKey, handle: KeyObject, platform: SubtleCrypto): Promise<CryptoKey> {
  const algorithm = key.algorithm.name.startsWith('AES') ? key.algorithm.name : { ...key.algorithm };
  if (key.type === 'public') {
    return platform.importKey('spki', handle.export({ type: 'spki', format: 'der' }), algorithm as EcKeyImportParams, key.extractable, key.usages);
  }
  const material = key.type === 'secret' ? handle.export() : handle.export({ type: 'pkcs8', format: 'der' });
  try {
    return await platform.importKey(key.type === 'secret' ? 'raw' : 'pkcs8', material, algorithm as EcKeyImportParams, key.extractable, key.usages);
  } finally {
    material.fill(0);
  }
}
