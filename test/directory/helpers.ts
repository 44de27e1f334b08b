/** Shared helpers of the directory tests: a signed directory server on loopback. */
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { createDevCa, generateIdentity, TrustStore } from '@sealpost/sdk/crypto';
import type { Identity } from '@sealpost/sdk/crypto';
import { directoryPlugin, openSqliteDirectoryStore } from '../../relay/directory/index.js';
import type { DirectoryStore, Resource } from '../../relay/directory/index.js';
import { sampleDirectory } from './sample.js';

let caPromise: ReturnType<typeof createDevCa> | undefined;

/** The shared test CA. */
export async function testCa(): Promise<Identity> {
  caPromise ??= createDevCa({ name: 'Directory Test CA' });
  return (await caPromise).identity;
}

/** A relay identity issued by the test CA. */
export async function relayIdentity(name = 'relay.harbourside.example'): Promise<Identity> {
  const { identity } = await generateIdentity({ name, address: `relay@${name}`, issuer: await testCa() });
  return identity;
}

export async function trustStore(): Promise<TrustStore> {
  return new TrustStore().addAnchor((await testCa()).certificate);
}

export interface DirectoryServer {
  app: FastifyInstance;
  store: DirectoryStore;
  /** `http://127.0.0.1:PORT/fhir` */
  base: string;
  signer: Identity | undefined;
  close(): Promise<void>;
}

/** Starts a fastify app with only the directory plugin on a loopback port, filled with `resources`. */
export async function startDirectory(options: { resources?: Resource[]; signer?: Identity | null; store?: DirectoryStore } = {}): Promise<DirectoryServer> {
  const store = options.store ?? openSqliteDirectoryStore(':memory:');
  await store.migrate();
  await store.put(options.resources ?? sampleDirectory());
  const signer = options.signer === null ? undefined : (options.signer ?? (await relayIdentity()));
  const app = Fastify({ logger: false });
  await app.register(directoryPlugin, { store, ...(signer ? { signer } : {}) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  return {
    app,
    store,
    base: `http://127.0.0.1:${port}/fhir`,
    signer,
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}
