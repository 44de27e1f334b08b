import type { Identity } from '../crypto/index.js';
import { toBase64 } from '../crypto/internal/bytes.js';
import { toBase64Url, utf8 } from './internal/base64url.js';
import { ANSWER_JWS_TYPE } from './names.js';
import { subtle } from '../crypto/internal/subtle.js';

/** Options for {@link signAnswer}. */
export interface SignAnswerOptions {
  /** Signing time. Default now. */
  now?: Date;
}

/**
 * Signs a directory answer: a detached JWS (RFC 7515 appendix F, compact form with an empty
 * payload) over the exact response body bytes. The protected header names the algorithm (ES256 for
 * P-256 keys, RS256 for RSA), `typ` `sealpost-directory+jws`, the signer's certificate chain in
 * `x5c`, the signing time `iat` (seconds) and `url`, the request path and query answered, so an
 * answer cannot be replayed for another question. Returns the header value
 * (`BASE64URL(header)..BASE64URL(signature)`) for `X-Sealpost-Signature`.
 *
 * @example
 * reply.header(SIGNATURE_HEADER, await signAnswer(body, request.url, relayIdentity));
 */
export async function signAnswer(body: Uint8Array | string, url: string, signer: Identity, options: SignAnswerOptions = {}): Promise<string> {
  const algorithm = signer.signingKey.algorithm.name;
  const alg = algorithm === 'ECDSA' ? 'ES256' : algorithm === 'RSASSA-PKCS1-v1_5' ? 'RS256' : undefined;
  if (alg === undefined) throw new TypeError(`signAnswer: cannot sign with a ${algorithm} key`);
  const header = {
    alg,
    typ: ANSWER_JWS_TYPE,
    x5c: [signer.certificate, ...signer.chain].map(toBase64),
    iat: Math.floor((options.now ?? new Date()).getTime() / 1000),
    url,
  };
  const protectedPart = toBase64Url(utf8(JSON.stringify(header)));
  const payload = toBase64Url(typeof body === 'string' ? utf8(body) : body);
  const params = alg === 'ES256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' };
  // WebCrypto ECDSA signatures are already r||s (IEEE P1363), the form JWS ES256 uses.
  const signature = new Uint8Array(await subtle().sign(params, signer.signingKey, utf8(`${protectedPart}.${payload}`) as Uint8Array<ArrayBuffer>));
  return `${protectedPart}..${toBase64Url(signature)}`;
}
