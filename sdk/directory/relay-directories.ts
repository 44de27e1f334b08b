import { discoverRelay } from './discover-relay.js';
import type { DiscoverRelayOptions, RelayDiscovery } from './discover-relay.js';
import { DirectoryError } from './errors.js';

/** The directories to search through one relay, each bound to the relay that must sign it. */
export interface RelayDirectories {
  /** The relay's own directory first, then its peers'. */
  directories: string[];
  /** Directory base URL → mail domain of its relay (DirectoryClient option `signers`). */
  signers: Record<string, string>;
  /** The relay's discovery document; undefined for a relay without one (404: its /fhir alone). */
  discovery: RelayDiscovery | undefined;
}

/**
 * Reads a relay's signed `/.well-known/sealpost` and returns its directory and its peers', ready
 * for a federated {@link DirectoryClient}: `new DirectoryClient({ ...await relayDirectories(url,
 * { trust }), trust })`. A relay that serves no discovery document (404) is searched alone at
 * `URL/fhir`. Throws DirectoryError when the document is there but cannot be trusted (see
 * {@link discoverRelay}) or the relay is unreachable.
 */
export async function relayDirectories(relayUrl: string, options: DiscoverRelayOptions): Promise<RelayDirectories> {
  const base = relayUrl.replace(/\/$/, '');
  let discovery: RelayDiscovery;
  try {
    discovery = await discoverRelay(base, options);
  } catch (error) {
    if (error instanceof DirectoryError && error.code === 'ERR_DIRECTORY_HTTP' && / 404 /.test(error.message)) return { directories: [`${base}/fhir`], signers: {}, discovery: undefined };
    throw error;
  }
  const own = discovery.directory ?? `${base}/fhir`;
  const directories = [own];
  const signers: Record<string, string> = { [own]: discovery.domain };
  for (const peer of discovery.peers) {
    if (directories.includes(peer.directory)) continue;
    directories.push(peer.directory);
    signers[peer.directory] = peer.domain;
  }
  return { directories, signers, discovery };
}
