import { createMessage } from '../create.js';
import type { Hl7Message } from '../message.js';
import { encodeBase64, formatHl7Timestamp } from './internal.js';
import type { CodedValue, DocumentInput, HierarchicDesignator, MessageHeaderOptions, PatientInput, ProviderInput } from './types.js';
import { coded, ed, hdSub, messageOptions, pidFields, splitMediaType, xcn } from './types.js';

/** Options of {@link buildDocumentNotification}. */
export interface BuildDocumentNotificationOptions extends MessageHeaderOptions {
  patient: PatientInput;
  /** PV1-2 patient class (default `U`, unknown; PV1 is required in MDM). */
  patientClass?: string;
  document: DocumentInput & {
    /** TXA-12 unique document number and its assigning authority. */
    id: string;
    assigner: string | HierarchicDesignator;
    /** TXA-2 document type (table 0270), e.g. `CN` consultation, `DS` discharge summary. */
    type: string;
    /** OBX-3 of the content (default `{ code: '11488-4', text: 'Consult note', system: 'LN' }`). */
    code?: CodedValue;
    /** TXA-5 / TXA-9: the author. */
    author?: ProviderInput;
    /** TXA-4 / TXA-6 (default: the message time). */
    createdAt?: Date;
    /** TXA-17 completion status (table 0271, default `AU` authenticated). */
    status?: string;
    /** TXA-16 unique document file name. */
    filename?: string;
  };
}

/**
 * Builds an MDM^T02 (original document notification and content, HL7 v2.5.1 §9.6.2): MSH, EVN,
 * PID, PV1, TXA, and one OBX of type ED carrying the document in Base64.
 *
 * @example
 * const message = buildDocumentNotification({ sender, receiver, patient,
 *   document: { id: 'DOC-1', assigner: 'HGP', type: 'CN', mediaType: 'application/pdf', data } });
 */
export function buildDocumentNotification(options: BuildDocumentNotificationOptions): Hl7Message {
  const timestamp = options.timestamp ?? new Date();
  const message = createMessage(messageOptions(options, timestamp, ['MDM', 'T02', 'MDM_T02']));
  const document = options.document;
  const when = formatHl7Timestamp(timestamp);
  const created = formatHl7Timestamp(document.createdAt ?? timestamp);
  const author = document.author ? xcn(document.author) : '';
  const assigner = hdSub(document.assigner);
  const [type] = splitMediaType(document.mediaType);
  message.addSegment('EVN', ['T02', when]);
  message.addSegment('PID', pidFields(options.patient));
  message.addSegment('PV1', ['1', options.patientClass ?? 'U']);
  message.addSegment('TXA', [
    '1',
    document.type,
    type === 'text' ? 'TX' : 'AP',
    created,
    author,
    created,
    '',
    '',
    author,
    '',
    '',
    [document.id, ...(typeof assigner === 'string' ? [assigner] : assigner)],
    '',
    '',
    '',
    document.filename ?? '',
    document.status ?? 'AU',
  ]);
  const code = document.code ?? { code: '11488-4', text: 'Consult note', system: 'LN' };
  message.addSegment('OBX', ['1', 'ED', coded(code), '', ed(document, encodeBase64(document.data)), '', '', '', '', '', 'F']);
  return message;
}
