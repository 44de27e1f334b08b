import { DIRECTORY_URIS } from '@sealpost/sdk/directory';
import { toPem } from '@sealpost/sdk/crypto';
import type { Resource } from './internal/search-params.js';
import type { DirectoryStore } from './storage/types.js';

/** The Endpoint id of the relay serving `domain`. */
export function relayEndpointId(domain: string): string {
  return `relay-${domain.toLowerCase().replace(/[^a-z0-9\-.]/g, '-')}`.slice(0, 64);
}

/**
 * Publishes (creates or replaces) the Endpoint of the relay itself: identifier
 * {@link DIRECTORY_URIS}.relayDomain = its mail domain, `address` its public URL, the relay
 * certificate (PEM) as extension. Other relays find a domain's relay through it (peer discovery,
 * docs/protocol.md, Federation), and `relay mailbox add` reads the relay URL from it.
 */
export async function publishRelay(store: DirectoryStore, relay: { domain: string; relayUrl: string; certificate?: Uint8Array }): Promise<Resource> {
  const domain = relay.domain.toLowerCase();
  const previous = await findRelayUrl(store, domain);
  const url = relay.relayUrl.replace(/\/$/, '');
  // The relay moved (new public URL or port): its mailboxes' Endpoints follow it.
  if (previous !== undefined && previous !== url) await moveMailboxEndpoints(store, domain, previous, url);
  const endpoint: Resource = {
    resourceType: 'Endpoint',
    id: relayEndpointId(domain),
    ...(relay.certificate ? { extension: [{ url: DIRECTORY_URIS.certificate, valueString: toPem(relay.certificate, 'CERTIFICATE') }] } : {}),
    identifier: [{ system: DIRECTORY_URIS.relayDomain, value: domain }],
    status: 'active',
    connectionType: { system: DIRECTORY_URIS.connectionTypeSystem, code: DIRECTORY_URIS.connectionType },
    name: `Sealpost relay for ${domain}`,
    payloadType: [{ coding: [{ system: DIRECTORY_URIS.payloadTypeSystem, code: 'fhir-document' }] }],
    address: relay.relayUrl.replace(/\/$/, ''),
  };
  const [stored] = await store.put([endpoint]);
  return stored!;
}

async function moveMailboxEndpoints(store: DirectoryStore, domain: string, from: string, to: string): Promise<void> {
  const pageSize = 500;
  for (let offset = 0; ; offset += pageSize) {
    const page = await store.search({ type: 'Endpoint', filters: [{ param: 'identifier', match: 'exact', alternatives: [{ system: DIRECTORY_URIS.address }] }], count: pageSize, offset });
    const moved = page.resources.filter((r) => typeof r.address === 'string' && r.address.replace(/\/$/, '') === from && (r.identifier as { system?: string; value?: string }[] | undefined)?.some((i) => i.system === DIRECTORY_URIS.address && i.value?.endsWith(`@${domain}`)));
    if (moved.length) await store.put(moved.map((r) => ({ ...r, address: to })));
    if (!page.more) return;
  }
}

/** The relay URL the local directory lists for `domain` (its relay Endpoint), or undefined. */
export async function findRelayUrl(store: DirectoryStore, domain: string): Promise<string | undefined> {
  const page = await store.search({ type: 'Endpoint', filters: [{ param: 'identifier', match: 'exact', alternatives: [{ system: DIRECTORY_URIS.relayDomain, value: domain.toLowerCase() }] }], count: 2, offset: 0 });
  const endpoint = page.resources.find((r) => r.status === undefined || r.status === 'active');
  const address = endpoint?.address;
  return typeof address === 'string' && /^https?:\/\//.test(address) ? address.replace(/\/$/, '') : undefined;
}
