/**
 * CMS SignedData (RFC 5652 §5) with exactly one signer, SHA-256 and signed attributes, written
 * and read with our DER module so the content (up to 64 MiB) is never copied into ASN.1 objects.
 *
 * pkijs 4.0.0 trap this avoids: `SignedData.sign()` defaults to SHA-1; here the digest is always
 * SHA-256 (RFC 5754) and nothing else is written.
 */
import { EnvelopeError } from '../errors.js';
import type { Identity } from '../identity.js';
import { bs, equalBytes } from './bytes.js';
import { certInfo, signatureAlgorithmFor, verifyWith } from './cert.js';
import type { CertInfo } from './cert.js';
import { algorithm, children, concat, contextConstructed, expectTag, header, integer, octetString, oid, readOctets, readOid, readSmallInteger, sequence, setOf, time, tlv } from './der.js';
import type { Element, ReadLimits } from './der.js';
import { DIGESTS, OID } from './oids.js';
import { subtle } from './subtle.js';

/** One Attribute ::= SEQUENCE { attrType OID, attrValues SET OF AttributeValue }. */
export function attribute(type: string, ...values: Uint8Array[]): Uint8Array {
  return sequence(oid(type), setOf(values));
}

export interface SignedDataInput {
  /** The eContent bytes, without the padding. */
  content: Uint8Array;
  /** Zero bytes that follow the content inside eContent. Default 0. */
  padding?: number;
  /** eContentType. */
  contentType: string;
  signer: Identity;
  /** Further signed attributes (DER Attribute SEQUENCEs). */
  attributes: Uint8Array[];
  signingTime: Date;
}

/**
 * ContentInfo(SignedData) around an eContent of `contentLength` bytes, as the bytes before the
 * eContent (`prefix`) and after it (`suffix`): the caller writes the content itself, once, where
 * it wants (sign-and-encrypt.ts lays it out inside the envelope).
 */
export interface SignedDataLayout {
  prefix: Uint8Array;
  suffix: Uint8Array;
}

/** The signed attributes (DER SET OF, what is signed) for a content whose SHA-256 is `digest`. */
export function signedAttributesFor(input: SignedDataInput, digest: Uint8Array): Uint8Array {
  return setOf([attribute(OID.contentType, oid(input.contentType)), attribute(OID.signingTime, time(input.signingTime)), attribute(OID.messageDigest, octetString(digest)), ...input.attributes]);
}

/** The longest DER signature `key` can make, so a layout planned before signing is never too short. */
export function maxSignatureLength(key: CryptoKey): number {
  if (key.algorithm.name === 'ECDSA') {
    const size = ({ 'P-256': 32, 'P-384': 48, 'P-521': 66 } as Record<string, number>)[(key.algorithm as EcKeyAlgorithm).namedCurve] ?? 66;
    // SEQUENCE { INTEGER r, INTEGER s }, each integer with a possible leading zero; header up to 3 bytes.
    return 3 + 2 * (2 + size + 1);
  }
  return ((key.algorithm as RsaHashedKeyAlgorithm).modulusLength + 7) >> 3;
}

/** Lays out ContentInfo(SignedData) with one SignerInfo identified by issuer and serial number. */
export function signedDataLayout(input: SignedDataInput, signedAttributes: Uint8Array, signature: Uint8Array): SignedDataLayout {
  const { signer } = input;
  const contentLength = input.content.length + (input.padding ?? 0);
  const signerCert = certInfo(signer.certificate);
  // RFC 5652 §5.1: version 1 for id-data with issuerAndSerialNumber, 3 for other eContentTypes.
  const version = integer(input.contentType === OID.data ? 1 : 3);
  const digestAlgorithms = tlv(0x31, algorithm(OID.sha256));
  const eContentType = oid(input.contentType);
  const certificates = contextConstructed(0, signer.certificate, ...signer.chain);
  const signerInfo = sequence(
    integer(1),
    signerCert.issuerAndSerial,
    algorithm(OID.sha256),
    // [0] IMPLICIT SET OF Attribute: the same bytes as the signed SET, tag 0xA0.
    tlv(0xa0, signedAttributes.subarray(lengthOfHeader(signedAttributes))),
    signatureAlgorithmFor(signer.signingKey),
    octetString(signature),
  );
  const suffix = concat(certificates, tlv(0x31, signerInfo));
  const octetHeader = header(0x04, contentLength);
  const explicitHeader = header(0xa0, octetHeader.length + contentLength);
  const encapsulatedLength = eContentType.length + explicitHeader.length + octetHeader.length + contentLength;
  const encapsulatedHeader = header(0x30, encapsulatedLength);
  const signedDataLength = version.length + digestAlgorithms.length + encapsulatedHeader.length + encapsulatedLength + suffix.length;
  const signedDataHeader = header(0x30, signedDataLength);
  const contentHeader = header(0xa0, signedDataHeader.length + signedDataLength);
  const contentInfoOid = oid(OID.signedData);
  const contentInfoHeader = header(0x30, contentInfoOid.length + contentHeader.length + signedDataHeader.length + signedDataLength);
  const prefix = concat(contentInfoHeader, contentInfoOid, contentHeader, signedDataHeader, version, digestAlgorithms, encapsulatedHeader, eContentType, explicitHeader, octetHeader);
  return { prefix, suffix };
}

function lengthOfHeader(der: Uint8Array): number {
  const first = der[1] as number;
  return first < 0x80 ? 2 : 2 + (first & 0x7f);
}

/** A signer as read from SignedData. */
export interface ParsedSigner {
  /** IssuerAndSerialNumber DER, when the sid is one. */
  issuerAndSerial: Uint8Array | undefined;
  /** SubjectKeyIdentifier, when the sid is one. */
  subjectKeyId: Uint8Array | undefined;
  digestAlgorithm: string;
  /** The signed attributes re-tagged as SET (what was signed). */
  signedAttributes: Uint8Array;
  /** attribute OID → values. */
  attributes: Map<string, Element[]>;
  signatureAlgorithm: string;
  signature: Uint8Array;
}

export interface ParsedSignedData {
  contentType: string;
  content: Uint8Array;
  certificates: Uint8Array[];
  signers: ParsedSigner[];
}

/** Reads ContentInfo(SignedData). Structure errors are `ERR_ENVELOPE_MALFORMED`. */
export function parseSignedDataContentInfo(root: Element, limits: ReadLimits): ParsedSignedData {
  const [type, explicit] = children(expectTag(root, 0x30, 'ContentInfo'), 'ContentInfo', limits);
  const contentType = readOid(type, 'ContentInfo.contentType');
  if (contentType !== OID.signedData) throw new EnvelopeError('malformed', `inner content is ${contentType}, not SignedData`);
  const [signedData] = children(expectTag(explicit, 0xa0, 'ContentInfo.content'), 'ContentInfo.content', limits);
  return parseSignedData(expectTag(signedData, 0x30, 'SignedData'), limits);
}

/** The most certificates a SignedData may carry (signer plus chain; real chains have 2–4). */
const MAX_CERTIFICATES = 32;

/** Reads a SignedData SEQUENCE. */
export function parseSignedData(element: Element, limits: ReadLimits): ParsedSignedData {
  const fields = children(element, 'SignedData', limits);
  readSmallInteger(fields[0], 'SignedData.version');
  const [eType, eContentWrapper] = children(expectTag(fields[2], 0x30, 'encapContentInfo'), 'encapContentInfo', limits);
  const contentType = readOid(eType, 'eContentType');
  if (!eContentWrapper) throw new EnvelopeError('malformed', 'SignedData has no encapsulated content (detached signatures are not accepted)');
  const [eContent] = children(expectTag(eContentWrapper, 0xa0, 'eContent'), 'eContent', limits);
  if (!eContent || (eContent.tag !== 0x04 && eContent.tag !== 0x24)) throw new EnvelopeError('malformed', 'eContent is not an OCTET STRING');
  const content = readOctets(eContent, 'eContent', limits);
  const certificates: Uint8Array[] = [];
  let index = 3;
  if (fields[index]?.tag === 0xa0) {
    const all = children(fields[index] as Element, 'certificates', limits);
    // Each candidate may cost a signature verification during path building: bound the work.
    if (all.length > MAX_CERTIFICATES) throw new EnvelopeError('malformed', `SignedData carries ${all.length} certificates (at most ${MAX_CERTIFICATES})`);
    for (const cert of all) if (cert.tag === 0x30) certificates.push(cert.raw);
    index++;
  }
  if (fields[index]?.tag === 0xa1) index++; // crls
  const signerInfos = children(expectTag(fields[index], 0x31, 'signerInfos'), 'signerInfos', limits);
  if (signerInfos.length !== 1) throw new EnvelopeError('signature', `expected one signer, found ${signerInfos.length}`);
  const signers = signerInfos.map((info) => parseSigner(info, limits));
  return { contentType, content, certificates, signers };
}

function parseSigner(element: Element, limits: ReadLimits): ParsedSigner {
  const fields = children(expectTag(element, 0x30, 'SignerInfo'), 'SignerInfo', limits);
  const sid = fields[1];
  let issuerAndSerial: Uint8Array | undefined;
  let subjectKeyId: Uint8Array | undefined;
  if (sid?.tag === 0x30) issuerAndSerial = sid.raw;
  else if (sid?.tag === 0x80) subjectKeyId = sid.value;
  else throw new EnvelopeError('malformed', 'SignerInfo.sid is neither issuerAndSerialNumber nor subjectKeyIdentifier');
  const digestAlgorithm = readOid(children(expectTag(fields[2], 0x30, 'digestAlgorithm'), 'digestAlgorithm', limits)[0], 'digestAlgorithm');
  let index = 3;
  const attrsElement = fields[index]?.tag === 0xa0 ? (fields[index++] as Element) : undefined;
  if (!attrsElement) throw new EnvelopeError('signature', 'SignerInfo has no signed attributes (required: contentType and messageDigest)');
  const signatureAlgorithm = readOid(children(expectTag(fields[index++], 0x30, 'signatureAlgorithm'), 'signatureAlgorithm', limits)[0], 'signatureAlgorithm');
  const signature = expectTag(fields[index], 0x04, 'signature').value;
  const attributes = new Map<string, Element[]>();
  for (const attr of children(attrsElement, 'signedAttrs', limits)) {
    const [type, values] = children(expectTag(attr, 0x30, 'Attribute'), 'Attribute', limits);
    const id = readOid(type, 'Attribute.attrType');
    if (attributes.has(id)) throw new EnvelopeError('signature', `signed attribute ${id} appears twice`);
    attributes.set(id, children(expectTag(values, 0x31, 'attrValues'), 'attrValues', limits));
  }
  // What was signed is the attributes with an explicit SET OF tag (RFC 5652 §5.4).
  const signedAttributes = new Uint8Array(attrsElement.raw);
  signedAttributes[0] = 0x31;
  return { issuerAndSerial, subjectKeyId, digestAlgorithm, signedAttributes, attributes, signatureAlgorithm, signature };
}

/** The single value of a signed attribute, or undefined. More than one value is a signature error. */
export function singleAttribute(signer: ParsedSigner, type: string): Element | undefined {
  const values = signer.attributes.get(type);
  if (!values) return undefined;
  if (values.length !== 1) throw new EnvelopeError('signature', `signed attribute ${type} must have exactly one value`);
  return values[0];
}

/** Signature algorithm OIDs in SignerInfo we accept, mapped to the key family. */
const SIGNER_ALGORITHMS: Record<string, 'ec' | 'rsa'> = {
  '1.2.840.10045.4.3.2': 'ec',
  '1.2.840.10045.4.3.3': 'ec',
  '1.2.840.10045.4.3.4': 'ec',
  [OID.rsaEncryption]: 'rsa',
  [OID.sha256WithRsa]: 'rsa',
  '1.2.840.113549.1.1.12': 'rsa',
  '1.2.840.113549.1.1.13': 'rsa',
};

/** X.509 signature OID for the digest and key family (CMS may name rsaEncryption alone, RFC 3370 §3.2). */
function certStyleAlgorithm(signer: ParsedSigner, kind: 'ec' | 'rsa'): string {
  if (signer.signatureAlgorithm !== OID.rsaEncryption) return signer.signatureAlgorithm;
  const byDigest: Record<string, string> = { [OID.sha256]: OID.sha256WithRsa, [OID.sha384]: '1.2.840.113549.1.1.12', [OID.sha512]: '1.2.840.113549.1.1.13' };
  return kind === 'rsa' ? (byDigest[signer.digestAlgorithm] ?? '') : '';
}

/**
 * Verifies the one signer of `parsed`: finds its certificate among SignedData.certificates,
 * checks contentType and messageDigest attributes and the signature over the signed attributes.
 * Resolves to the signer certificate. Throws `ERR_ENVELOPE_SIGNATURE` or `ERR_ENVELOPE_UNSUPPORTED`.
 */
export async function verifySigner(parsed: ParsedSignedData): Promise<{ signer: ParsedSigner; certificate: CertInfo }> {
  if (parsed.signers.length !== 1) throw new EnvelopeError('signature', `expected one signer, found ${parsed.signers.length}`);
  const signer = parsed.signers[0] as ParsedSigner;
  const hash = DIGESTS[signer.digestAlgorithm];
  if (!hash || hash === 'SHA-1') throw new EnvelopeError('unsupported', `digest algorithm ${signer.digestAlgorithm} is not accepted (SHA-256, SHA-384 or SHA-512)`);
  const kind = SIGNER_ALGORITHMS[signer.signatureAlgorithm];
  if (!kind) throw new EnvelopeError('unsupported', `signature algorithm ${signer.signatureAlgorithm} is not supported`);
  let certificate: CertInfo | undefined;
  for (const der of parsed.certificates) {
    let info: CertInfo;
    try {
      info = certInfo(der);
    } catch {
      continue;
    }
    if (signer.issuerAndSerial ? equalBytes(info.issuerAndSerial, signer.issuerAndSerial) : info.subjectKeyId && signer.subjectKeyId && equalBytes(info.subjectKeyId, signer.subjectKeyId)) {
      certificate = info;
      break;
    }
  }
  if (!certificate) throw new EnvelopeError('signature', "the signer's certificate is not included in the message");
  const contentType = singleAttribute(signer, OID.contentType);
  if (!contentType || readOid(contentType, 'contentType attribute') !== parsed.contentType) throw new EnvelopeError('signature', 'the signed contentType attribute is missing or does not match eContentType');
  const messageDigest = singleAttribute(signer, OID.messageDigest);
  if (!messageDigest || messageDigest.tag !== 0x04) throw new EnvelopeError('signature', 'the signed messageDigest attribute is missing');
  const digest = new Uint8Array(await subtle().digest(hash, bs(parsed.content)));
  if (!equalBytes(digest, messageDigest.value)) throw new EnvelopeError('signature', 'the content does not match the signed messageDigest');
  const ok = await verifyWith(certificate, certStyleAlgorithm(signer, kind), signer.signedAttributes, signer.signature);
  if (!ok) throw new EnvelopeError('signature', `the signature by '${certificate.subject}' does not verify`);
  return { signer, certificate };
}
