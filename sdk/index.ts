/**
 * @sealpost/sdk — the isomorphic core. Import areas from their subpaths (`@sealpost/sdk/hl7v2`, …)
 * to keep bundles small; this root entry re-exports only the shared error types.
 */
export { SealpostError, NotSupportedError } from './errors.js';
