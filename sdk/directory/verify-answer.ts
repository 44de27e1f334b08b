import { validateChain } from '../crypto/index.js';
import type { TrustStore } from '../crypto/index.js';
import { certInfo, importCertKey } from '../crypto/internal/cert.js';
import { fromBase64 } from '../crypto/internal/bytes.js';
import { DirectoryError } from './errors.js';
import { fromBase64Url, toBase64Url, utf8 } from './internal/base64url.js';
import { ANSWER_JWS_TYPE } from './names.js';
import { subtle } from '../crypto/internal/subtle.js';

/** Options for {@link verifyAnswer}. */
export interface VerifyAnswerOptions {
  /** Anchors (or pinned relay certificates) the signing relay must chain to. */
  trust: TrustStore;
  /** The URL requested (absolute or path + query): must be what the signature says was answered. */
  url: string;
  /** Verification time. Default now. */
  now?: Date;
  /** Oldest acceptable signature, seconds. Default 900 (answers are signed as they are served). */
  maxAgeSeconds?: number;
  /** Named in errors. */
  directory?: string;
}

/** A verified answer: who signed it and when. */
export interface VerifiedAnswer {
  /** The relay certificate that signed (DER). */
  certificate: Uint8Array;
  /** Its subject, e.g. `CN=relay.harbourside.example`. */
  signer: string;
  signedAt: Date;
}

const pathAndQuery = (url: string): string => {
  const parsed = new URL(url, 'http://x');
  return parsed.pathname + parsed.search;
};

/**
 * Verifies the detached JWS a relay put on a directory answer ({@link signAnswer}) against the
 * exact body bytes: signature, `typ`, the URL answered, the signing time (not older than
 * `maxAgeSeconds`, not more than 5 minutes ahead) and the signer's chain against `trust`
 * (use `sign`). Throws DirectoryError `ERR_DIRECTORY_SIGNATURE` (missing, malformed, wrong
 * signature, other URL, stale) or `ERR_DIRECTORY_UNTRUSTED` (chain fails; `cause` is the ChainError).
 */
export async function verifyAnswer(body: Uint8Array, header: string | null | undefined, options: VerifyAnswerOptions): Promise<VerifiedAnswer> {
  const fail = (message: string, cause?: unknown): never => {
    throw new DirectoryError('ERR_DIRECTORY_SIGNATURE', message, { cause, ...(options.directory ? { directory: options.directory } : {}) });
  };
  if (!header) return fail('the directory answer is not signed');
  const parts = header.trim().split('.');
  if (parts.length !== 3 || parts[1] !== '') return fail('the directory signature is not a detached compact JWS');
  const [protectedPart, , signaturePart] = parts as [string, string, string];
  let jose: { alg?: unknown; typ?: unknown; x5c?: unknown; iat?: unknown; url?: unknown };
  let signature: Uint8Array;
  try {
    jose = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromBase64Url(protectedPart))) as typeof jose;
    signature = fromBase64Url(signaturePart);
  } catch (error) {
    return fail('the directory signature header is malformed', error);
  }
  if (jose.typ !== ANSWER_JWS_TYPE) return fail(`the directory signature has typ '${String(jose.typ)}', expected '${ANSWER_JWS_TYPE}'`);
  if (jose.alg !== 'ES256' && jose.alg !== 'RS256') return fail(`the directory signature algorithm '${String(jose.alg)}' is not accepted`);
  if (typeof jose.url !== 'string' || pathAndQuery(jose.url) !== pathAndQuery(options.url)) return fail(`the directory answer was signed for '${String(jose.url)}', not for '${pathAndQuery(options.url)}'`);
  const now = options.now ?? new Date();
  if (typeof jose.iat !== 'number') return fail('the directory signature has no time');
  const age = now.getTime() / 1000 - jose.iat;
  if (age > (options.maxAgeSeconds ?? 900)) return fail(`the directory answer was signed ${Math.round(age)} s ago: too old`);
  if (age < -300) return fail('the directory answer is signed in the future');
  if (!Array.isArray(jose.x5c) || jose.x5c.length === 0 || !jose.x5c.every((c) => typeof c === 'string')) return fail('the directory signature carries no certificate (x5c)');
  const chain = (jose.x5c as string[]).map((c) => fromBase64(c));
  const leaf = chain[0]!;
  try {
    await validateChain(leaf, options.trust, { use: 'sign', intermediates: chain.slice(1), at: now });
  } catch (error) {
    throw new DirectoryError('ERR_DIRECTORY_UNTRUSTED', `the directory signer is not trusted: ${(error as Error).message}`, { cause: error, ...(options.directory ? { directory: options.directory } : {}) });
  }
  const info = certInfo(leaf);
  if ((jose.alg === 'ES256') !== (info.kind === 'ec')) return fail(`algorithm ${jose.alg} does not match the signer's ${info.kind.toUpperCase()} key`);
  const key = await importCertKey(info, 'verify');
  const params = info.kind === 'ec' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' };
  const input = utf8(`${protectedPart}.${toBase64Url(body)}`);
  const ok = await subtle().verify(params, key, signature as Uint8Array<ArrayBuffer>, input as Uint8Array<ArrayBuffer>);
  if (!ok) return fail('the directory answer does not match its signature (altered in transit?)');
  return { certificate: leaf, signer: info.subject, signedAt: new Date(jose.iat * 1000) };
}
