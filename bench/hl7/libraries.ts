/**
 * The libraries in the bench, loaded lazily so that one that fails to load (say @medplum/core 5
 * on Node 20 without --experimental-websocket) is reported and skipped, not fatal.
 */
import type { Hl7Library } from './workload.js';

/** How the peers' leaves are decoded: 'bench' applies escape.ts (default), 'none' returns them raw. */
export type PeerDecoding = 'bench' | 'none';

interface Entry {
  readonly name: string;
  readonly load: (decode: (raw: string) => string) => Promise<Hl7Library>;
}

/** In report order: Sealpost first, then the peers. */
export const LIBRARIES: readonly Entry[] = [
  { name: 'sealpost', load: async () => (await import('./adapters/sealpost.js')).createSealpostLibrary() },
  { name: '@medplum/core', load: async (decode) => (await import('./adapters/medplum.js')).createMedplumLibrary(decode) },
  { name: 'hl7-standard', load: async (decode) => (await import('./adapters/hl7-standard.js')).createHl7StandardLibrary(decode) },
  { name: 'simple-hl7', load: async (decode) => (await import('./adapters/simple-hl7.js')).createSimpleHl7Library(decode) },
];

/** Loads the named libraries (all by default); failures come back as messages. */
export async function loadLibraries(
  names: readonly string[] | undefined,
  peerDecoding: PeerDecoding,
): Promise<{ libraries: Hl7Library[]; failures: string[] }> {
  const { unescapeLeaf } = await import('./escape.js');
  const decode = peerDecoding === 'bench' ? unescapeLeaf : (raw: string) => raw;
  const libraries: Hl7Library[] = [];
  const failures: string[] = [];
  for (const entry of LIBRARIES) {
    if (names !== undefined && !names.includes(entry.name)) continue;
    try {
      libraries.push(await entry.load(decode));
    } catch (error) {
      failures.push(`${entry.name}: not loaded (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
    }
  }
  return { libraries, failures };
}
