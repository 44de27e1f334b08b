import type { Binary, Bundle, CodeableConcept, Composition, DocumentReference, Identifier, Organization, Patient, Practitioner, PractitionerRole, Resource } from '@medplum/fhirtypes';
import { BundleAssembler } from './internal/assemble.js';
import { instant, narrative, randomUuid, toAttachment } from './internal/attachment.js';
import type { Content } from './content.js';
import { bytesToBase64, utf8 } from './internal/base64.js';
import { RECIPIENT_EXTENSION, SEALPOST_PROFILES } from './profiles.js';

/** LOINC 57133-1 "Referral note": the default document type, Sealpost's most common letter. */
export const REFERRAL_NOTE: CodeableConcept = { coding: [{ system: 'http://loinc.org', code: '57133-1', display: 'Referral note' }] };

/** Options of {@link buildDocumentBundle}. */
export interface BuildDocumentBundleOptions {
  patient: Patient;
  /** The author. With `authorRole`, the role is the Composition author (it names practitioner and organisation). */
  author: Practitioner;
  authorRole?: PractitionerRole;
  /** The author's organisation, also the custodian. */
  organization: Organization;
  /** Whom the letter is addressed to (carried in the Sealpost recipient extension). */
  recipient?: Practitioner | PractitionerRole | Organization;
  /** Further resources to include, e.g. the recipient's Practitioner and Organization behind a PractitionerRole. */
  include?: Resource[];
  title: string;
  /** Document type. Default LOINC 57133-1 Referral note. */
  type?: CodeableConcept;
  /** The letter itself (PDF, RTF, HTML, plain text…). */
  letter: Content;
  /** Carry the letter as a Binary entry (default) or as an inline attachment of a DocumentReference entry. */
  letterAs?: 'binary' | 'attachment';
  /** Human-readable narrative of the section. Default: the letter's text when it is text/plain, else a line naming the attachment. */
  summary?: string;
  /** Bundle.identifier. Default `urn:ietf:rfc:3986` + a new urn:uuid. */
  identifier?: Identifier;
  /** Composition.status. Default 'final'. */
  status?: Composition['status'];
  /** Clock. Default `() => new Date()`. */
  now?: () => Date;
  /** Source of UUIDs for fullUrls and ids. Default crypto.randomUUID. */
  newId?: () => string;
}

/**
 * Builds a FHIR document Bundle (`type: document`) claiming the sealpost-document profile:
 * Composition first, then Patient, author Practitioner (and PractitionerRole), Organization,
 * the recipient, and the letter as Binary or inline DocumentReference attachment, with an XHTML
 * narrative. Every reference is a `urn:uuid:` fullUrl inside the bundle. Caller objects are not modified.
 *
 * @example
 * const bundle = buildDocumentBundle({ patient, author, organization, title: 'Referral', letter: { contentType: 'application/pdf', data: pdf } });
 */
export function buildDocumentBundle(options: BuildDocumentBundleOptions): Bundle {
  const newId = options.newId ?? randomUuid;
  const now = instant((options.now ?? (() => new Date()))());
  const a = new BundleAssembler(newId);
  const letterIsText = options.letter.contentType.startsWith('text/plain') && typeof options.letter.data === 'string';
  const summary = options.summary ?? (letterIsText ? (options.letter.data as string) : `${options.title}: see the attached ${options.letter.contentType} document.`);

  // Entry order: Composition, Patient, author, role, organisation, recipient, included, letter.
  a.add(options.patient);
  a.add(options.author);
  if (options.authorRole) a.add(options.authorRole);
  a.add(options.organization);
  if (options.recipient) a.add(options.recipient);
  for (const r of options.include ?? []) a.add(r);

  const composition: Composition = {
    resourceType: 'Composition',
    id: newId(),
    status: options.status ?? 'final',
    type: options.type ?? REFERRAL_NOTE,
    subject: a.ref(options.patient),
    date: now,
    author: [options.authorRole ? a.ref(options.authorRole) : a.ref(options.author)],
    title: options.title,
    custodian: a.ref(options.organization),
    text: narrative(`${options.title}\n\n${summary}`),
  };
  if (options.recipient) composition.extension = [{ url: RECIPIENT_EXTENSION, valueReference: a.ref(options.recipient) }];

  let letter: Resource;
  if (options.letterAs === 'attachment') {
    const reference: DocumentReference = {
      resourceType: 'DocumentReference',
      id: newId(),
      status: 'current',
      type: composition.type,
      subject: a.ref(options.patient),
      date: now,
      author: composition.author,
      description: options.title,
      content: [{ attachment: toAttachment({ title: options.title, ...options.letter }, now) }],
    };
    letter = reference;
  } else {
    const bytes = typeof options.letter.data === 'string' ? utf8(options.letter.data) : options.letter.data;
    const binary: Binary = { resourceType: 'Binary', id: newId(), contentType: options.letter.contentType, data: bytesToBase64(bytes) };
    letter = binary;
  }
  composition.section = [{ title: options.title, text: narrative(summary), entry: [a.ref(letter)] }];

  return {
    resourceType: 'Bundle',
    id: newId(),
    meta: { profile: [SEALPOST_PROFILES.document] },
    identifier: options.identifier ?? { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${newId()}` },
    type: 'document',
    timestamp: now,
    entry: a.entries([composition]),
  };
}
