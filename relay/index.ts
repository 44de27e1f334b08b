/** @sealpost/relay — the messaging provider: app, server, storage. */
export { buildApp } from './app.js';
export type { RelayConfig } from './config.js';
export { RelayError, RELAY_ERRORS } from './errors.js';
export type { RelayErrorCode } from './errors.js';
export { StoreError } from './storage/errors.js';
export { openSqliteStore } from './storage/sqlite.js';
export type { SqliteStoreOptions } from './storage/sqlite.js';
export { openStore } from './storage/open-store.js';
export type { RelayStore, Mailbox, SubmitAnswer, InboxItem, Upload, PurgeResult } from './storage/types.js';
export { startServer } from './server.js';
export type { StartServerOptions, RunningServer } from './server.js';
export { hashInvite } from './plugins/mailbox.js';
export { directoryPlugin, findRelayUrl, importDirectory, openDirectoryStore, registerMailbox } from './directory/index.js';
export type { DirectoryPluginOptions, DirectoryStore, ImportReport } from './directory/index.js';
