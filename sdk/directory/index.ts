/**
 * Provider directory client (isomorphic): signed answers, federated search, TTL cache,
 * certificate-change warnings, address resolution and payload negotiation. docs/directory.md.
 */
export { DirectoryError } from './errors.js';
export type { DirectoryErrorCode } from './errors.js';
export { ANSWER_JWS_TYPE, DIRECTORY_URIS, PAYLOAD_TYPES, SIGNATURE_HEADER } from './names.js';
export type { PayloadType } from './names.js';
export { signAnswer } from './sign-answer.js';
export type { SignAnswerOptions } from './sign-answer.js';
export { verifyAnswer } from './verify-answer.js';
export type { VerifiedAnswer, VerifyAnswerOptions } from './verify-answer.js';
export { buildEndpoint, endpointIdFor } from './build-endpoint.js';
export type { BuildEndpointOptions } from './build-endpoint.js';
export { readEndpoint } from './read-endpoint.js';
export type { EndpointInfo } from './read-endpoint.js';
export { choosePayloadForm, PAYLOAD_PREFERENCE } from './choose-payload-form.js';
export type { ChoosePayloadFormOptions } from './choose-payload-form.js';
export { producePayload } from './produce-payload.js';
export type { ProducePayloadOptions, ProducedPayload } from './produce-payload.js';
export { discoverRelay, namesRelay } from './discover-relay.js';
export type { DiscoverRelayOptions, RelayDiscovery } from './discover-relay.js';
export { relayDirectories } from './relay-directories.js';
export type { RelayDirectories } from './relay-directories.js';
export { CertificateChangeEvent, DirectoryClient } from './directory-client.js';
export type { CertificateChange, DirectoryClientOptions, DirectoryContact, DirectoryFailure, FederatedSearchResult, ResolvedAddress } from './directory-client.js';
