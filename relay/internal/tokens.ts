/**
 * Stateless challenges and tokens: `base64url(JSON).base64url(HMAC-SHA256)` under the relay's
 * secret (shared through the database, so any relay process on it accepts them). Checking a token
 * costs one HMAC and no database read, which keeps authenticated submissions cheap.
 * The MAC input starts with the kind, so a challenge can never pass as a token or the reverse.
 */
import { createHmac, randomBytes, timingSafeEqual, verify as verifySignature, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

function mac(secret: Uint8Array, kind: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(`${kind}\n${payload}`).digest();
}

function issue(secret: Uint8Array, kind: string, claims: object): string {
  const payload = b64url(Buffer.from(JSON.stringify(claims)));
  return `${payload}.${b64url(mac(secret, kind, payload))}`;
}

function check(secret: Uint8Array, kind: string, value: string): Record<string, unknown> | undefined {
  const dot = value.indexOf('.');
  if (dot <= 0 || value.length > 2048) return undefined;
  const payload = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1), 'base64url');
  const expected = mac(secret, kind, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A challenge for `address`, valid until `expiresAt`. */
export function issueChallenge(secret: Uint8Array, address: string, expiresAt: number): string {
  return issue(secret, 'challenge', { a: address, e: expiresAt, n: b64url(randomBytes(16)) });
}

/** True when `challenge` was issued by this relay for `address` and has not expired. */
export function checkChallenge(secret: Uint8Array, challenge: string, address: string, now: number): boolean {
  const claims = check(secret, 'challenge', challenge);
  return claims !== undefined && claims.a === address && typeof claims.e === 'number' && claims.e > now;
}

/** A bearer token bound to one mailbox. */
export function issueToken(secret: Uint8Array, address: string, expiresAt: number): string {
  return issue(secret, 'token', { m: address, e: expiresAt });
}

export type TokenCheck = { ok: true; address: string; expiresAt: number } | { ok: false; reason: 'invalid' | 'expired' };

export function checkToken(secret: Uint8Array, token: string, now: number): TokenCheck {
  const claims = check(secret, 'token', token);
  if (claims === undefined || typeof claims.m !== 'string' || typeof claims.e !== 'number') return { ok: false, reason: 'invalid' };
  if (claims.e <= now) return { ok: false, reason: 'expired' };
  return { ok: true, address: claims.m, expiresAt: claims.e };
}

/** The bytes a mailbox key signs to answer a challenge (docs/protocol.md, "Authentication"). */
export function authSigningInput(address: string, challenge: string): Buffer {
  return Buffer.from(`sealpost-auth-v1\n${address}\n${challenge}`, 'utf8');
}

/** The bytes a registrant signs with an invite (proof of key possession). */
export function registerSigningInput(address: string, invite: string): Buffer {
  return Buffer.from(`sealpost-register-v1\n${address}\n${invite}`, 'utf8');
}

/**
 * Verifies a WebCrypto signature (ECDSA P-256 in IEEE P1363 form, or RSASSA-PKCS1-v1_5; both
 * SHA-256) by the key of `certificate`. False for anything malformed.
 */
export function verifyWithCertificate(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (publicKey.asymmetricKeyType === 'ec') return verifySignature('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
    if (publicKey.asymmetricKeyType === 'rsa') return verifySignature('sha256', data, publicKey, signature);
    return false;
  } catch {
    return false;
  }
}

/** Parses a certificate (DER) once; throws for malformed input. */
export function readCertificate(der: Uint8Array): X509Certificate {
  return new X509Certificate(der);
}
