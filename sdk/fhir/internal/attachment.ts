import type { Attachment, Narrative } from '@medplum/fhirtypes';
import type { Content } from '../content.js';
import { bytesToBase64, utf8 } from './base64.js';

/** Content → an inline FHIR Attachment (base64 data, size in bytes). */
export function toAttachment(content: Content, creation?: string): Attachment {
  const bytes = typeof content.data === 'string' ? utf8(content.data) : content.data;
  const attachment: Attachment = { contentType: content.contentType, data: bytesToBase64(bytes), size: bytes.byteLength };
  if (content.title !== undefined) attachment.title = content.title;
  if (creation !== undefined) attachment.creation = creation;
  return attachment;
}

const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Plain text → a FHIR narrative (XHTML div, one <p> per paragraph, text escaped). */
export function narrative(text: string, status: Narrative['status'] = 'generated'): Narrative {
  const paragraphs = text
    .split(/\r?\n\s*\r?\n/)
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => `<p>${escapeXml(p).replace(/\r?\n/g, '<br/>')}</p>`);
  return { status, div: `<div xmlns="http://www.w3.org/1999/xhtml">${paragraphs.join('') || '<p/>'}</div>` };
}

/** Today's instant as FHIR wants it (ISO 8601 with Z; never a local time without offset). */
export function instant(date: Date): string {
  return date.toISOString();
}

/** A new random UUID (RFC 4122 v4) from WebCrypto, available in pages, workers and Node 20+. */
export function randomUuid(): string {
  return crypto.randomUUID();
}
