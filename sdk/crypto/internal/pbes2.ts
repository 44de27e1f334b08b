/**
 * PBES2 (RFC 8018 §6.2) with PBKDF2 and AES-CBC, on WebCrypto: what OpenSSL 3 writes for
 * encrypted PKCS#8 keys and for PKCS#12 bags, and what our key stores write, so that a stored
 * `key.pem` opens with `openssl pkey -in key.pem -passin …` too.
 */
import { CryptoError } from '../errors.js';
import { bs, randomBytes } from './bytes.js';
import { algorithm, children, expectTag, integer, nullValue, octetString, readOid, readRoot, readSmallInteger, sequence } from './der.js';
import type { Element } from './der.js';
import { subtle } from './subtle.js';

const PBES2 = '1.2.840.113549.1.5.13';
const PBKDF2 = '1.2.840.113549.1.5.12';
const PRF: Record<string, string> = {
  '1.2.840.113549.2.7': 'SHA-1',
  '1.2.840.113549.2.9': 'SHA-256',
  '1.2.840.113549.2.10': 'SHA-384',
  '1.2.840.113549.2.11': 'SHA-512',
};
const AES_CBC: Record<string, number> = {
  '2.16.840.1.101.3.4.1.2': 16,
  '2.16.840.1.101.3.4.1.22': 24,
  '2.16.840.1.101.3.4.1.42': 32,
};
/** PKCS#12 v1 PBE schemes (RFC 7292 Appendix C): 3DES and RC2, which OpenSSL 3 calls "legacy". */
export const LEGACY_PBE: Record<string, string> = {
  '1.2.840.113549.1.12.1.1': 'pbeWithSHAAnd128BitRC4',
  '1.2.840.113549.1.12.1.2': 'pbeWithSHAAnd40BitRC4',
  '1.2.840.113549.1.12.1.3': 'pbeWithSHAAnd3-KeyTripleDES-CBC',
  '1.2.840.113549.1.12.1.4': 'pbeWithSHAAnd2-KeyTripleDES-CBC',
  '1.2.840.113549.1.12.1.5': 'pbeWithSHAAnd128BitRC2-CBC',
  '1.2.840.113549.1.12.1.6': 'pbeWithSHAAnd40BitRC2-CBC',
};

/** Upper bound on PBKDF2 iterations we accept from a file, so a hostile file cannot stall us for hours. */
const MAX_ITERATIONS = 10_000_000;

/** Thrown for a legacy PKCS#12 PBE scheme; the caller turns it into its own error message. */
export class LegacyPbeError extends Error {
  constructor(readonly scheme: string) {
    super(`legacy PBE scheme ${scheme}`);
  }
}

async function deriveAesKey(passphrase: Uint8Array, salt: Uint8Array, iterations: number, hash: string, length: number, usage: KeyUsage): Promise<CryptoKey> {
  const base = await subtle().importKey('raw', bs(passphrase), 'PBKDF2', false, ['deriveKey']);
  return subtle().deriveKey({ name: 'PBKDF2', salt: bs(salt), iterations, hash }, base, { name: 'AES-CBC', length: length * 8 }, false, [usage]);
}

/**
 * Decrypts data protected by the AlgorithmIdentifier `scheme` (PBES2 / PBKDF2 / AES-CBC).
 * Throws {@link LegacyPbeError} for PKCS#12 v1 schemes, `ERR_CRYPTO_KEY_PASSPHRASE` when the
 * padding does not check out (a wrong passphrase, in practice).
 */
export async function pbes2Decrypt(scheme: Element, ciphertext: Uint8Array, passphrase: Uint8Array): Promise<Uint8Array> {
  const [schemeOid, params] = children(expectTag(scheme, 0x30, 'encryptionAlgorithm'), 'encryptionAlgorithm');
  const name = readOid(schemeOid, 'encryptionAlgorithm');
  if (LEGACY_PBE[name]) throw new LegacyPbeError(LEGACY_PBE[name]);
  if (name !== PBES2) throw new CryptoError('ERR_CRYPTO_KEY_MALFORMED', `unsupported key encryption ${name} (expected PBES2)`);
  const [kdf, encryption] = children(expectTag(params, 0x30, 'PBES2-params'), 'PBES2-params');
  const [kdfOid, kdfParams] = children(expectTag(kdf, 0x30, 'keyDerivationFunc'), 'keyDerivationFunc');
  if (readOid(kdfOid, 'keyDerivationFunc') !== PBKDF2) throw new CryptoError('ERR_CRYPTO_KEY_MALFORMED', 'unsupported key derivation (expected PBKDF2)');
  const kdfFields = children(expectTag(kdfParams, 0x30, 'PBKDF2-params'), 'PBKDF2-params');
  const salt = expectTag(kdfFields[0], 0x04, 'PBKDF2 salt').value;
  const iterations = readSmallInteger(kdfFields[1], 'PBKDF2 iterationCount');
  if (iterations < 1 || iterations > MAX_ITERATIONS) throw new CryptoError('ERR_CRYPTO_KEY_MALFORMED', `PBKDF2 iteration count ${iterations} out of range`);
  let hash = 'SHA-1';
  for (const field of kdfFields.slice(2)) {
    if (field.tag === 0x30) {
      const prf = readOid(children(field, 'PBKDF2 prf')[0], 'PBKDF2 prf');
      hash = PRF[prf] ?? (() => {
        throw new CryptoError('ERR_CRYPTO_KEY_MALFORMED', `unsupported PBKDF2 PRF ${prf}`);
      })();
    }
  }
  const [encOid, iv] = children(expectTag(encryption, 0x30, 'encryptionScheme'), 'encryptionScheme');
  const cipher = readOid(encOid, 'encryptionScheme');
  const length = AES_CBC[cipher];
  if (!length) throw new CryptoError('ERR_CRYPTO_KEY_MALFORMED', `unsupported PBES2 cipher ${cipher} (expected AES-CBC)`);
  const ivBytes = expectTag(iv, 0x04, 'AES-CBC iv').value;
  if (ivBytes.length !== 16) throw new CryptoError('ERR_CRYPTO_KEY_MALFORMED', 'AES-CBC iv is not 16 bytes');
  const key = await deriveAesKey(passphrase, salt, iterations, hash, length, 'decrypt');
  try {
    return new Uint8Array(await subtle().decrypt({ name: 'AES-CBC', iv: bs(ivBytes) }, key, bs(ciphertext)));
  } catch (error) {
    throw new CryptoError('ERR_CRYPTO_KEY_PASSPHRASE', 'wrong passphrase (or damaged key file)', { cause: error });
  }
}

/** Options for {@link encryptPkcs8}. */
export interface EncryptKeyOptions {
  /** PBKDF2-HMAC-SHA256 iterations. Default 600 000 (OWASP 2023 guidance for PBKDF2-SHA256). */
  iterations?: number;
}

/** Wraps a PKCS#8 key as EncryptedPrivateKeyInfo with PBES2 / PBKDF2-HMAC-SHA256 / AES-256-CBC. */
export async function encryptPkcs8(pkcs8: Uint8Array, passphrase: Uint8Array, options: EncryptKeyOptions = {}): Promise<Uint8Array> {
  const iterations = options.iterations ?? 600_000;
  if (!Number.isSafeInteger(iterations) || iterations < 1000) throw new RangeError('iterations must be an integer of at least 1000');
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = await deriveAesKey(passphrase, salt, iterations, 'SHA-256', 32, 'encrypt');
  const ciphertext = new Uint8Array(await subtle().encrypt({ name: 'AES-CBC', iv: bs(iv) }, key, bs(pkcs8)));
  const scheme = algorithm(
    PBES2,
    sequence(
      algorithm(PBKDF2, sequence(octetString(salt), integer(iterations), algorithm('1.2.840.113549.2.9', nullValue()))),
      algorithm('2.16.840.1.101.3.4.1.42', octetString(iv)),
    ),
  );
  return sequence(scheme, octetString(ciphertext));
}

/** Unwraps an EncryptedPrivateKeyInfo (RFC 5958 §3) to PKCS#8. */
export async function decryptPkcs8(encrypted: Uint8Array, passphrase: Uint8Array): Promise<Uint8Array> {
  let scheme: Element;
  let data: Element;
  try {
    const fields = children(expectTag(readRoot(encrypted, 'EncryptedPrivateKeyInfo'), 0x30, 'EncryptedPrivateKeyInfo'), 'EncryptedPrivateKeyInfo');
    scheme = expectTag(fields[0], 0x30, 'encryptionAlgorithm');
    data = expectTag(fields[1], 0x04, 'encryptedData');
  } catch (error) {
    throw new CryptoError('ERR_CRYPTO_KEY_MALFORMED', 'not an encrypted PKCS#8 private key', { cause: error });
  }
  let pkcs8: Uint8Array;
  try {
    pkcs8 = await pbes2Decrypt(scheme, data.value, passphrase);
  } catch (error) {
    if (error instanceof LegacyPbeError) throw new CryptoError('ERR_CRYPTO_KEY_MALFORMED', `the key uses the legacy scheme ${error.scheme}; re-encrypt it with \`openssl pkcs8 -topk8 -v2 aes-256-cbc\``);
    if (error instanceof CryptoError) throw error;
    throw new CryptoError('ERR_CRYPTO_KEY_MALFORMED', 'unreadable encrypted private key', { cause: error });
  }
  // A wrong passphrase passes the CBC padding check about once in 256 tries; the result is then
  // not a DER SEQUENCE, which is what we report it as.
  try {
    expectTag(readRoot(pkcs8, 'PrivateKeyInfo'), 0x30, 'PrivateKeyInfo');
  } catch {
    throw new CryptoError('ERR_CRYPTO_KEY_PASSPHRASE', 'wrong passphrase (or damaged key file)');
  }
  return pkcs8;
}
