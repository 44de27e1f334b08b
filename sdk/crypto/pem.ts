import { fromBase64, toBase64 } from './internal/bytes.js';
import { CryptoError } from './errors.js';

/**
 * Encodes DER bytes as PEM with the given label (`CERTIFICATE`, `ENCRYPTED PRIVATE KEY`, `CMS`),
 * 64 characters a line as RFC 7468 §2 asks.
 */
export function toPem(der: Uint8Array, label: string): string {
  const body = toBase64(der).replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/**
 * Decodes every PEM block with `label` in `text`, in order. Throws `ERR_CRYPTO_PEM` (a
 * {@link CryptoError}) when there is none.
 */
export function fromPem(text: string, label: string): Uint8Array[] {
  const blocks: Uint8Array[] = [];
  const pattern = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g');
  for (const match of text.matchAll(pattern)) blocks.push(fromBase64(match[1] ?? ''));
  if (blocks.length === 0) throw new CryptoError('ERR_CRYPTO_PEM', `no '${label}' PEM block found`);
  return blocks;
}
