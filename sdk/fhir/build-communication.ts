import type { CodeableConcept, Communication, CommunicationPayload, Identifier } from '@medplum/fhirtypes';
import { instant, randomUuid, toAttachment } from './internal/attachment.js';
import type { Content } from './content.js';
import { SEALPOST_PROFILES } from './profiles.js';

/** Options of {@link buildCommunication}. */
export interface BuildCommunicationOptions {
  /** Practitioner, PractitionerRole, Organization, Patient or RelatedPerson sending it. */
  sender: NonNullable<Communication['sender']>;
  recipient: NonNullable<Communication['recipient']>;
  /** The patient the message is about (required for patient ↔ practice messages). */
  subject?: Communication['subject'];
  /** The message text. */
  text?: string;
  attachments?: Content[];
  /** Threading: the Communication this one answers. */
  inResponseTo?: Communication['inResponseTo'];
  /** Threading: the conversation (all messages of a thread share it), as Communication.topic text. */
  thread?: string;
  category?: CodeableConcept[];
  priority?: Communication['priority'];
  identifier?: Identifier[];
  now?: () => Date;
  newId?: () => string;
}

/**
 * Builds a Communication (profile sealpost-communication) for clinician ↔ clinician or
 * patient ↔ practice messages: status completed, sent now, text and attachments as payloads,
 * threading through `inResponseTo` and a `topic` naming the thread. Throws TypeError when there
 * is neither text nor an attachment.
 */
export function buildCommunication(options: BuildCommunicationOptions): Communication {
  const sent = instant((options.now ?? (() => new Date()))());
  const payload: CommunicationPayload[] = [];
  if (options.text !== undefined) payload.push({ contentString: options.text });
  for (const file of options.attachments ?? []) payload.push({ contentAttachment: toAttachment(file, sent) });
  if (payload.length === 0) throw new TypeError('buildCommunication needs text or an attachment');
  const communication: Communication = {
    resourceType: 'Communication',
    id: (options.newId ?? randomUuid)(),
    meta: { profile: [SEALPOST_PROFILES.communication] },
    status: 'completed',
    sender: options.sender,
    recipient: options.recipient,
    sent,
    payload,
  };
  if (options.identifier) communication.identifier = options.identifier;
  if (options.subject) communication.subject = options.subject;
  if (options.inResponseTo) communication.inResponseTo = options.inResponseTo;
  if (options.thread !== undefined) communication.topic = { text: options.thread };
  if (options.category) communication.category = options.category;
  if (options.priority) communication.priority = options.priority;
  return communication;
}
