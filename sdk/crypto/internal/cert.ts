/**
 * X.509 certificates (RFC 5280) read and written with our DER module. What the envelope needs:
 * the exact issuer and serial bytes (CMS IssuerAndSerialNumber must match byte for byte), the
 * public key for WebCrypto, the extensions that limit its use, and signature verification.
 *
 * Why not @peculiar/x509: its v2 needs a global `Reflect.getMetadata` polyfill (tsyringe), which
 * an SDK embedded in other people's pages must not install (docs/decisions.md).
 */
import { CryptoError } from '../errors.js';
import { BoundedCache, bytesKey } from './bounded-cache.js';
import { bs, sha256, toHex } from './bytes.js';
import { algorithm, bitString, children, contextConstructed, expectTag, integer, nullValue, octetString, oid, readOid, readRoot, readTime, sequence, setOf, time, tlv } from './der.js';
import type { Element } from './der.js';
import { derToP1363, p1363ToDer } from './ecdsa.js';
import { subtle } from './subtle.js';

export type KeyKind = 'ec' | 'rsa';

/** keyUsage bits (RFC 5280 §4.2.1.3) as flags, for `generateIdentity({ keyUsage })`. */
export const KeyUsage = {
  digitalSignature: 1,
  nonRepudiation: 2,
  keyEncipherment: 4,
  dataEncipherment: 8,
  keyAgreement: 16,
  keyCertSign: 32,
  cRLSign: 64,
} as const;

export interface CertInfo {
  der: Uint8Array;
  /** DER of TBSCertificate (what the issuer signed). */
  tbs: Uint8Array;
  signatureAlgorithm: string;
  signature: Uint8Array;
  /** DER of the issuer Name. */
  issuer: Uint8Array;
  /** DER of the serialNumber INTEGER (whole TLV). */
  serial: Uint8Array;
  /** DER of the subject Name. */
  subjectName: Uint8Array;
  /** DER of the SubjectPublicKeyInfo. */
  spki: Uint8Array;
  /** DER of IssuerAndSerialNumber, as CMS identifies a certificate. */
  issuerAndSerial: Uint8Array;
  subjectKeyId: Uint8Array | undefined;
  kind: KeyKind;
  /** Named curve for EC keys (`P-256`, `P-384`). */
  curve: string | undefined;
  /** The subject as text, e.g. `CN=Dr Jane Citizen, E=jane@gp.example`. */
  subject: string;
  issuerText: string;
  notBefore: Date;
  notAfter: Date;
  /** keyUsage flags ({@link KeyUsage}), or undefined when the extension is absent. */
  keyUsage: number | undefined;
  extendedKeyUsage: string[] | undefined;
  isCA: boolean;
  /** rfc822Name entries of subjectAltName, lower-cased. */
  emails: string[];
}

const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  p256: '1.2.840.10045.3.1.7',
  p384: '1.3.132.0.34',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  basicConstraints: '2.5.29.19',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  subjectAltName: '2.5.29.17',
  commonName: '2.5.4.3',
  emailAddress: '1.2.840.113549.1.9.1',
} as const;

const NAME_LABELS: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber',
  '1.2.840.113549.1.9.1': 'E',
};

/** Signature algorithms we verify: OID → WebCrypto hash and key family. */
const SIGNATURE_ALGORITHMS: Record<string, { hash: string; kind: KeyKind }> = {
  '1.2.840.10045.4.3.2': { hash: 'SHA-256', kind: 'ec' },
  '1.2.840.10045.4.3.3': { hash: 'SHA-384', kind: 'ec' },
  '1.2.840.10045.4.3.4': { hash: 'SHA-512', kind: 'ec' },
  '1.2.840.113549.1.1.11': { hash: 'SHA-256', kind: 'rsa' },
  '1.2.840.113549.1.1.12': { hash: 'SHA-384', kind: 'rsa' },
  '1.2.840.113549.1.1.13': { hash: 'SHA-512', kind: 'rsa' },
};

const decoder = new TextDecoder();

/** Renders a Name as `CN=…, O=…` (RFC 4514 order reversed to the encoding order, as OpenSSL's `-nameopt oneline` does). */
export function nameToText(name: Element): string {
  const parts: string[] = [];
  for (const rdn of children(name, 'Name')) {
    for (const atv of children(rdn, 'RelativeDistinguishedName')) {
      const [type, value] = children(atv, 'AttributeTypeAndValue');
      const label = NAME_LABELS[readOid(type, 'AttributeType')] ?? readOid(type, 'AttributeType');
      parts.push(`${label}=${value ? decoder.decode(value.value) : ''}`);
    }
  }
  return parts.join(', ');
}

const cache = new WeakMap<Uint8Array, CertInfo>();

/** Parses a DER certificate; throws `ERR_CRYPTO_CERT_MALFORMED` if it is not one we can use. */
export function certInfo(der: Uint8Array): CertInfo {
  const cached = cache.get(der);
  if (cached) return cached;
  let info: CertInfo;
  try {
    const [tbs, sigAlg, signature] = children(expectTag(readRoot(der, 'certificate'), 0x30, 'certificate'), 'certificate');
    const fields = children(expectTag(tbs, 0x30, 'tbsCertificate'), 'tbsCertificate');
    let index = fields[0]?.tag === 0xa0 ? 1 : 0;
    const serial = expectTag(fields[index++], 0x02, 'serialNumber');
    index++; // signature AlgorithmIdentifier (repeated outside)
    const issuer = expectTag(fields[index++], 0x30, 'issuer');
    const [notBefore, notAfter] = children(expectTag(fields[index++], 0x30, 'validity'), 'validity');
    const subject = expectTag(fields[index++], 0x30, 'subject');
    const spki = expectTag(fields[index++], 0x30, 'subjectPublicKeyInfo');
    const [spkiAlg] = children(spki, 'subjectPublicKeyInfo');
    const [keyOid, keyParams] = children(expectTag(spkiAlg, 0x30, 'algorithm'), 'algorithm');
    const keyAlgorithm = readOid(keyOid, 'algorithm');
    let kind: KeyKind;
    let curve: string | undefined;
    if (keyAlgorithm === OID.ecPublicKey) {
      kind = 'ec';
      const curveOid = keyParams?.tag === 0x06 ? readOid(keyParams, 'namedCurve') : '';
      curve = curveOid === OID.p256 ? 'P-256' : curveOid === OID.p384 ? 'P-384' : undefined;
      if (!curve) throw new CryptoError('ERR_CRYPTO_CERT_MALFORMED', `certificate '${nameToText(subject)}': unsupported EC curve ${curveOid}`);
    } else if (keyAlgorithm === OID.rsaEncryption) {
      kind = 'rsa';
    } else {
      throw new CryptoError('ERR_CRYPTO_CERT_MALFORMED', `certificate '${nameToText(subject)}': unsupported key algorithm ${keyAlgorithm}`);
    }
    let keyUsage: number | undefined;
    let extendedKeyUsage: string[] | undefined;
    let isCA = false;
    let subjectKeyId: Uint8Array | undefined;
    const emails: string[] = [];
    const extensionsWrapper = fields.slice(index).find((f) => f.tag === 0xa3);
    if (extensionsWrapper) {
      const [extensions] = children(extensionsWrapper, 'extensions');
      for (const extension of children(expectTag(extensions, 0x30, 'extensions'), 'extensions')) {
        const parts = children(extension, 'extension');
        const id = readOid(parts[0], 'extnID');
        const value = readRoot(expectTag(parts[parts.length - 1], 0x04, 'extnValue').value, id);
        if (id === OID.keyUsage) {
          const bits = expectTag(value, 0x03, 'keyUsage').value;
          keyUsage = 0;
          // BIT STRING bit 0 is the high bit of the first octet; flag i is bit i.
          for (let bit = 0; bit < 9; bit++) {
            const byte = bits[1 + (bit >> 3)] ?? 0;
            if (byte & (0x80 >> (bit & 7))) keyUsage |= 1 << bit;
          }
        } else if (id === OID.extKeyUsage) {
          extendedKeyUsage = children(expectTag(value, 0x30, 'extKeyUsage'), 'extKeyUsage').map((e) => readOid(e, 'KeyPurposeId'));
        } else if (id === OID.basicConstraints) {
          const bc = children(expectTag(value, 0x30, 'basicConstraints'), 'basicConstraints');
          isCA = bc[0]?.tag === 0x01 && bc[0].value[0] !== 0;
        } else if (id === OID.subjectKeyId) {
          subjectKeyId = expectTag(value, 0x04, 'subjectKeyIdentifier').value;
        } else if (id === OID.subjectAltName) {
          for (const general of children(expectTag(value, 0x30, 'subjectAltName'), 'subjectAltName')) {
            if (general.tag === 0x81) emails.push(decoder.decode(general.value).toLowerCase());
          }
        }
      }
    }
    const sigValue = expectTag(signature, 0x03, 'signatureValue').value;
    info = {
      der,
      tbs: (tbs as NonNullable<typeof tbs>).raw,
      signatureAlgorithm: readOid(children(expectTag(sigAlg, 0x30, 'signatureAlgorithm'), 'signatureAlgorithm')[0], 'signatureAlgorithm'),
      signature: sigValue.subarray(1),
      issuer: issuer.raw,
      serial: serial.raw,
      subjectName: subject.raw,
      spki: spki.raw,
      issuerAndSerial: sequence(issuer.raw, serial.raw),
      subjectKeyId,
      kind,
      curve,
      subject: nameToText(subject),
      issuerText: nameToText(issuer),
      notBefore: readTime(notBefore, 'notBefore'),
      notAfter: readTime(notAfter, 'notAfter'),
      keyUsage,
      extendedKeyUsage,
      isCA,
      emails,
    };
  } catch (error) {
    if (error instanceof CryptoError) throw error;
    throw new CryptoError('ERR_CRYPTO_CERT_MALFORMED', 'not a readable X.509 certificate', { cause: error });
  }
  cache.set(der, info);
  return info;
}

/** SHA-256 of the certificate DER, as intendedRecipients and the trust pins identify certificates. */
export function certDigest(der: Uint8Array): Promise<Uint8Array> {
  return sha256(der);
}

const digests = new BoundedCache<Promise<string>>(256);

/** {@link certDigest} in hex, remembered for the most recently used certificates (by content). */
export function certDigestHex(der: Uint8Array): Promise<string> {
  return remember(digests, bytesKey(der), async () => toHex(await sha256(der)));
}

/**
 * Public keys already imported, by algorithm and SPKI bytes. A CryptoKey holds its own copy of the
 * key, never the caller's buffer, so an entry keeps no envelope alive. Sharing one CryptoKey
 * between calls is safe: WebCrypto keys are immutable.
 */
const publicKeys = new BoundedCache<Promise<CryptoKey>>(256);

/** The promise cached under `key` or a new one from `make`; a rejected promise is forgotten so the next call retries. */
function remember<T>(cache: BoundedCache<Promise<T>>, key: string | undefined, make: () => Promise<T>): Promise<T> {
  if (key === undefined) return make();
  const cached = cache.get(key);
  if (cached) return cached;
  const made = make();
  cache.set(key, made);
  made.catch(() => {
    if (cache.get(key) === made) cache.delete(key);
  });
  return made;
}

/**
 * Imports a SubjectPublicKeyInfo for one job. The key is remembered (256 most recently used, by
 * algorithm and SPKI bytes), so letters from the same sender and receipts to it do not import the
 * same key again: an EC import costs about 0.3 ms of CPU in Node (point validation).
 */
export function importSpki(spki: Uint8Array, kind: KeyKind, use: 'verify' | 'encrypt' | 'agree', options: { curve?: string; hash?: string } = {}): Promise<CryptoKey> {
  const data = bs(spki);
  const namedCurve = options.curve ?? 'P-256';
  const hash = options.hash ?? 'SHA-256';
  if (kind === 'ec' && use === 'encrypt') throw new TypeError('EC keys are used by key agreement, not encryption');
  if (kind === 'rsa' && use === 'agree') throw new TypeError('RSA keys are used by key transport, not agreement');
  const content = bytesKey(spki);
  // Everything the import depends on: an EC key ignores the hash, an RSA-OAEP key always uses SHA-256.
  const key = content === undefined ? undefined : `${kind} ${use} ${kind === 'ec' ? namedCurve : use === 'verify' ? hash : 'SHA-256'} ${content}`;
  return remember(publicKeys, key, () => {
    if (kind === 'ec') {
      return use === 'verify'
        ? subtle().importKey('spki', data, { name: 'ECDSA', namedCurve }, false, ['verify'])
        : subtle().importKey('spki', data, { name: 'ECDH', namedCurve }, false, []);
    }
    return use === 'verify'
      ? subtle().importKey('spki', data, { name: 'RSASSA-PKCS1-v1_5', hash }, false, ['verify'])
      : subtle().importKey('spki', data, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
  });
}

/** Imports the certificate's public key for one job. */
export function importCertKey(info: CertInfo, use: 'verify' | 'encrypt' | 'agree'): Promise<CryptoKey> {
  return importSpki(info.spki, info.kind, use, info.curve ? { curve: info.curve } : {});
}

/** Verifies a signature made with `algorithmOid` over `data` by the key in `issuer`. False on any mismatch. */
export async function verifyWith(issuer: CertInfo, algorithmOid: string, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const scheme = SIGNATURE_ALGORITHMS[algorithmOid];
  if (!scheme || scheme.kind !== issuer.kind) return false;
  try {
    const key = await importSpki(issuer.spki, issuer.kind, 'verify', { hash: scheme.hash, ...(issuer.curve ? { curve: issuer.curve } : {}) });
    if (issuer.kind === 'ec') {
      const size = issuer.curve === 'P-384' ? 48 : 32;
      return await subtle().verify({ name: 'ECDSA', hash: scheme.hash }, key, bs(derToP1363(signature, size)), bs(data));
    }
    return await subtle().verify('RSASSA-PKCS1-v1_5', key, bs(signature), bs(data));
  } catch {
    return false;
  }
}

/**
 * Issuer signatures that verified, keyed by the issuer's SPKI and the whole certificate DER (which
 * fixes the signed TBS, the algorithm and the signature value): a pure fact about those bytes,
 * true at any time. Only the signature is remembered, never a chain verdict: validity periods,
 * key usage, CA constraints and revocation are checked again on every validation, at its time.
 * Failures are not remembered (forged or damaged input is rare, and should not fill the cache).
 */
const verifiedIssuerSignatures = new BoundedCache<true>(512);

/** True when `issuer`'s key verifies `child`'s signature (the caller compares the names). */
export async function isSignedBy(child: CertInfo, issuer: CertInfo): Promise<boolean> {
  const spki = bytesKey(issuer.spki);
  const certificate = bytesKey(child.der);
  // The SPKI's length first, so that no two (SPKI, certificate) pairs give the same key.
  const key = spki === undefined || certificate === undefined ? undefined : `${spki.length} ${spki}${certificate}`;
  if (key !== undefined && verifiedIssuerSignatures.get(key)) return true;
  const ok = await verifyWith(issuer, child.signatureAlgorithm, child.tbs, child.signature);
  if (ok && key !== undefined) verifiedIssuerSignatures.set(key, true);
  return ok;
}

/** @internal Forgets every remembered key, digest and verified signature (tests measure the uncached path with it). */
export function clearCertificateCaches(): void {
  digests.clear();
  publicKeys.clear();
  verifiedIssuerSignatures.clear();
}

// ---------------------------------------------------------------------------------------------
// Writing

/** A Name with a commonName and an optional emailAddress (IA5String, as RFC 5280 asks). */
export function buildName(commonName: string, email?: string): Uint8Array {
  const rdns = [setOf([sequence(oid(OID.commonName), tlv(0x0c, new TextEncoder().encode(commonName)))])];
  if (email) rdns.push(setOf([sequence(oid(OID.emailAddress), tlv(0x16, new TextEncoder().encode(email)))]));
  return sequence(...rdns);
}

/** Signs `data` with an identity signing key; returns the X.509/CMS signature value (DER for ECDSA). */
export async function signWith(key: CryptoKey, data: Uint8Array): Promise<Uint8Array> {
  if (key.algorithm.name === 'ECDSA') {
    return p1363ToDer(new Uint8Array(await subtle().sign({ name: 'ECDSA', hash: 'SHA-256' }, key, bs(data))));
  }
  return new Uint8Array(await subtle().sign('RSASSA-PKCS1-v1_5', key, bs(data)));
}

/** The AlgorithmIdentifier for SHA-256 signatures with this key (RFC 5754 §3: NULL for RSA, absent for ECDSA). */
export function signatureAlgorithmFor(key: CryptoKey): Uint8Array {
  return key.algorithm.name === 'ECDSA' ? algorithm('1.2.840.10045.4.3.2') : algorithm('1.2.840.113549.1.1.11', nullValue());
}

function extension(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical ? sequence(oid(id), Uint8Array.of(0x01, 0x01, 0xff), octetString(value)) : sequence(oid(id), octetString(value));
}

function keyUsageBits(flags: number): Uint8Array {
  let highest = -1;
  for (let bit = 0; bit < 9; bit++) if (flags & (1 << bit)) highest = bit;
  const length = highest < 8 ? 1 : 2;
  const bytes = new Uint8Array(length);
  for (let bit = 0; bit <= highest; bit++) if (flags & (1 << bit)) bytes[bit >> 3] = (bytes[bit >> 3] as number) | (0x80 >> (bit & 7));
  const unused = length * 8 - 1 - highest;
  return tlv(0x03, Uint8Array.of(unused), bytes);
}

export interface CertificateTemplate {
  serial: Uint8Array;
  issuer: Uint8Array;
  subject: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
  ca: boolean;
  keyUsage: number;
  extendedKeyUsage?: string[];
  email?: string;
  authorityKeyId?: Uint8Array;
}

/** SHA-1 of the subjectPublicKey BIT STRING contents: RFC 5280 §4.2.1.2 method (1). */
export async function keyIdentifier(spki: Uint8Array): Promise<Uint8Array> {
  const [, key] = children(readRoot(spki, 'subjectPublicKeyInfo'), 'subjectPublicKeyInfo');
  return new Uint8Array(await subtle().digest('SHA-1', bs(expectTag(key, 0x03, 'subjectPublicKey').value.subarray(1))));
}

/** Builds and signs an X.509 v3 certificate. */
export async function buildCertificate(template: CertificateTemplate, signingKey: CryptoKey): Promise<Uint8Array> {
  const ski = await keyIdentifier(template.spki);
  const extensions = [
    extension(OID.basicConstraints, true, template.ca ? sequence(Uint8Array.of(0x01, 0x01, 0xff)) : sequence()),
    extension(OID.keyUsage, true, keyUsageBits(template.keyUsage)),
    extension(OID.subjectKeyId, false, octetString(ski)),
  ];
  if (template.authorityKeyId) extensions.push(extension(OID.authorityKeyId, false, sequence(tlv(0x80, template.authorityKeyId))));
  if (template.extendedKeyUsage) extensions.push(extension(OID.extKeyUsage, false, sequence(...template.extendedKeyUsage.map(oid))));
  if (template.email) extensions.push(extension(OID.subjectAltName, false, sequence(tlv(0x81, new TextEncoder().encode(template.email)))));
  const signatureAlgorithm = signatureAlgorithmFor(signingKey);
  const tbs = sequence(
    contextConstructed(0, integer(2)),
    integer(template.serial),
    signatureAlgorithm,
    template.issuer,
    sequence(time(template.notBefore), time(template.notAfter)),
    template.subject,
    template.spki,
    contextConstructed(3, sequence(...extensions)),
  );
  return sequence(tbs, signatureAlgorithm, bitString(await signWith(signingKey, tbs)));
}

/** Builds a PKCS#10 certificate request (RFC 2986) carrying the same extensions. */
export async function buildCsr(subject: Uint8Array, spki: Uint8Array, signingKey: CryptoKey, email?: string): Promise<Uint8Array> {
  const attributes = email
    ? contextConstructed(0, sequence(oid('1.2.840.113549.1.9.14'), setOf([sequence(extension(OID.subjectAltName, false, sequence(tlv(0x81, new TextEncoder().encode(email)))))])))
    : contextConstructed(0);
  const info = sequence(integer(0), subject, spki, attributes);
  return sequence(info, signatureAlgorithmFor(signingKey), bitString(await signWith(signingKey, info)));
}
