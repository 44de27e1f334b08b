/**
 * A small DER writer and a bounded BER/DER reader for the CMS structures the envelope uses.
 *
 * Why not asn1js for these: the payload of an envelope is up to 64 MiB and asn1js copies every
 * value into its own objects (and refuses values over 16 MiB unless `fromBER` is given explicit
 * limits). Here a value is a `subarray` view of the input, so reading a 50 MB envelope allocates
 * nothing per byte. The reader only walks the structure the caller asks for, never recursively
 * through unknown input, so deep nesting cannot exhaust the stack, and every length is checked
 * against the bytes that are actually there before anything is allocated.
 */
import { EnvelopeError } from '../errors.js';

const encoder = new TextEncoder();

/** Concatenates byte arrays into one new array. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** The DER header (identifier and definite length) for a value of `length` bytes. */
export function header(tag: number, length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(tag, length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Uint8Array.of(tag, 0x80 | bytes.length, ...bytes);
}

/** One TLV whose value is the concatenation of `parts`. */
export function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  return concat(header(tag, length), ...parts);
}

export const sequence = (...parts: Uint8Array[]): Uint8Array => tlv(0x30, ...parts);
export const octetString = (value: Uint8Array): Uint8Array => tlv(0x04, value);
export const utf8String = (value: string): Uint8Array => tlv(0x0c, encoder.encode(value));
export const nullValue = (): Uint8Array => Uint8Array.of(0x05, 0x00);
export const bitString = (value: Uint8Array): Uint8Array => tlv(0x03, Uint8Array.of(0), value);
/** Context-specific constructed tag `[n]` (EXPLICIT, or IMPLICIT over a constructed type). */
export const contextConstructed = (n: number, ...parts: Uint8Array[]): Uint8Array => tlv(0xa0 | n, ...parts);
/** Context-specific primitive tag `[n]` (IMPLICIT over a primitive type). */
export const contextPrimitive = (n: number, value: Uint8Array): Uint8Array => tlv(0x80 | n, value);

/** A DER `SET OF`: elements sorted by their encodings (X.690 §11.6), as signed attributes require. */
export function setOf(elements: Uint8Array[]): Uint8Array {
  const sorted = [...elements].sort(compareBytes);
  return tlv(0x31, ...sorted);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** A DER INTEGER from a non-negative number or from unsigned big-endian bytes. */
export function integer(value: number | Uint8Array): Uint8Array {
  let bytes: Uint8Array;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`integer: ${value} is not a non-negative safe integer`);
    const list: number[] = [];
    for (let n = value; n > 0; n = Math.floor(n / 256)) list.unshift(n % 256);
    bytes = Uint8Array.from(list.length === 0 ? [0] : list);
  } else {
    let start = 0;
    while (start < value.length - 1 && value[start] === 0) start++;
    bytes = value.subarray(start);
    if (bytes.length === 0) bytes = Uint8Array.of(0);
  }
  if ((bytes[0] as number) & 0x80) bytes = concat(Uint8Array.of(0), bytes);
  return tlv(0x02, bytes);
}

/** Encoded OIDs by dotted form: a receipt or envelope writes a dozen, the same ones every time. */
const oidCache = new Map<string, Uint8Array>();
/** Bound on {@link oidCache}: dotted forms can come from a received message (its content type). */
const OID_CACHE_LIMIT = 256;

/** A DER OBJECT IDENTIFIER from its dotted form. The result is shared: callers must not write into it. */
export function oid(dotted: string): Uint8Array {
  const cached = oidCache.get(dotted);
  if (cached) return cached;
  const arcs = dotted.split('.').map((arc) => BigInt(arc));
  if (arcs.length < 2) throw new RangeError(`oid: '${dotted}' has fewer than two arcs`);
  const out: number[] = [];
  const first = (arcs[0] as bigint) * 40n + (arcs[1] as bigint);
  for (const arc of [first, ...arcs.slice(2)]) {
    const chunk: number[] = [Number(arc & 0x7fn)];
    for (let n = arc >> 7n; n > 0n; n >>= 7n) chunk.unshift(Number(n & 0x7fn) | 0x80);
    out.push(...chunk);
  }
  const encoded = tlv(0x06, Uint8Array.from(out));
  if (oidCache.size < OID_CACHE_LIMIT) oidCache.set(dotted, encoded);
  return encoded;
}

/** A GeneralizedTime in the DER form `YYYYMMDDHHMMSSZ` (seconds precision, UTC). */
export function generalizedTime(date: Date): Uint8Array {
  return tlv(0x18, encoder.encode(date.toISOString().replace(/[-:T]/g, '').replace(/\.\d{3}Z$/, 'Z')));
}

/** A UTCTime (years 1950–2049, RFC 5280 §4.1.2.5), else a GeneralizedTime, as RFC 5652 signingTime asks. */
export function time(date: Date): Uint8Array {
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 2049) return generalizedTime(date);
  return tlv(0x17, encoder.encode(date.toISOString().slice(2).replace(/[-:T]/g, '').replace(/\.\d{3}Z$/, 'Z')));
}

/** An AlgorithmIdentifier; `parameters` undefined leaves them absent. */
export function algorithm(dotted: string, parameters?: Uint8Array): Uint8Array {
  return parameters ? sequence(oid(dotted), parameters) : sequence(oid(dotted));
}

// ---------------------------------------------------------------------------------------------
// Reader

/** One element read from a buffer. `value` is a view into the input, never a copy. */
export interface Element {
  /** The identifier octet (tags above 30 are refused: CMS never uses them). */
  tag: number;
  /** The whole TLV (header + value) as a view; for indefinite lengths it includes the end-of-contents octets. */
  raw: Uint8Array;
  /** The value octets as a view. */
  value: Uint8Array;
  /** Offset of the element in the buffer it was read from (for error messages). */
  offset: number;
  /** True when the element used the BER indefinite-length form. */
  indefinite: boolean;
}

/** Limits for reading untrusted input. */
export interface ReadLimits {
  /** Maximum nesting when skipping over indefinite-length values. Default 64. */
  maxDepth: number;
  /**
   * Accept only DER (X.690 §10): definite, minimal lengths. For signature values, where BER's
   * alternative encodings would make signatures malleable. Default false (CMS allows BER).
   */
  strictDer?: boolean;
  /**
   * Most children `children()` returns for one element. Default 10 000: no CMS set we read
   * (recipient infos, certificates, attributes, bags) comes near it, and a SET of millions of
   * two-byte NULLs must not become millions of objects.
   */
  maxChildren?: number;
  /**
   * Shared count of elements the reader may still visit, decremented on every element read.
   * BER indefinite lengths make the reader walk children to find an end, so without a budget
   * tens of millions of two-byte elements would cost minutes. Absent: no budget.
   */
  budget?: { left: number };
}

const defaultLimits: ReadLimits = { maxDepth: 64 };
const DEFAULT_MAX_CHILDREN = 10_000;

function malformed(where: string, offset: number, what: string): EnvelopeError {
  return new EnvelopeError('malformed', `${where}: ${what} at byte ${offset}`);
}

/**
 * Reads the element starting at `offset` of `bytes`. Lengths are checked against the bytes
 * present, so a claimed length of 4 GiB in a 100-byte input fails at once instead of allocating.
 */
export function readElement(bytes: Uint8Array, offset: number, where: string, limits: ReadLimits = defaultLimits, depth = 0): Element {
  if (depth > limits.maxDepth) throw malformed(where, offset, `nesting deeper than ${limits.maxDepth}`);
  if (limits.budget && --limits.budget.left < 0) throw malformed(where, offset, 'too many elements to read');
  if (offset + 2 > bytes.length) throw malformed(where, offset, 'truncated header');
  const tag = bytes[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw malformed(where, offset, 'high tag number form');
  const first = bytes[offset + 1] as number;
  let position = offset + 2;
  if (first === 0x80) {
    if (limits.strictDer) throw malformed(where, offset, 'indefinite length in DER');
    if ((tag & 0x20) === 0) throw malformed(where, offset, 'indefinite length on a primitive value');
    // BER indefinite length (OpenSSL streaming output): walk children until end-of-contents.
    let cursor = position;
    for (;;) {
      if (cursor + 2 > bytes.length) throw malformed(where, cursor, 'missing end-of-contents');
      if (bytes[cursor] === 0 && bytes[cursor + 1] === 0) break;
      const child = readElement(bytes, cursor, where, limits, depth + 1);
      cursor += child.raw.length;
    }
    return { tag, raw: bytes.subarray(offset, cursor + 2), value: bytes.subarray(position, cursor), offset, indefinite: true };
  }
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count > 4) throw malformed(where, offset, `length of ${count} octets`);
    if (position + count > bytes.length) throw malformed(where, offset, 'truncated length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[position + i] as number);
    if (limits.strictDer && (length < 0x80 || bytes[position] === 0)) throw malformed(where, offset, 'non-minimal length in DER');
    position += count;
  }
  if (position + length > bytes.length) throw malformed(where, offset, `length ${length} runs past the end of the input (${bytes.length - position} bytes left)`);
  return { tag, raw: bytes.subarray(offset, position + length), value: bytes.subarray(position, position + length), offset, indefinite: false };
}

/** Reads all the children of a constructed element. */
export function children(element: Element, where: string, limits: ReadLimits = defaultLimits): Element[] {
  if ((element.tag & 0x20) === 0) throw malformed(where, element.offset, `tag 0x${element.tag.toString(16)} is not constructed`);
  const out: Element[] = [];
  const base = element.value;
  const maxChildren = limits.maxChildren ?? DEFAULT_MAX_CHILDREN;
  let cursor = 0;
  while (cursor < base.length) {
    if (out.length >= maxChildren) throw malformed(where, element.offset, `more than ${maxChildren} elements`);
    const child = readElement(base, cursor, where, limits);
    out.push({ ...child, offset: element.offset + (element.raw.length - element.value.length - (element.indefinite ? 2 : 0)) + cursor });
    cursor += child.raw.length;
  }
  return out;
}

/** Reads a whole input as exactly one element (no trailing bytes). */
export function readRoot(bytes: Uint8Array, where: string, limits?: ReadLimits): Element {
  const element = readElement(bytes, 0, where, limits);
  if (element.raw.length !== bytes.length) throw malformed(where, element.raw.length, 'trailing bytes');
  return element;
}

/** Asserts an element's tag. */
export function expectTag(element: Element | undefined, tag: number, where: string): Element {
  if (!element) throw new EnvelopeError('malformed', `${where}: missing element`);
  if (element.tag !== tag) throw malformed(where, element.offset, `expected tag 0x${tag.toString(16)}, found 0x${element.tag.toString(16)}`);
  return element;
}

/** Decodes an OBJECT IDENTIFIER to its dotted form. */
export function readOid(element: Element | undefined, where: string): string {
  const value = expectTag(element, 0x06, where).value;
  if (value.length === 0 || value.length > 64) throw malformed(where, element?.offset ?? 0, 'bad OID length');
  const arcs: bigint[] = [];
  let arc = 0n;
  for (const byte of value) {
    arc = (arc << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(arc);
      arc = 0n;
    }
  }
  const first = arcs.shift() ?? 0n;
  const head = first < 80n ? [first / 40n, first % 40n] : [2n, first - 80n];
  return [...head, ...arcs].join('.');
}

/** Decodes a small non-negative INTEGER (versions, lengths). */
export function readSmallInteger(element: Element | undefined, where: string): number {
  const value = expectTag(element, 0x02, where).value;
  if (value.length === 0 || value.length > 6 || ((value[0] as number) & 0x80)) throw malformed(where, element?.offset ?? 0, 'integer out of range');
  let n = 0;
  for (const byte of value) n = n * 256 + byte;
  return n;
}

/**
 * The content octets of an OCTET STRING, joining the segments of a BER constructed OCTET STRING
 * (OpenSSL streams large content that way). A primitive OCTET STRING, or a constructed one with
 * a single segment, is returned as a view. Segments are walked twice (measure, then copy) instead
 * of being collected, so millions of empty segments cost time, not memory. A joined result is
 * allocated with `spare` more bytes after it (in its buffer, outside the returned view), so a
 * caller can append to it without another copy.
 */
export function readOctets(element: Element, where: string, limits: ReadLimits = defaultLimits, spare = 0): Uint8Array {
  if ((element.tag & 0x20) === 0) return element.value;
  const primitive = element.tag & 0xdf;
  let total = 0;
  let count = 0;
  let only: Uint8Array = new Uint8Array(0);
  walkSegments(element.value, primitive, where, limits, 1, (segment) => {
    total += segment.length;
    count++;
    only = segment;
  });
  if (count === 1) return only;
  const out = new Uint8Array(total + spare).subarray(0, total);
  let offset = 0;
  walkSegments(element.value, primitive, where, limits, 1, (segment) => {
    out.set(segment, offset);
    offset += segment.length;
  });
  return out;
}

function walkSegments(value: Uint8Array, primitive: number, where: string, limits: ReadLimits, depth: number, visit: (segment: Uint8Array) => void): void {
  if (depth > limits.maxDepth) throw new EnvelopeError('malformed', `${where}: constructed string nested too deep`);
  let cursor = 0;
  while (cursor < value.length) {
    const child = readElement(value, cursor, where, limits);
    if ((child.tag & 0xdf) !== 0x04 && (child.tag & 0xdf) !== primitive) throw malformed(where, cursor, 'unexpected segment in constructed string');
    if (child.tag & 0x20) walkSegments(child.value, primitive, where, limits, depth + 1, visit);
    else visit(child.value);
    cursor += child.raw.length;
  }
}

/** Decodes a UTCTime or GeneralizedTime. */
export function readTime(element: Element | undefined, where: string): Date {
  if (!element || (element.tag !== 0x17 && element.tag !== 0x18)) throw new EnvelopeError('malformed', `${where}: expected a time`);
  const text = new TextDecoder().decode(element.value);
  const match = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?Z$/.exec(text);
  if (!match) throw malformed(where, element.offset, `bad time '${text}'`);
  let year = Number(match[1]);
  if (element.tag === 0x17) year += year < 50 ? 2000 : 1900;
  return new Date(Date.UTC(year, Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6] ?? 0)));
}
