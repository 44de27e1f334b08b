import { AdapterError } from '../errors.js';

/** Options of {@link smartBackendToken}: SMART App Launch 2.x, Backend Services. */
export interface SmartBackendOptions {
  /** The authorization server's token endpoint (from `.well-known/smart-configuration`). */
  tokenUrl: string;
  /** The client_id registered with the EMR. */
  clientId: string;
  /** ECDSA P-384 (ES384) or RSASSA-PKCS1-v1_5 SHA-384 (RS384) private key, as registered through its JWKS. */
  privateKey: CryptoKey;
  /** `kid` of the key in the registered JWKS. */
  keyId: string;
  /** Default `system/Patient.rs system/DocumentReference.cu system/Binary.c system/DiagnosticReport.cu`. */
  scope?: string;
  /** Injected fetch (default the global). */
  fetch?: typeof fetch;
  /** Clock (default now). */
  now?: () => Date;
}

const b64url = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const json64 = (value: unknown): string => b64url(new TextEncoder().encode(JSON.stringify(value)));

/** Signs the client assertion JWT (private_key_jwt, RFC 7523) with WebCrypto. ES384 signatures are raw r‖s, as JWS wants. */
export async function signClientAssertion(options: SmartBackendOptions): Promise<string> {
  const alg = options.privateKey.algorithm.name === 'ECDSA' ? 'ES384' : 'RS384';
  const now = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
  const header = { alg, kid: options.keyId, typ: 'JWT' };
  const claims = { iss: options.clientId, sub: options.clientId, aud: options.tokenUrl, exp: now + 300, iat: now, jti: crypto.randomUUID() };
  const input = `${json64(header)}.${json64(claims)}`;
  const params = alg === 'ES384' ? { name: 'ECDSA', hash: 'SHA-384' } : { name: 'RSASSA-PKCS1-v1_5' };
  const signature = new Uint8Array(await crypto.subtle.sign(params, options.privateKey, new TextEncoder().encode(input)));
  return `${input}.${b64url(signature)}`;
}

/**
 * Returns a function that yields a valid access token, fetching a new one (client_credentials
 * grant with a signed client assertion) when there is none or it expires within 60 s.
 * Throws `ERR_EMR_AUTH` when the token endpoint refuses.
 */
export function smartBackendToken(options: SmartBackendOptions): () => Promise<string> {
  let token: { value: string; until: number } | undefined;
  const now = (): number => (options.now?.() ?? new Date()).getTime();
  return async () => {
    if (token && token.until - 60_000 > now()) return token.value;
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      scope: options.scope ?? 'system/Patient.rs system/DocumentReference.cu system/Binary.c system/DiagnosticReport.cu',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await signClientAssertion(options),
    });
    const response = await (options.fetch ?? fetch)(options.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body, keepalive: false });
    const answer = (await response.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string; error_description?: string };
    if (!response.ok || !answer.access_token) throw new AdapterError('ERR_EMR_AUTH', `token endpoint answered ${response.status}: ${answer.error ?? ''} ${answer.error_description ?? ''}`.trim());
    token = { value: answer.access_token, until: now() + (answer.expires_in ?? 300) * 1000 };
    return token.value;
  };
}
