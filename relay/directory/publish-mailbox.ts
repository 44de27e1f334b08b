import { buildEndpoint, endpointIdFor } from '@sealpost/sdk/directory';
import type { PayloadType } from '@sealpost/sdk/directory';
import type { Resource } from './internal/search-params.js';
import type { DirectoryStore } from './storage/types.js';

/** Options for {@link publishMailbox}. */
export interface PublishMailboxOptions {
  /** The relay's public base URL, written as Endpoint.address. */
  relayUrl: string;
  /** Accepted payload forms, best first. Default FHIR document, REF^I12 L2, REF^I12 L1. */
  payloadTypes?: PayloadType[];
  /** `Organization/<id>` managing the endpoint, when the practice is in the directory. */
  organization?: string;
  /** Display name. Default the address. */
  name?: string;
}

/**
 * Publishes (creates or replaces) the Endpoint of a mailbox in the directory: the address, the
 * relay URL, the accepted payload types and the mailbox certificate as its encryption certificate
 * (Sealpost identities hold one key pair for signing and opening, so the identity certificate is
 * the one senders encrypt to). Returns the stored Endpoint.
 */
export async function publishMailbox(store: DirectoryStore, mailbox: { address: string; certificate: Uint8Array }, options: PublishMailboxOptions): Promise<Resource> {
  const endpoint = buildEndpoint({
    id: endpointIdFor(mailbox.address),
    address: mailbox.address,
    relayUrl: options.relayUrl,
    certificate: mailbox.certificate,
    ...(options.payloadTypes ? { payloadTypes: options.payloadTypes } : {}),
    ...(options.organization ? { organization: options.organization } : {}),
    ...(options.name ? { name: options.name } : {}),
  });
  const [stored] = await store.put([endpoint as unknown as Resource]);
  return stored!;
}
