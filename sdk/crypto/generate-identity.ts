import type { Identity } from './identity.js';
import { importIdentityKeys } from './internal/keys.js';
import { encryptPkcs8 } from './internal/pbes2.js';
import type { EncryptKeyOptions } from './internal/pbes2.js';
import { buildCertificate, buildCsr, buildName, certInfo, KeyUsage, keyIdentifier } from './internal/cert.js';
import { randomBytes } from './internal/bytes.js';
import { subtle } from './internal/subtle.js';

/** Key algorithm of a new identity. */
export type IdentityAlgorithm = 'P-256' | 'RSA-2048' | 'RSA-3072';

/** Options for {@link generateIdentity}. */
export interface GenerateIdentityOptions {
  /** Sealpost address (e-mail form), written as the rfc822Name subjectAltName. Required for end entities. */
  address?: string;
  /** Display name, used as the subject commonName. */
  name: string;
  /** Default `'P-256'`. */
  algorithm?: IdentityAlgorithm;
  /** Issue the certificate from this CA identity instead of self-signing. */
  issuer?: Identity;
  /** Start of validity. Default: now minus 5 minutes (clock skew). */
  notBefore?: Date;
  /** Validity in days. Default 365 (3650 for a CA). */
  validityDays?: number;
  /** Make a CA certificate (basicConstraints cA, keyCertSign/cRLSign). Default false. */
  ca?: boolean;
  /** Override the end-entity keyUsage flags (tests of refused usages). Default per key type. */
  keyUsage?: number;
  /** Override extendedKeyUsage OIDs. Default emailProtection for end entities, none for CAs. */
  extendedKeyUsage?: string[];
}

/** An identity whose private key is still at hand once, to be exported encrypted into a key store. */
export interface ImportedIdentity {
  identity: Identity;
  /**
   * The private key as PKCS#8 EncryptedPrivateKeyInfo (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC;
   * `openssl pkey` reads it). The only way the key leaves the generator.
   */
  exportEncryptedKey: (passphrase: string, options?: EncryptKeyOptions) => Promise<Uint8Array>;
}

/** A freshly generated identity with its CSR and a way to export the key encrypted. */
export interface GeneratedIdentity extends ImportedIdentity {
  /** PKCS#10 certificate request (DER), for a real CA. */
  csr: Uint8Array;
}

const EMAIL_PROTECTION = '1.3.6.1.5.5.7.3.4';

/**
 * Generates a key pair (P-256 by default, RSA-2048/3072 on request) and a certificate for it:
 * self-signed, or issued by `options.issuer` (a development CA from {@link createDevCa}). End-entity
 * certificates get keyUsage digitalSignature + nonRepudiation + keyAgreement (EC) or
 * keyEncipherment (RSA), extendedKeyUsage emailProtection and the address as rfc822Name, which is
 * what `openssl cms` checks for S/MIME signing and encryption. Throws TypeError for an end entity
 * without address.
 *
 * @example
 * const ca = await createDevCa({ name: 'Dev CA' });
 * const { identity } = await generateIdentity({ name: 'Dr Jane Citizen', address: 'jane@gp.example', issuer: ca.identity });
 */
export async function generateIdentity(options: GenerateIdentityOptions): Promise<GeneratedIdentity> {
  const algorithmName = options.algorithm ?? 'P-256';
  const ca = options.ca ?? false;
  if (!ca && !options.address) throw new TypeError('generateIdentity: an end-entity identity needs an address');
  if (algorithmName !== 'P-256' && algorithmName !== 'RSA-2048' && algorithmName !== 'RSA-3072') throw new TypeError(`generateIdentity: unknown algorithm '${String(algorithmName)}'`);
  const params: RsaHashedKeyGenParams | EcKeyGenParams =
    algorithmName === 'P-256'
      ? { name: 'ECDSA', namedCurve: 'P-256' }
      : { name: 'RSASSA-PKCS1-v1_5', modulusLength: algorithmName === 'RSA-3072' ? 3072 : 2048, publicExponent: Uint8Array.of(1, 0, 1), hash: 'SHA-256' };
  const keys = (await subtle().generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair;
  const spki = new Uint8Array(await subtle().exportKey('spki', keys.publicKey));
  const pkcs8 = new Uint8Array(await subtle().exportKey('pkcs8', keys.privateKey));
  const imported = await importIdentityKeys(pkcs8, false);

  const notBefore = options.notBefore ?? new Date(Date.now() - 5 * 60_000);
  const days = options.validityDays ?? (ca ? 3650 : 365);
  const notAfter = new Date(notBefore.getTime() + days * 86_400_000);
  const subject = buildName(options.name, options.address);
  // Positive 128-bit serial (RFC 5280 §4.1.2.2 allows up to 20 octets).
  const serial = randomBytes(16);
  serial[0] = ((serial[0] as number) & 0x7f) | 0x01;
  const defaultUsage = ca
    ? KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature
    : KeyUsage.digitalSignature | KeyUsage.nonRepudiation | (algorithmName === 'P-256' ? KeyUsage.keyAgreement : KeyUsage.keyEncipherment);
  const eku = options.extendedKeyUsage ?? (ca ? undefined : [EMAIL_PROTECTION]);
  const issuerInfo = options.issuer ? certInfo(options.issuer.certificate) : undefined;
  const certificate = await buildCertificate(
    {
      serial,
      issuer: issuerInfo ? issuerInfo.subjectName : subject,
      subject,
      notBefore,
      notAfter,
      spki,
      ca,
      keyUsage: options.keyUsage ?? defaultUsage,
      ...(eku ? { extendedKeyUsage: eku } : {}),
      ...(options.address ? { email: options.address } : {}),
      authorityKeyId: issuerInfo ? (issuerInfo.subjectKeyId ?? (await keyIdentifier(issuerInfo.spki))) : await keyIdentifier(spki),
    },
    options.issuer ? options.issuer.signingKey : imported.signingKey,
  );
  const csr = await buildCsr(subject, spki, imported.signingKey, options.address);
  const chain = options.issuer ? [options.issuer.certificate, ...options.issuer.chain] : [];
  const identity: Identity = { certificate, chain, signingKey: imported.signingKey, decryptionKey: imported.decryptionKey };
  return {
    identity,
    csr,
    exportEncryptedKey: (passphrase, encryptOptions) => encryptPkcs8(pkcs8, new TextEncoder().encode(passphrase), encryptOptions),
  };
}
