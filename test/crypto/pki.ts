import { createDevCa, generateIdentity, toPem, TrustStore } from '@sealpost/sdk/crypto';
import type { GeneratedIdentity } from '@sealpost/sdk/crypto';

/** Validity starts here; tests validate at {@link AT} so that nothing depends on the wall clock. */
export const T0 = new Date('2026-01-01T00:00:00Z');
export const AT = new Date('2026-03-01T00:00:00Z');

export interface TestPki {
  ca: GeneratedIdentity;
  jane: GeneratedIdentity;
  bob: GeneratedIdentity;
  carol: GeneratedIdentity;
  trust: TrustStore;
  /** PEM of the identity's key, encrypted with passphrase 'pw'. */
  keyPem: (id: GeneratedIdentity) => Promise<string>;
  certPem: (id: GeneratedIdentity) => string;
}

/** A dev CA with Jane (P-256), Bob (RSA-2048) and Carol (P-256). */
export async function makePki(): Promise<TestPki> {
  const ca = await createDevCa({ notBefore: T0 });
  const jane = await generateIdentity({ name: 'Dr Jane Citizen', address: 'jane@harbourside-gp.example', issuer: ca.identity, notBefore: T0 });
  const bob = await generateIdentity({ name: 'Dr Bob Rsa', address: 'bob@hospital.example', issuer: ca.identity, notBefore: T0, algorithm: 'RSA-2048' });
  const carol = await generateIdentity({ name: 'Carol Other', address: 'carol@elsewhere.example', issuer: ca.identity, notBefore: T0 });
  return {
    ca,
    jane,
    bob,
    carol,
    trust: new TrustStore().addAnchor(ca.identity.certificate),
    keyPem: async (id) => toPem(await id.exportEncryptedKey('pw', { iterations: 1000 }), 'ENCRYPTED PRIVATE KEY'),
    certPem: (id) => toPem(id.identity.certificate, 'CERTIFICATE'),
  };
}
