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
