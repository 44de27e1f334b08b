/**
 * @sealpost/sdk/node — Node-only helpers (file system). Everything else is in the isomorphic
 * entry points.
 */
export { FileKeyStore, readIdentityDir, writeIdentityDir } from './file-key-store.js';
export { FileSeenStore } from './file-seen-store.js';
