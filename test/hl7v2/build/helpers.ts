import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BuildReferralOptions } from '@sealpost/sdk/hl7v2';

export const fixtures = fileURLToPath(new URL('../../fixtures/hl7v2/', import.meta.url));

export function fixture(path: string): Uint8Array {
  return new Uint8Array(readFileSync(fixtures + path));
}

/** A complete referral as a GP's EMR would describe it (AU, fictitious people and numbers). */
export function referralOptions(overrides: Partial<BuildReferralOptions> = {}): BuildReferralOptions {
  return {
    level: 1,
    sender: { application: { namespace: 'BP PREMIER', universalId: 'BP', universalIdType: 'L' }, facility: { namespace: 'HARBOURSIDE GP', universalId: '8003621566684455', universalIdType: 'AUSHIC' } },
    receiver: { application: 'SEALPOST', facility: { namespace: 'NORTH SHORE CARDIOLOGY', universalId: '8003624900000594', universalIdType: 'AUSHIC' } },
    controlId: 'HGP0001',
    timestamp: new Date(2026, 10, 21, 10, 15, 0),
    referral: { id: 'HGP-REF-000123', assigner: { namespace: 'HARBOURSIDE GP', universalId: '8003621566684455', universalIdType: 'AUSHIC' } },
    referrer: { family: 'WELBY', given: 'MARCUS', prefix: 'DR', id: '0491234A', phone: '0295551234' },
    recipient: { family: 'CHEN', given: 'AMELIA', prefix: 'DR', id: '2426621B', address: { street: '20 PACIFIC HWY', city: 'ST LEONARDS', state: 'NSW', postcode: '2065', country: 'AU' } },
    patient: {
      identifiers: [
        { id: 'HGP-4411', assigner: 'HARBOURSIDE GP', type: 'MR' },
        { id: '2950156481', assigner: 'AUSHIC', type: 'MC' },
      ],
      family: 'CITIZEN',
      given: 'JANE',
      middle: 'MARIE',
      birthDate: '19800315',
      sex: 'F',
      address: { street: '1 HARBOUR ST', city: 'SYDNEY', state: 'NSW', postcode: '2000', country: 'AU', type: 'H' },
    },
    display: [{ format: 'pdf', data: fixture('au/referral-letter.pdf') }],
    ...overrides,
  };
}

/** First index where two byte arrays differ, -1 when equal (vitest's deep equality is too slow for megabytes). */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}
