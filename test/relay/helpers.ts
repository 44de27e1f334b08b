/** Shared helpers of the relay tests: identities, login through inject(), stores. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createDevCa, generateIdentity } from '@sealpost/sdk/crypto';
import type { Identity } from '@sealpost/sdk/crypto';
import { openSqliteStore } from '../../relay/storage/sqlite.js';
import type { RelayStore } from '../../relay/storage/types.js';

export interface TestMailbox {
  address: string;
  identity: Identity;
}

let caPromise: ReturnType<typeof createDevCa> | undefined;

/** A P-256 identity for `address`, issued by one shared test CA. */
export async function makeMailbox(address: string, algorithm: 'P-256' | 'RSA-2048' = 'P-256'): Promise<TestMailbox> {
  caPromise ??= createDevCa({ name: 'Relay Test CA' });
  const ca = await caPromise;
  const { identity } = await generateIdentity({ name: address, address, issuer: ca.identity, algorithm });
  return { address, identity };
}

/** Signs the auth challenge input the way the transport client does (WebCrypto). */
export async function signChallenge(identity: Identity, text: string): Promise<string> {
  const algorithm = identity.signingKey.algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' };
  const signature = await crypto.subtle.sign(algorithm, identity.signingKey, new TextEncoder().encode(text));
  return Buffer.from(signature).toString('base64url');
}

/** Logs in through inject() and returns the bearer token. */
export async function login(app: FastifyInstance, mailbox: TestMailbox): Promise<string> {
  const challenge = await app.inject({ method: 'POST', url: '/v1/auth/challenge', payload: { address: mailbox.address } });
  const { challenge: value } = challenge.json<{ challenge: string }>();
  const signature = await signChallenge(mailbox.identity, `sealpost-auth-v1\n${mailbox.address}\n${value}`);
  const res = await app.inject({ method: 'POST', url: '/v1/auth/token', payload: { address: mailbox.address, challenge: value, signature } });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  return res.json<{ token: string }>().token;
}

export const digestOf = (bytes: Uint8Array): string => `sha-256=:${createHash('sha256').update(bytes).digest('base64')}:`;

export function randomEnvelope(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(size, i + 65536)));
  return out;
}

export const newId = (): string => randomUUID();

/** A store factory for the contract suite: a fresh, migrated, empty store each time. */
export interface StoreFactory {
  kind: 'sqlite' | 'postgres';
  /** Undefined when the database is not available (never in CI: there it throws). */
  create(): Promise<RelayStore>;
  cleanup(): Promise<void>;
}

export function sqliteFactory(): StoreFactory {
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-relay-'));
  return {
    kind: 'sqlite',
    create: async () => {
      const store = openSqliteStore(join(dir, `${randomUUID()}.db`));
      await store.migrate();
      return store;
    },
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}
