import type { Identity } from '../crypto/identity.js';
import { TransportError, kindOfStatus } from './errors.js';
import type { Problem } from './errors.js';
import { toBase64Url } from './internal/base64.js';
import { subtle } from '../crypto/internal/subtle.js';

/** Options for {@link registerMailbox}. */
export interface RegisterMailboxOptions {
  /** fetch to use. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

/**
 * Registers `address` on a relay with a one-time invite code, proving possession of the identity
 * key by signing `"sealpost-register-v1\n" + address + "\n" + invite` (docs/protocol.md §3). Not
 * retried: an invite works once. Throws TransportError: `auth` (proof failed; 403 also for an
 * unknown, used or expired invite, `problem.code` `ERR_RELAY_INVITE`), `conflict` (address
 * taken), `rejected` (certificate does not name the address), `network`.
 */
export async function registerMailbox(relayUrl: string, identity: Pick<Identity, 'certificate' | 'signingKey'>, address: string, invite: string, options: RegisterMailboxOptions = {}): Promise<{ address: string }> {
  const f = options.fetch ?? globalThis.fetch;
  const normalised = address.toLowerCase();
  const algorithm = identity.signingKey.algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: identity.signingKey.algorithm.name };
  const signature = new Uint8Array(await subtle().sign(algorithm, identity.signingKey, new TextEncoder().encode(`sealpost-register-v1\n${normalised}\n${invite}`)));
  let res: Response;
  try {
    res = await f(`${relayUrl.replace(/\/+$/, '')}/v1/mailboxes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, application/problem+json' },
      body: JSON.stringify({ address: normalised, certificate: toBase64Url(identity.certificate), invite, signature: toBase64Url(signature) }),
    });
  } catch (error) {
    throw new TransportError('network', `register ${normalised}: ${(error as Error).message}`, { cause: error });
  }
  if (res.status === 201) return (await res.json()) as { address: string };
  const problem = (await res.json().catch(() => undefined)) as Problem | undefined;
  throw new TransportError(kindOfStatus(res.status), `${problem?.code ? `${problem.code}: ` : ''}${problem?.detail ?? `HTTP ${res.status}`}`, { status: res.status, ...(problem ? { problem } : {}) });
}
