/**
 * Relay-to-relay authentication (docs/protocol.md, Federation): the forwarding relay signs the
 * forward's routing facts and content digest with its relay identity key; the receiving relay
 * verifies with the certificate its pinned peer URL serves at `/v1/relay/identity`.
 */
import type { X509Certificate } from 'node:crypto';
import type { Identity } from '@sealpost/sdk/crypto';

/** What a forward's signature covers; every header the receiver acts on is in it. */
export interface ForwardFacts {
  relay: string;
  messageId: string;
  sender: string;
  to: string[];
  hops: number;
  digest: string;
}

/** The bytes a relay signs for one forward (UTF-8, fields joined by `\n`). */
export function forwardSigningInput(facts: ForwardFacts): Uint8Array {
  return new TextEncoder().encode(['sealpost-relay-v1', facts.relay, facts.messageId, facts.sender, facts.to.join(','), String(facts.hops), facts.digest].join('\n'));
}

/** Signs with the relay identity (ECDSA P-256 → IEEE P1363, or RSASSA-PKCS1-v1_5), base64url. */
export async function signForward(identity: Identity, facts: ForwardFacts): Promise<string> {
  const algorithm = identity.signingKey.algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' };
  const signature = await crypto.subtle.sign(algorithm, identity.signingKey, forwardSigningInput(facts) as Uint8Array<ArrayBuffer>);
  return Buffer.from(signature).toString('base64url');
}

/** True when the relay certificate names `domain` (rfc822Name `relay@DOMAIN` or dNSName DOMAIN) and is within its validity. */
export function certificateNamesRelay(cert: X509Certificate, domain: string, now: number): boolean {
  if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) return false;
  return cert.checkEmail(`relay@${domain}`, { subject: 'never' }) !== undefined || cert.checkHost(domain, { subject: 'never' }) !== undefined;
}
