import { SealpostError } from '../../errors.js';
import { unescapeText } from '../escape.js';
import type { Hl7Message } from '../message.js';
import type { Hl7Segment } from '../segment.js';
import { decodeBase64, decodeHex } from './decode.js';
import { looksLikeMime, unwrapMime } from './mime.js';

/** A document carried as ED (encapsulated data) in OBX-5, decoded to its bytes. */
export interface EmbeddedDocument {
  /** The decoded document. For MIME-wrapped payloads, the body without the MIME headers. */
  readonly bytes: Uint8Array;
  /** Lower-case media type, e.g. `application/pdf`, from ED-2/ED-3, MIME headers, or sniffed. */
  readonly mediaType: string;
  /** File name when the payload names one (MIME Content-Disposition or Content-Type `name`). */
  readonly filename?: string;
  /** OBX-3.1 (observation identifier), decoded, e.g. `PDF` for an AU PDF display segment. */
  readonly observationId: string;
  /** OBX-3.2 (observation text), decoded, e.g. `Display format in PDF`. */
  readonly observationText: string;
  /** 1-based indexes, within the message, of the OBX segments that carried the document. */
  readonly segments: readonly number[];
  /** ED-4 as sent: `Base64`, `Hex` or `A`. */
  readonly encoding: string;
}

/** Options of {@link extractDocuments}. */
export interface ExtractDocumentsOptions {
  /**
   * Largest accepted total size, in characters, of the encoded data of one document (default
   * 128 MiB, like the parser). Larger payloads throw `ERR_HL7_TOO_LARGE`.
   */
  maxEncodedLength?: number;
}

const DEFAULT_MAX = 128 * 1024 * 1024;

/** HL7 table 0191 (type of referenced data) and MIME top-level types, lower case → MIME type. */
const TYPES: Record<string, string> = {
  ap: 'application',
  application: 'application',
  au: 'audio',
  audio: 'audio',
  im: 'image',
  image: 'image',
  text: 'text',
  tx: 'text',
  video: 'video',
  multipart: 'multipart',
  model: 'model',
};

/** ED-3 subtypes seen in the wild → MIME subtype, for senders that use HL7 table 0291 codes. */
const SUBTYPES: Record<string, string> = { jpg: 'jpeg', tif: 'tiff', txt: 'plain', htm: 'html', xml: 'xml', rtf: 'rtf', pdf: 'pdf' };

interface Part {
  segmentNumber: number;
  typeOfData: string;
  subtype: string;
  encoding: string;
  data: string;
}

/**
 * Extracts every document carried as ED data in OBX-5 (OBX-2 = `ED`), in message order.
 *
 * - Encodings `Base64` and `Hex` are decoded straight from the message text into one buffer; `A`
 *   (text) is taken as its unescaped text in UTF-8.
 * - A document split across consecutive OBX segments with the same OBX-3 and the same non-empty
 *   OBX-4 (sub-ID), or whose later segments leave ED-2 and ED-4 empty (`^^^^data`), or across
 *   repetitions of OBX-5 whose later repetitions leave ED-2 empty, is joined into one document.
 * - A payload that is itself a MIME entity (headers, blank line, body) is unwrapped: media type
 *   and file name come from its headers, and a multipart entity gives one document per leaf part.
 * - Without a usable ED-2/ED-3 the media type is sniffed (PDF, RTF, HTML, PNG, JPEG, XML) and
 *   falls back to `application/octet-stream`.
 *
 * Throws `SealpostError` `ERR_HL7_EMBEDDED` for corrupt encoded data or an unknown ED-4 encoding,
 * and `ERR_HL7_TOO_LARGE` above `maxEncodedLength`.
 *
 * @example
 * const [report] = extractDocuments(parseMessage(bytes));
 * report.mediaType; // 'application/pdf'
 */
export function extractDocuments(message: Hl7Message, options: ExtractDocumentsOptions = {}): EmbeddedDocument[] {
  const max = options.maxEncodedLength ?? DEFAULT_MAX;
  const documents: EmbeddedDocument[] = [];
  const segments = message.segments();
  let group: { key: string; obx: Hl7Segment; parts: Part[] } | undefined;
  const finish = (): void => {
    if (group) documents.push(...decodeGroup(message, group.obx, group.parts, max));
    group = undefined;
  };
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index] as Hl7Segment;
    if (segment.name !== 'OBX' || segment.value(2).toUpperCase() !== 'ED') {
      // An NTE between continuation OBX segments does not break a split document.
      if (segment.name !== 'NTE') finish();
      continue;
    }
    const subId = segment.raw(4);
    const key = `${segment.raw(3)}\u0000${subId}`;
    // A continuation that declares no type and no encoding (`^^^^data`) under the same OBX-3
    // belongs to the document before it, whatever its sub-ID.
    const continues = group !== undefined && segment.raw(3) === group.obx.raw(3) && segment.raw(5, 1, 2) === '' && segment.raw(5, 1, 4) === '';
    if (!group || (!continues && (subId === '' || group.key !== key))) {
      finish();
      group = { key, obx: segment, parts: [] };
    }
    const repetitions = Math.max(segment.repetitionCount(5), 1);
    for (let r = 1; r <= repetitions; r++) {
      const typeOfData = segment.value(5, r, 2);
      const part: Part = {
        segmentNumber: index + 1,
        typeOfData,
        subtype: segment.value(5, r, 3),
        encoding: segment.value(5, r, 4),
        data: segment.raw(5, r, 5),
      };
      if (r > 1 && typeOfData !== '') {
        finish();
        group = { key, obx: segment, parts: [] };
      }
      // A continuation takes the type and encoding of the document's first part.
      if (group.parts.length > 0 && part.typeOfData === '' && part.encoding === '') part.encoding = (group.parts[0] as Part).encoding;
      group.parts.push(part);
    }
  }
  finish();
  return documents;
}

function decodeGroup(message: Hl7Message, obx: Hl7Segment, parts: Part[], max: number): EmbeddedDocument[] {
  const first = parts[0] as Part;
  const where = { where: `OBX ${obx.value(1) || '?'} (segment ${first.segmentNumber})` };
  let total = 0;
  for (const part of parts) total += part.data.length;
  if (total > max) {
    throw new SealpostError('ERR_HL7_TOO_LARGE', `${where.where}: embedded document of ${total} encoded characters exceeds the limit of ${max}`);
  }
  const escape = message.delimiters.escape;
  // Escapes inside encoded data are legal (a line break written as \.br\ or \X0D0A\); only
  // unescape the parts that contain the escape character, so a clean 10 MB base64 string is
  // decoded in place.
  const data = parts.map((part) => (part.data.includes(escape) ? unescapeText(part.data, message.delimiters, { hexEncoding: message.charset }) : part.data));
  const encoding = first.encoding;
  let bytes: Uint8Array;
  switch (encoding.toLowerCase()) {
    case 'base64':
      bytes = decodeBase64(data, where);
      break;
    case 'hex':
      bytes = decodeHex(data, where);
      break;
    case 'a':
    case '':
      bytes = new TextEncoder().encode(data.join(''));
      break;
    default:
      throw new SealpostError('ERR_HL7_EMBEDDED', `${where.where}: unknown ED encoding '${encoding}' (expected Base64, Hex or A)`);
  }
  const base = {
    observationId: obx.value(3, 1, 1),
    observationText: obx.value(3, 1, 2),
    segments: [...new Set(parts.map((part) => part.segmentNumber))],
    encoding,
  };
  const mime = looksLikeMime(bytes) ? unwrapMime(bytes, where) : undefined;
  if (mime) return mime.map((part) => ({ ...base, ...part }));
  return [{ ...base, bytes, mediaType: mediaTypeOf(first.typeOfData, first.subtype, bytes) }];
}

function mediaTypeOf(typeOfData: string, subtype: string, bytes: Uint8Array): string {
  const type = TYPES[typeOfData.toLowerCase()];
  const sub = subtype.toLowerCase();
  if (type && sub && type !== 'multipart' && /^[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(sub)) return `${type}/${SUBTYPES[sub] ?? sub}`;
  if (!type && SUBTYPES[sub]) return sniff(bytes) ?? `application/${SUBTYPES[sub]}`;
  return sniff(bytes) ?? 'application/octet-stream';
}

function startsWith(bytes: Uint8Array, prefix: string): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix.charCodeAt(i)) return false;
  return true;
}

function sniff(bytes: Uint8Array): string | undefined {
  if (startsWith(bytes, '%PDF-')) return 'application/pdf';
  if (startsWith(bytes, '{\\rtf')) return 'text/rtf';
  if (startsWith(bytes, '\x89PNG\r\n\x1a\n')) return 'image/png';
  if (startsWith(bytes, '\xff\xd8\xff')) return 'image/jpeg';
  const head = String.fromCharCode(...bytes.subarray(0, 64)).trimStart().toLowerCase();
  if (head.startsWith('<!doctype html') || head.startsWith('<html')) return 'text/html';
  if (head.startsWith('<?xml')) return 'application/xml';
  return undefined;
}
