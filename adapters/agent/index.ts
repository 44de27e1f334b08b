/**
 * `sealpost agent`: a practice's agent next to its EMR — relay inbox polling into the import
 * pipeline and inbound adapters, outbound folder watchers, receipts through the relay, the review
 * queue, a loopback health endpoint, structured logs. Node only. docs/adapters/agent.md.
 */
export type { AgentConfig, FhirInboundConfig, FileDropInboundConfig, FileDropOutboundConfig, IdentityConfig, InboundConfig, MllpInboundConfig } from './config.js';
export { loadAgentConfig, validateAgentConfig } from './config.js';
export type { ConfigProblem } from './errors.js';
export { AgentConfigError } from './errors.js';
export type { DeliverReceipt, ReceiptFlushResult } from './receipt-outbox.js';
export { ReceiptOutbox } from './receipt-outbox.js';
export type { LetterSenderOptions, SentLetter } from './send-letter.js';
export { createLetterSender, letterPayload } from './send-letter.js';
export type { Agent, AgentHealth, ComponentHealth, StartAgentOptions } from './start-agent.js';
export { startAgent } from './start-agent.js';
