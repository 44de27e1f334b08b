import { decodeBase64, decodeQuotedPrintable } from './decode.js';
import type { DecodeContext } from './decode.js';

/** One body found inside a MIME entity (RFC 2045/2046): its bytes, media type and file name. */
export interface MimePart {
  bytes: Uint8Array;
  mediaType: string;
  filename?: string;
}

const HEADER_START = /^(?:MIME-Version|Content-Type|Content-Transfer-Encoding|Content-Disposition|Content-ID|Content-Description)[ \t]*:/i;

/**
 * True when `bytes` starts like a MIME entity (a known Content-* or MIME-Version header). Only the
 * first bytes are looked at, so a PDF or an image is never mistaken for one.
 */
export function looksLikeMime(bytes: Uint8Array): boolean {
  return HEADER_START.test(latin1(bytes.subarray(0, 64)));
}

function latin1(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i] as number);
  return text;
}

/** Headers longer than this are not a MIME wrapper but data that happens to start like one. */
const MAX_HEADER_BYTES = 64 * 1024;

/** Index just after the blank line that ends the header block, or -1 within the first 64 KiB. */
function headerEnd(bytes: Uint8Array): number {
  const limit = Math.min(bytes.length, MAX_HEADER_BYTES);
  for (let i = 0; i < limit; i++) {
    if (bytes[i] !== 0x0a) continue;
    if (bytes[i + 1] === 0x0a) return i + 2;
    if (bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

interface Headers {
  [name: string]: string;
}

function parseHeaders(text: string): Headers {
  const headers: Headers = {};
  // Unfold continuation lines (RFC 5322 §2.2.3) before splitting.
  for (const line of text.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

function parameter(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  const match = new RegExp(`;\\s*${name}\\*?\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(header);
  return match ? (match[1] ?? match[2]) : undefined;
}

/**
 * Unwraps a MIME entity into its leaf bodies: a single-part entity gives one part, a multipart one
 * gives every leaf part in order (a part without headers is text/plain, RFC 2046 §5.1.1). Bodies
 * are sub-arrays of `bytes` unless a transfer encoding forces decoding. `undefined` when no blank
 * line ends a header block within 64 KiB: then it is not a MIME entity. Throws `ERR_HL7_EMBEDDED`
 * (from the base64 decoder) on a corrupt body.
 */
export function unwrapMime(bytes: Uint8Array, context: DecodeContext, depth = 0): MimePart[] | undefined {
  const end = headerEnd(bytes);
  if (end < 0) return undefined;
  const headers = parseHeaders(latin1(bytes.subarray(0, end)));
  const body = bytes.subarray(end);
  const contentType = headers['content-type'] ?? 'text/plain';
  const declared = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  // Only a well-formed type/subtype is passed on: the value names files and picks viewers.
  const mediaType = declared === '' ? 'text/plain' : /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(declared) ? declared : 'application/octet-stream';
  const boundary = parameter(contentType, 'boundary');
  if (mediaType.startsWith('multipart/') && boundary && depth < 8) {
    return splitMultipart(body, boundary).flatMap((part) => unwrapMime(part, context, depth + 1) ?? [{ bytes: part, mediaType: 'text/plain' }]);
  }
  const encoding = (headers['content-transfer-encoding'] ?? '').toLowerCase();
  let decoded = body;
  if (encoding === 'base64') decoded = decodeBase64([body], context);
  else if (encoding === 'quoted-printable') decoded = decodeQuotedPrintable(body);
  const filename = parameter(headers['content-disposition'], 'filename') ?? parameter(contentType, 'name');
  return [filename === undefined ? { bytes: decoded, mediaType } : { bytes: decoded, mediaType, filename }];
}

/** Splits a multipart body on `--boundary` delimiter lines (RFC 2046 §5.1.1). */
function splitMultipart(body: Uint8Array, boundary: string): Uint8Array[] {
  const delimiter = new TextEncoder().encode('--' + boundary);
  const starts: number[] = [];
  outer: for (let i = 0; i + delimiter.length <= body.length; i++) {
    if (i > 0 && body[i - 1] !== 0x0a) continue;
    for (let j = 0; j < delimiter.length; j++) if (body[i + j] !== delimiter[j]) continue outer;
    starts.push(i);
  }
  const parts: Uint8Array[] = [];
  for (let k = 0; k + 1 < starts.length; k++) {
    let from = (starts[k] as number) + delimiter.length;
    while (from < body.length && body[from] !== 0x0a) from++; // rest of the delimiter line
    from++;
    let to = starts[k + 1] as number;
    if (body[to - 1] === 0x0a) to--; // the CRLF before a delimiter belongs to the delimiter
    if (body[to - 1] === 0x0d) to--;
    if (from <= to) parts.push(body.subarray(from, to));
  }
  return parts;
}
