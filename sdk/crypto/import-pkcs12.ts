import { CryptoError } from './errors.js';
import type { ImportedIdentity } from './generate-identity.js';
import { identityFromPkcs8 } from './identity.js';
import { bs, equalBytes } from './internal/bytes.js';
import { certInfo } from './internal/cert.js';
import { children, expectTag, readOctets, readOid, readRoot, readSmallInteger } from './internal/der.js';
import type { Element } from './internal/der.js';
import { DIGESTS } from './internal/oids.js';
import { encryptPkcs8, LegacyPbeError, pbes2Decrypt } from './internal/pbes2.js';
import { subtle } from './internal/subtle.js';

const OIDS = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  localKeyId: '1.2.840.113549.1.9.21',
};

/** Options for {@link importPkcs12}. */
export interface ImportPkcs12Options {
  /** Largest file accepted. Default 1 MiB (a .p12 holds a key and a few certificates). */
  maxBytes?: number;
}

/** PKCS#12 key derivation (RFC 7292 Appendix B.2), for the MAC key (ID 3). */
async function pkcs12Kdf(hash: string, password: string, salt: Uint8Array, iterations: number, id: number, length: number): Promise<Uint8Array> {
  const u = hash === 'SHA-1' ? 20 : hash === 'SHA-256' ? 32 : hash === 'SHA-384' ? 48 : 64;
  const v = hash === 'SHA-384' || hash === 'SHA-512' ? 128 : 64;
  // BMPString of the password with a two-byte terminator (RFC 7292 B.1).
  const pwd = new Uint8Array((password.length + 1) * 2);
  for (let i = 0; i < password.length; i++) {
    const code = password.charCodeAt(i);
    pwd[i * 2] = code >> 8;
    pwd[i * 2 + 1] = code & 0xff;
  }
  const fill = (input: Uint8Array): Uint8Array => {
    if (input.length === 0) return new Uint8Array(0);
    const out = new Uint8Array(v * Math.ceil(input.length / v));
    for (let i = 0; i < out.length; i++) out[i] = input[i % input.length] as number;
    return out;
  };
  const d = new Uint8Array(v).fill(id);
  const i = new Uint8Array([...fill(salt), ...fill(pwd)]);
  const out = new Uint8Array(length);
  for (let filled = 0; filled < length; filled += u) {
    let a = new Uint8Array(await subtle().digest(hash, new Uint8Array([...d, ...i])));
    for (let r = 1; r < iterations; r++) a = new Uint8Array(await subtle().digest(hash, a));
    out.set(a.subarray(0, Math.min(u, length - filled)), filled);
    const b = new Uint8Array(v);
    for (let k = 0; k < v; k++) b[k] = a[k % u] as number;
    for (let block = 0; block < i.length; block += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = (i[block + k] as number) + (b[k] as number) + carry;
        i[block + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return out;
}

function legacyError(scheme: string): CryptoError {
  return new CryptoError(
    'ERR_CRYPTO_PKCS12_LEGACY',
    `this .p12 uses the legacy ${scheme} encryption, which WebCrypto cannot decrypt. Re-export it with AES: ` +
      '`openssl pkcs12 -legacy -in old.p12 -nodes | openssl pkcs12 -export -out new.p12` (OpenSSL 3), then import new.p12',
  );
}

/**
 * Imports a PKCS#12 file (.p12/.pfx) as OpenSSL 3 and current health PKIs write it: MAC with
 * HMAC-SHA-256 (SHA-1/384/512 accepted), bags encrypted with PBES2/PBKDF2/AES-CBC. The MAC is
 * checked first (integrity, and the password). Resolves to the identity (non-extractable keys)
 * with its certificate chain and a way to re-export the key encrypted for a key store.
 *
 * Errors: `ERR_CRYPTO_PKCS12_INTEGRITY` (wrong password or altered file),
 * `ERR_CRYPTO_PKCS12_LEGACY` (3DES/RC2 file; the message gives the `openssl pkcs12 -legacy`
 * re-export command), `ERR_CRYPTO_PKCS12_MALFORMED`, `ERR_CRYPTO_PKCS12_UNSUPPORTED`.
 */
export async function importPkcs12(file: Uint8Array, password: string, options: ImportPkcs12Options = {}): Promise<ImportedIdentity> {
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  if (file.length > maxBytes) throw new CryptoError('ERR_CRYPTO_PKCS12_MALFORMED', `PKCS#12 file of ${file.length} bytes exceeds ${maxBytes}`);
  const passwordBytes = new TextEncoder().encode(password);
  let authSafe: Uint8Array;
  let macData: Element | undefined;
  try {
    const fields = children(expectTag(readRoot(file, 'PFX'), 0x30, 'PFX'), 'PFX');
    if (readSmallInteger(fields[0], 'PFX.version') !== 3) throw new Error('PFX version is not 3');
    const [type, content] = children(expectTag(fields[1], 0x30, 'authSafe'), 'authSafe');
    if (readOid(type, 'authSafe.contentType') !== OIDS.data) throw new CryptoError('ERR_CRYPTO_PKCS12_UNSUPPORTED', 'public-key integrity mode PKCS#12 is not supported');
    authSafe = readOctets(children(expectTag(content, 0xa0, 'authSafe.content'), 'authSafe.content')[0] as Element, 'authSafe');
    macData = fields[2];
  } catch (error) {
    if (error instanceof CryptoError) throw error;
    throw new CryptoError('ERR_CRYPTO_PKCS12_MALFORMED', 'not a PKCS#12 file', { cause: error });
  }
  if (!macData) throw new CryptoError('ERR_CRYPTO_PKCS12_INTEGRITY', 'the PKCS#12 file has no MAC, so its integrity cannot be checked');
  try {
    const [digestInfo, salt, iterationsElement] = children(expectTag(macData, 0x30, 'MacData'), 'MacData');
    const [algorithm, mac] = children(expectTag(digestInfo, 0x30, 'DigestInfo'), 'DigestInfo');
    const digestOid = readOid(children(expectTag(algorithm, 0x30, 'digestAlgorithm'), 'digestAlgorithm')[0], 'digestAlgorithm');
    const hash = DIGESTS[digestOid];
    if (!hash) throw new CryptoError('ERR_CRYPTO_PKCS12_UNSUPPORTED', `PKCS#12 MAC digest ${digestOid} is not supported`);
    const iterations = iterationsElement ? readSmallInteger(iterationsElement, 'MacData.iterations') : 1;
    if (iterations < 1 || iterations > 1_000_000) throw new CryptoError('ERR_CRYPTO_PKCS12_MALFORMED', `MAC iteration count ${iterations} out of range`);
    const macLength = hash === 'SHA-1' ? 20 : hash === 'SHA-256' ? 32 : hash === 'SHA-384' ? 48 : 64;
    const key = await pkcs12Kdf(hash, password, expectTag(salt, 0x04, 'macSalt').value, iterations, 3, macLength);
    const hmac = await subtle().importKey('raw', bs(key), { name: 'HMAC', hash }, false, ['verify']);
    if (!(await subtle().verify('HMAC', hmac, bs(expectTag(mac, 0x04, 'digest').value), bs(authSafe)))) {
      throw new CryptoError('ERR_CRYPTO_PKCS12_INTEGRITY', 'wrong password, or the PKCS#12 file was altered (MAC check failed)');
    }
  } catch (error) {
    if (error instanceof CryptoError) throw error;
    throw new CryptoError('ERR_CRYPTO_PKCS12_MALFORMED', 'unreadable PKCS#12 MAC', { cause: error });
  }

  const keys: { pkcs8: Uint8Array; localKeyId: Uint8Array | undefined }[] = [];
  const certs: { der: Uint8Array; localKeyId: Uint8Array | undefined }[] = [];
  try {
    for (const info of children(expectTag(readRoot(authSafe, 'AuthenticatedSafe'), 0x30, 'AuthenticatedSafe'), 'AuthenticatedSafe')) {
      const [type, content] = children(expectTag(info, 0x30, 'ContentInfo'), 'ContentInfo');
      const contentType = readOid(type, 'ContentInfo.contentType');
      const inner = children(expectTag(content, 0xa0, 'ContentInfo.content'), 'ContentInfo.content')[0] as Element;
      let safeContents: Uint8Array;
      if (contentType === OIDS.data) safeContents = readOctets(inner, 'SafeContents');
      else if (contentType === OIDS.encryptedData) {
        const [, encryptedContentInfo] = children(expectTag(inner, 0x30, 'EncryptedData'), 'EncryptedData');
        const [, scheme, encrypted] = children(expectTag(encryptedContentInfo, 0x30, 'EncryptedContentInfo'), 'EncryptedContentInfo');
        if (!encrypted || (encrypted.tag !== 0x80 && encrypted.tag !== 0xa0)) throw new Error('no encryptedContent');
        safeContents = await pbes2Decrypt(expectTag(scheme, 0x30, 'contentEncryptionAlgorithm'), readOctets(encrypted, 'encryptedContent'), passwordBytes);
      } else throw new CryptoError('ERR_CRYPTO_PKCS12_UNSUPPORTED', `PKCS#12 content type ${contentType} is not supported`);
      for (const bag of children(expectTag(readRoot(safeContents, 'SafeContents'), 0x30, 'SafeContents'), 'SafeContents')) {
        const [bagIdElement, valueWrapper, attributes] = children(expectTag(bag, 0x30, 'SafeBag'), 'SafeBag');
        const bagId = readOid(bagIdElement, 'SafeBag.bagId');
        const value = children(expectTag(valueWrapper, 0xa0, 'bagValue'), 'bagValue')[0] as Element;
        let localKeyId: Uint8Array | undefined;
        for (const attribute of attributes ? children(attributes, 'bagAttributes') : []) {
          const [attrType, attrValues] = children(attribute, 'Attribute');
          if (readOid(attrType, 'attrType') === OIDS.localKeyId) localKeyId = children(attrValues as Element, 'localKeyId')[0]?.value;
        }
        if (bagId === OIDS.keyBag) keys.push({ pkcs8: value.raw, localKeyId });
        else if (bagId === OIDS.shroudedKeyBag) {
          const [scheme, data] = children(expectTag(value, 0x30, 'EncryptedPrivateKeyInfo'), 'EncryptedPrivateKeyInfo');
          keys.push({ pkcs8: await pbes2Decrypt(scheme as Element, expectTag(data, 0x04, 'encryptedData').value, passwordBytes), localKeyId });
        } else if (bagId === OIDS.certBag) {
          const [certId, certValue] = children(expectTag(value, 0x30, 'CertBag'), 'CertBag');
          if (readOid(certId, 'certId') !== OIDS.x509Certificate) continue;
          certs.push({ der: new Uint8Array(readOctets(children(expectTag(certValue, 0xa0, 'certValue'), 'certValue')[0] as Element, 'certValue')), localKeyId });
        }
      }
    }
  } catch (error) {
    if (error instanceof LegacyPbeError) throw legacyError(error.scheme);
    if (error instanceof CryptoError && error.code === 'ERR_CRYPTO_KEY_PASSPHRASE') throw new CryptoError('ERR_CRYPTO_PKCS12_INTEGRITY', 'a PKCS#12 bag did not decrypt (wrong password or damaged file)', { cause: error });
    if (error instanceof CryptoError) throw error;
    throw new CryptoError('ERR_CRYPTO_PKCS12_MALFORMED', 'unreadable PKCS#12 contents', { cause: error });
  }
  if (keys.length !== 1) throw new CryptoError('ERR_CRYPTO_PKCS12_UNSUPPORTED', `expected one private key in the PKCS#12 file, found ${keys.length}`);
  const key = keys[0] as (typeof keys)[number];
  const leaf = certs.find((c) => key.localKeyId && c.localKeyId && equalBytes(c.localKeyId, key.localKeyId)) ?? certs.find((c) => !certInfo(c.der).isCA) ?? certs[0];
  if (!leaf) throw new CryptoError('ERR_CRYPTO_PKCS12_UNSUPPORTED', 'the PKCS#12 file holds no certificate');
  const chain = certs.filter((c) => c !== leaf).map((c) => c.der);
  const identity = await identityFromPkcs8(leaf.der, key.pkcs8, chain);
  const pkcs8 = key.pkcs8;
  return {
    identity,
    exportEncryptedKey: (passphrase, encryptOptions) => encryptPkcs8(pkcs8, new TextEncoder().encode(passphrase), encryptOptions),
  };
}
