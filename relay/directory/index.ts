/** The relay's provider directory: FHIR plugin, stores, import. */
export { directoryPlugin } from './plugin.js';
export type { DirectoryPluginOptions } from './plugin.js';
export { capabilityStatement } from './capability-statement.js';
export { openDirectoryStore } from './storage/open-directory-store.js';
export { openSqliteDirectoryStore } from './storage/sqlite.js';
export type { DirectoryStore, Filter, MatchMode, SearchPage, SearchQuery } from './storage/types.js';
export { normaliseText, DIRECTORY_TYPES, SEARCH_PARAMS } from './internal/search-params.js';
export type { DirectoryType, Resource } from './internal/search-params.js';
export { importDirectory } from './import-bundle.js';
export type { ImportIssue, ImportOptions, ImportReport } from './import-bundle.js';
export { publishMailbox } from './publish-mailbox.js';
export type { PublishMailboxOptions } from './publish-mailbox.js';
export { registerMailbox } from './register-mailbox.js';
export type { RegisterMailboxOptions } from './register-mailbox.js';
export { findRelayUrl, publishRelay, relayEndpointId } from './publish-relay.js';
export { WELL_KNOWN_PATH, wellKnownPlugin } from './well-known.js';
export type { WellKnownSealpost } from './well-known.js';
