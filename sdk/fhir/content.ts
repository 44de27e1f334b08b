/** A letter or file to carry: bytes (or text, sent as UTF-8) with its MIME type. */
export interface Content {
  /** MIME type, e.g. 'application/pdf', 'text/plain', 'text/html', 'application/rtf'. */
  contentType: string;
  /** The bytes; a string is encoded as UTF-8. */
  data: Uint8Array | string;
  /** A title for the attachment (file name or document title). */
  title?: string;
}
