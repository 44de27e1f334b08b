import type { PayloadType } from '@sealpost/sdk/directory';
import type { Mailbox, RelayStore } from '../storage/types.js';
import { publishMailbox } from './publish-mailbox.js';
import type { PublishMailboxOptions } from './publish-mailbox.js';
import type { Resource } from './internal/search-params.js';
import type { DirectoryStore } from './storage/types.js';

/** Options of {@link registerMailbox}. */
export interface RegisterMailboxOptions extends PublishMailboxOptions {
  /** Accepted payload forms, best first. Default FHIR document, REF^I12 L2, REF^I12 L1 (PDF). */
  payloadTypes?: PayloadType[];
}

/**
 * Creates a mailbox and publishes its Endpoint (address, relay URL, payload types, encryption
 * certificate with expiry) in the relay's directory.
 *
 * The mailbox and the Endpoint live in two stores (the directory can be served without any
 * mailbox), so this is two steps, mailbox first. The second step is retry-safe: publishing replaces
 * the Endpoint, and running this again for an existing mailbox with the same certificate publishes
 * the Endpoint again (result `exists`). A mailbox whose Endpoint write failed is therefore fixed by
 * repeating the registration; the directory plugin also publishes a missing Endpoint of a local
 * mailbox when a sender looks it up (docs/protocol.md, Directory).
 *
 * Returns `created`, `exists` (same certificate: Endpoint re-published) or `conflict` (the address
 * exists with another certificate: nothing published).
 */
export async function registerMailbox(store: RelayStore, directory: DirectoryStore, mailbox: Mailbox, options: RegisterMailboxOptions): Promise<{ result: 'created' | 'exists' | 'conflict'; endpoint: Resource | undefined }> {
  const outcome = await store.addMailbox(mailbox);
  if (outcome === 'exists') {
    const existing = await store.getMailbox(mailbox.address);
    if (!existing || !sameBytes(existing.certificate, mailbox.certificate)) return { result: 'conflict', endpoint: undefined };
  }
  const endpoint = await publishMailbox(directory, mailbox, options);
  return { result: outcome, endpoint };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
