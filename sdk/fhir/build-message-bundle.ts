import type { Bundle, Coding, MessageHeader, MessageHeaderDestination, Organization, Practitioner, PractitionerRole, Resource } from '@medplum/fhirtypes';
import { BundleAssembler } from './internal/assemble.js';
import { instant, randomUuid } from './internal/attachment.js';
import { SEALPOST_PROFILES } from './profiles.js';

/** One endpoint of a FHIR message: where it comes from or goes to. */
export interface MessageEndpoint {
  /** The endpoint URL (for Sealpost, the mailbox address as `sealpost:ADDRESS` or the relay URL). */
  endpoint: string;
  name?: string;
}

/** Options of {@link buildMessageBundle}. */
export interface BuildMessageBundleOptions {
  /** MessageHeader.eventCoding, e.g. {system: 'http://example.org/fhir/message-events', code: 'referral-letter'}. */
  event: Coding;
  source: MessageEndpoint & { software?: string; version?: string };
  destination: Array<MessageEndpoint & { receiver?: Practitioner | PractitionerRole | Organization }>;
  sender: Practitioner | PractitionerRole | Organization;
  /** The resources the message is about (MessageHeader.focus), in order. */
  focus: Resource[];
  /** Other resources the focus references (Patient, Practitioner…), included as entries. */
  include?: Resource[];
  /** For a response: the id of the request message and the outcome. */
  response?: { identifier: string; code: 'ok' | 'transient-error' | 'fatal-error' };
  now?: () => Date;
  newId?: () => string;
}

/**
 * Builds a FHIR message Bundle (`type: message`, profile sealpost-message): MessageHeader first
 * (event, source, destinations with receivers, sender, focus, response), then the focus and
 * included resources, all referenced by `urn:uuid:` fullUrls. Caller objects are not modified.
 */
export function buildMessageBundle(options: BuildMessageBundleOptions): Bundle {
  const newId = options.newId ?? randomUuid;
  const now = instant((options.now ?? (() => new Date()))());
  const a = new BundleAssembler(newId);
  const header: MessageHeader = {
    resourceType: 'MessageHeader',
    id: newId(),
    eventCoding: options.event,
    destination: options.destination.map((d) => {
      const out: MessageHeaderDestination = { endpoint: d.endpoint };
      if (d.name !== undefined) out.name = d.name;
      if (d.receiver) out.receiver = a.ref(d.receiver);
      return out;
    }),
    sender: a.ref(options.sender),
    source: { endpoint: options.source.endpoint },
    focus: options.focus.map((r) => a.ref(r)),
  };
  if (options.source.name !== undefined) header.source.name = options.source.name;
  if (options.source.software !== undefined) header.source.software = options.source.software;
  if (options.source.version !== undefined) header.source.version = options.source.version;
  if (options.response) header.response = { identifier: options.response.identifier, code: options.response.code };
  for (const r of options.include ?? []) a.add(r);
  return {
    resourceType: 'Bundle',
    id: newId(),
    meta: { profile: [SEALPOST_PROFILES.message] },
    type: 'message',
    timestamp: now,
    entry: a.entries([header]),
  };
}
