// Base64 without Buffer (sdk/ runs in browsers and MV3 workers). Uint8Array.prototype.toBase64
// is not in Node 20, so this uses btoa/atob over binary strings, in chunks to keep the argument
// list of String.fromCharCode bounded.

/** Bytes → base64 (RFC 4648 §4, with padding), as FHIR's base64Binary wants. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

/** base64 → bytes; throws SyntaxError (from atob) when the text is not base64. Whitespace is ignored. */
export function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text.replace(/[\s]+/g, ''));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a string (a letter given as text). */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}
