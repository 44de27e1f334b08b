import { generateIdentity } from './generate-identity.js';
import type { GeneratedIdentity, IdentityAlgorithm } from './generate-identity.js';

/** Options for {@link createDevCa}. */
export interface CreateDevCaOptions {
  /** Subject commonName. Default `'Sealpost Development CA'`. */
  name?: string;
  /** Default `'P-256'`. */
  algorithm?: IdentityAlgorithm;
  /** Default now minus 5 minutes. */
  notBefore?: Date;
  /** Default 3650. */
  validityDays?: number;
}

/**
 * Creates a self-signed development CA that can issue identities with
 * {@link generateIdentity}'s `issuer` option. For tests and local set-ups only: production
 * identities come from a real health PKI (NASH, Direct trust bundles) as PKCS#12 files.
 */
export function createDevCa(options: CreateDevCaOptions = {}): Promise<GeneratedIdentity> {
  return generateIdentity({
    name: options.name ?? 'Sealpost Development CA',
    ca: true,
    ...(options.algorithm ? { algorithm: options.algorithm } : {}),
    ...(options.notBefore ? { notBefore: options.notBefore } : {}),
    ...(options.validityDays ? { validityDays: options.validityDays } : {}),
  });
}
