import { CHAINS, DIRECTORY_TYPES, SEARCH_PARAMS } from './internal/search-params.js';
import type { Resource } from './internal/search-params.js';

/**
 * The CapabilityStatement served at `/fhir/metadata`, derived from the same parameter table the
 * index and the query parser use. `software.version` is the relay's.
 */
export function capabilityStatement(options: { baseUrl?: string; version?: string; date?: string } = {}): Resource {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: options.date ?? new Date().toISOString().slice(0, 10),
    kind: 'instance',
    software: { name: 'Sealpost relay directory', version: options.version ?? '0.1.0' },
    implementation: { description: 'Sealpost provider directory (read-only, signed answers)', ...(options.baseUrl ? { url: options.baseUrl } : {}) },
    fhirVersion: '4.0.1',
    format: ['json', 'application/fhir+json'],
    rest: [
      {
        mode: 'server',
        documentation: 'Every answer carries X-Sealpost-Signature, a detached JWS by the relay (docs/protocol.md, Directory).',
        resource: DIRECTORY_TYPES.map((type) => ({
          type,
          interaction: [{ code: 'read' }, { code: 'search-type' }],
          versioning: 'versioned',
          searchInclude: Object.entries(SEARCH_PARAMS[type])
            .filter(([, def]) => def.kind === 'reference')
            .map(([name]) => `${type}:${name}`),
          searchParam: [
            { name: '_id', type: 'token' },
            ...Object.entries(SEARCH_PARAMS[type]).map(([name, def]) => ({ name, type: def.kind, documentation: def.documentation })),
            ...Object.entries(CHAINS[type] ?? {}).flatMap(([ref, chain]) =>
              chain.params.map((p) => ({ name: `${ref}.${p}`, type: SEARCH_PARAMS[chain.target][p]!.kind, documentation: `Chained: ${p} of the ${chain.target}` })),
            ),
          ],
        })),
        searchParam: [
          { name: '_count', type: 'number', documentation: 'Page size (default 20, at most 500)' },
          { name: '_offset', type: 'number', documentation: 'Paging offset (used by the next/previous links; at most 10000)' },
          { name: '_total', type: 'token', documentation: 'accurate: count every match' },
        ],
      },
    ],
  };
}
