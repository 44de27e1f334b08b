import type { CodeableConcept, DocumentReference, Identifier, Reference } from '@medplum/fhirtypes';
import { instant, randomUuid, toAttachment } from './internal/attachment.js';
import type { Content } from './content.js';
import { REFERRAL_NOTE } from './build-document-bundle.js';
import { RECIPIENT_EXTENSION, SEALPOST_PROFILES } from './profiles.js';

/** Options of {@link buildDocumentReference}. */
export interface BuildDocumentReferenceOptions {
  subject: NonNullable<DocumentReference['subject']>;
  author: NonNullable<DocumentReference['author']>;
  /** The document, carried inline (base64). */
  content: Content;
  /** Document type. Default LOINC 57133-1 Referral note. */
  type?: CodeableConcept;
  custodian?: DocumentReference['custodian'];
  recipient?: Reference;
  description?: string;
  /** Document date. Default now. */
  date?: string;
  masterIdentifier?: Identifier;
  identifier?: Identifier[];
  now?: () => Date;
  newId?: () => string;
}

/**
 * Builds a DocumentReference (profile sealpost-document-reference) with the document inline, as a
 * US EMR's FHIR API takes it (design.md §8). The recipient goes in the Sealpost recipient extension.
 */
export function buildDocumentReference(options: BuildDocumentReferenceOptions): DocumentReference {
  const now = instant((options.now ?? (() => new Date()))());
  const date = options.date ?? now;
  const reference: DocumentReference = {
    resourceType: 'DocumentReference',
    id: (options.newId ?? randomUuid)(),
    meta: { profile: [SEALPOST_PROFILES.documentReference] },
    status: 'current',
    type: options.type ?? REFERRAL_NOTE,
    subject: options.subject,
    date,
    author: options.author,
    content: [{ attachment: toAttachment(options.content, date) }],
  };
  if (options.masterIdentifier) reference.masterIdentifier = options.masterIdentifier;
  if (options.identifier) reference.identifier = options.identifier;
  if (options.custodian) reference.custodian = options.custodian;
  if (options.description !== undefined) reference.description = options.description;
  if (options.recipient) reference.extension = [{ url: RECIPIENT_EXTENSION, valueReference: options.recipient }];
  return reference;
}
