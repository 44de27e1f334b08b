import { certDigestHex, certInfo, isSignedBy, KeyUsage, verifyWith } from './internal/cert.js';
import { bytesKey } from './internal/bounded-cache.js';
import type { CertInfo } from './internal/cert.js';
import { equalBytes, toHex } from './internal/bytes.js';
import { children, expectTag, readOid, readRoot, readTime } from './internal/der.js';
import { ChainError, CryptoError } from './errors.js';

/**
 * The certificates a party trusts: CA certificates (trust anchors, such as a NASH root or a
 * Direct trust bundle), pinned end-entity certificates (trusted as they are, by SHA-256), and
 * optional certificate revocation lists. Used by {@link validateChain} and `openEnvelope`.
 */
export class TrustStore {
  readonly #anchors: CertInfo[] = [];
  readonly #pins = new Set<string>();
  readonly #crls: ParsedCrl[] = [];

  /** Adds a trust anchor (DER). Throws `ERR_CRYPTO_CERT_MALFORMED` if unreadable. */
  addAnchor(certificate: Uint8Array): this {
    this.#anchors.push(certInfo(certificate));
    return this;
  }

  /** Pins an end-entity certificate (DER): it is trusted without a path to an anchor. */
  async addPinned(certificate: Uint8Array): Promise<this> {
    certInfo(certificate);
    this.#pins.add(await certDigestHex(certificate));
    return this;
  }

  /** Adds a CRL (DER). Its signature is checked against its issuer when a path uses that issuer. */
  addCrl(crl: Uint8Array): this {
    try {
      this.#crls.push(parseCrl(crl));
    } catch (error) {
      throw new CryptoError('ERR_CRYPTO_CRL_MALFORMED', 'not a readable CRL', { cause: error });
    }
    return this;
  }

  /** @internal The anchors, for chain building. */
  get anchors(): readonly CertInfo[] {
    return this.#anchors;
  }

  /** @internal */
  get crls(): readonly ParsedCrl[] {
    return this.#crls;
  }

  /** @internal True when the certificate is pinned. */
  async isPinned(certificate: Uint8Array): Promise<boolean> {
    if (this.#pins.size === 0) return false;
    return this.#pins.has(await certDigestHex(certificate));
  }
}

/** What a certificate is about to be used for. */
export type CertificateUse = 'sign' | 'encrypt' | 'any';

/** Options for {@link validateChain}. */
export interface ValidateChainOptions {
  /** Untrusted intermediates to build the path with (for example SignedData.certificates). */
  intermediates?: Uint8Array[];
  /** The time to validate at. Default: now. */
  at?: Date;
  /** Key usage to require of the end entity. Default `'sign'`. */
  use?: CertificateUse;
  /** Maximum path length (end entity to anchor, inclusive). Default 8. */
  maxLength?: number;
}

const EMAIL_PROTECTION = '1.3.6.1.5.5.7.3.4';
const ANY_EKU = '2.5.29.37.0';

/** Checks that an end-entity certificate may be used for `use`; throws `ERR_CRYPTO_CHAIN_KEY_USAGE`. */
export function checkEndEntityUsage(info: CertInfo, use: CertificateUse): void {
  if (use === 'any') return;
  const ku = info.keyUsage;
  if (use === 'sign' && ku !== undefined && (ku & (KeyUsage.digitalSignature | KeyUsage.nonRepudiation)) === 0) {
    throw new ChainError('key-usage', info.subject, `'${info.subject}' may not sign (keyUsage lacks digitalSignature and nonRepudiation)`);
  }
  if (use === 'encrypt' && ku !== undefined) {
    const needed = info.kind === 'ec' ? KeyUsage.keyAgreement : KeyUsage.keyEncipherment;
    if ((ku & needed) === 0) throw new ChainError('key-usage', info.subject, `'${info.subject}' may not receive envelopes (keyUsage lacks ${info.kind === 'ec' ? 'keyAgreement' : 'keyEncipherment'})`);
  }
  const eku = info.extendedKeyUsage;
  if (eku !== undefined && !eku.includes(EMAIL_PROTECTION) && !eku.includes(ANY_EKU)) {
    throw new ChainError('key-usage', info.subject, `'${info.subject}' extendedKeyUsage does not include emailProtection`);
  }
}

function checkTime(info: CertInfo, at: Date): void {
  if (at.getTime() < info.notBefore.getTime()) throw new ChainError('not-yet-valid', info.subject, `'${info.subject}' is not valid before ${info.notBefore.toISOString()}`);
  if (at.getTime() > info.notAfter.getTime()) throw new ChainError('expired', info.subject, `'${info.subject}' expired at ${info.notAfter.toISOString()}`);
}

async function signedBy(child: CertInfo, issuer: CertInfo): Promise<boolean> {
  if (!equalBytes(child.issuer, issuer.subjectName)) return false;
  return isSignedBy(child, issuer);
}

interface ParsedCrl {
  tbs: Uint8Array;
  signatureAlgorithm: string;
  signature: Uint8Array;
  issuer: Uint8Array;
  /** serialNumber INTEGER TLV (hex) → revocation date. */
  revoked: Map<string, Date>;
  /** SPKIs (bytesKey) whose key verified this CRL's signature: checked once, not once per letter. */
  verifiedBy: Set<string>;
}

/** Reads a CertificateList (RFC 5280 §5.1). */
function parseCrl(der: Uint8Array): ParsedCrl {
  const [tbs, sigAlg, signature] = children(expectTag(readRoot(der, 'CertificateList'), 0x30, 'CertificateList'), 'CertificateList');
  const fields = children(expectTag(tbs, 0x30, 'tbsCertList'), 'tbsCertList');
  let index = fields[0]?.tag === 0x02 ? 1 : 0;
  index++; // signature
  const issuer = expectTag(fields[index++], 0x30, 'issuer');
  index++; // thisUpdate
  if (fields[index] && (fields[index]?.tag === 0x17 || fields[index]?.tag === 0x18)) index++; // nextUpdate
  const revoked = new Map<string, Date>();
  const list = fields[index];
  if (list && list.tag === 0x30) {
    for (const entry of children(list, 'revokedCertificates')) {
      const [serial, date] = children(entry, 'revokedCertificate');
      revoked.set(toHex(expectTag(serial, 0x02, 'userCertificate').raw), readTime(date, 'revocationDate'));
    }
  }
  return {
    tbs: (tbs as NonNullable<typeof tbs>).raw,
    signatureAlgorithm: readOid(children(expectTag(sigAlg, 0x30, 'signatureAlgorithm'), 'signatureAlgorithm')[0], 'signatureAlgorithm'),
    signature: expectTag(signature, 0x03, 'signature').value.subarray(1),
    issuer: issuer.raw,
    revoked,
    verifiedBy: new Set(),
  };
}

async function crlSignedBy(crl: ParsedCrl, issuer: CertInfo): Promise<boolean> {
  const key = bytesKey(issuer.spki);
  if (key !== undefined && crl.verifiedBy.has(key)) return true;
  const ok = await verifyWith(issuer, crl.signatureAlgorithm, crl.tbs, crl.signature);
  // Only keys that really signed it are added: in practice one per CRL.
  if (ok && key !== undefined) crl.verifiedBy.add(key);
  return ok;
}

async function checkRevocation(child: CertInfo, issuer: CertInfo, trust: TrustStore, at: Date): Promise<void> {
  for (const crl of trust.crls) {
    if (!equalBytes(crl.issuer, issuer.subjectName)) continue;
    if (!(await crlSignedBy(crl, issuer))) continue;
    const date = crl.revoked.get(toHex(child.serial));
    if (date && date.getTime() <= at.getTime()) {
      throw new ChainError('revoked', child.subject, `'${child.subject}' was revoked at ${date.toISOString()}`);
    }
  }
}

/**
 * Validates `certificate` (DER) against `trust` at `options.at`: builds a path through the given
 * intermediates to a trust anchor (or accepts a pinned certificate), checks each signature,
 * validity period, CA basicConstraints and keyCertSign, CRLs, and the end entity's keyUsage /
 * extendedKeyUsage for `options.use`. Resolves to the path (DER, end entity first). Throws a
 * {@link ChainError} (`ERR_CRYPTO_CHAIN_*`) naming the certificate that failed.
 */
export async function validateChain(certificate: Uint8Array, trust: TrustStore, options: ValidateChainOptions = {}): Promise<Uint8Array[]> {
  const at = options.at ?? new Date();
  const maxLength = options.maxLength ?? 8;
  let leaf: CertInfo;
  try {
    leaf = certInfo(certificate);
  } catch (error) {
    throw new ChainError('malformed', '', 'the certificate is not readable', { cause: error });
  }
  checkTime(leaf, at);
  checkEndEntityUsage(leaf, options.use ?? 'sign');
  if (await trust.isPinned(certificate)) return [certificate];

  const intermediates: CertInfo[] = [];
  for (const der of options.intermediates ?? []) {
    try {
      intermediates.push(certInfo(der));
    } catch {
      // An unreadable extra certificate cannot be part of a path; ignore it as OpenSSL does.
    }
  }
  const path: CertInfo[] = [leaf];
  let current = leaf;
  for (;;) {
    if (trust.anchors.some((anchor) => equalBytes(anchor.der, current.der))) return path.map((c) => c.der);
    if (path.length >= maxLength) throw new ChainError('untrusted', leaf.subject, `no path to a trust anchor within ${maxLength} certificates for '${leaf.subject}'`);
    let issuer: CertInfo | undefined;
    let anchorFound = false;
    for (const candidate of trust.anchors) {
      if (await signedBy(current, candidate)) {
        issuer = candidate;
        anchorFound = true;
        break;
      }
    }
    if (!issuer) {
      for (const candidate of intermediates) {
        if (path.some((c) => equalBytes(c.der, candidate.der))) continue;
        if (await signedBy(current, candidate)) {
          issuer = candidate;
          break;
        }
      }
    }
    if (!issuer) {
      // A known issuer by name whose key does not verify the signature: a forged or damaged certificate.
      const named = [...trust.anchors, ...intermediates].find((candidate) => equalBytes(current.issuer, candidate.subjectName) && !path.some((c) => equalBytes(c.der, candidate.der)));
      if (named) throw new ChainError('signature', current.subject, `the signature on '${current.subject}' does not verify with the key of its issuer '${named.subject}'`);
      const selfSigned = equalBytes(current.issuer, current.subjectName);
      throw new ChainError('untrusted', current.subject, selfSigned ? `'${current.subject}' is self-signed and not in the trust store` : `no trusted issuer found for '${current.subject}' (issuer '${current.issuerText}')`);
    }
    checkTime(issuer, at);
    if (!issuer.isCA) throw new ChainError('key-usage', issuer.subject, `'${issuer.subject}' is not a CA (basicConstraints) but issued '${current.subject}'`);
    if (issuer.keyUsage !== undefined && (issuer.keyUsage & KeyUsage.keyCertSign) === 0) {
      throw new ChainError('key-usage', issuer.subject, `'${issuer.subject}' keyUsage lacks keyCertSign`);
    }
    await checkRevocation(current, issuer, trust, at);
    path.push(issuer);
    if (anchorFound) return path.map((c) => c.der);
    current = issuer;
  }
}
