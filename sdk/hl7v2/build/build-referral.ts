import { createMessage } from '../create.js';
import type { Hl7Message } from '../message.js';
import type { FieldInput } from '../segment.js';
import { encodeBase64, formatHl7Date, formatHl7Timestamp } from './internal.js';
import type { CodedValue, DocumentInput, HierarchicDesignator, MessageHeaderOptions, PatientInput, ProviderInput } from './types.js';
import { address, coded, ed, hdSub, messageOptions, phone, pidFields, xcn } from './types.js';

/** A display rendering of the referral letter (HL7 AU display segment). `text` is sent as FT. */
export type ReferralDisplay =
  | { format: 'pdf'; data: Uint8Array }
  | { format: 'html'; data: Uint8Array | string }
  | { format: 'rtf'; data: Uint8Array | string }
  | { format: 'text'; data: string };

/** An attachment of a Level 2 referral: a document plus the code of what it is. */
export interface ReferralAttachment extends DocumentInput {
  /** OBR-4 and OBX-3 of the attachment's group (default `ATT^Attachment^L`). */
  code?: CodedValue;
}

/** Options of {@link buildReferral}. */
export interface BuildReferralOptions extends MessageHeaderOptions {
  /** HL7 AU simplified REF profile level: 1 (one OBR, a PDF display segment, no attachments) or 2. */
  level: 1 | 2;
  referral: {
    /**
     * RF1-6 originating referral identifier (EI). Each OBR group's OBR-3 (filler order number,
     * the document identifier) is `<id>-<group number>` under the same authority.
     */
    id: string;
    /**
     * Assigning authority of the id (the referrer's organisation). Give the full HD (namespace,
     * universal id such as the HPI-O, and its type `AUSHIC`): HL7au:000002 requires receivers to
     * reject document identifiers (OBR-3) that are not fully specified.
     */
    assigner: string | HierarchicDesignator;
    /** RF1-1 (default `P^Pending^HL70283`). */
    status?: CodedValue;
    /** RF1-2 (default `R^Routine^HL70280`). */
    priority?: CodedValue;
    /** RF1-3 (default `MED^Medical^HL70281`). */
    type?: CodedValue;
    /** RF1-4 referral disposition (default `RP^Return patient after evaluation^HL70282`). */
    disposition?: CodedValue;
    /** RF1-5 referral category (table 0284: `I`, `O`, `A`, `E`; default empty). */
    category?: CodedValue;
    /** RF1-7 effective date (default: the message time). */
    date?: Date | string;
    /** OBR-4 of the letter's group (default `REFER^Referral^L`). */
    code?: CodedValue;
  };
  /** PRD with PRD-1 `RP` (referring provider). */
  referrer: ProviderInput;
  /** PRD with PRD-1 `IR` (intended recipient): the provider the message is addressed to. */
  recipient: ProviderInput;
  patient: PatientInput;
  /** Display segments of the letter, in order. Level 1 must include a `pdf`. */
  display: readonly ReferralDisplay[];
  /** Level 2 only: each attachment becomes its own OBR group. */
  attachments?: readonly ReferralAttachment[];
}

const DISPLAY: Record<ReferralDisplay['format'], { code: string; mediaType: string }> = {
  pdf: { code: 'PDF', mediaType: 'application/pdf' },
  html: { code: 'HTML', mediaType: 'text/html' },
  rtf: { code: 'RTF', mediaType: 'text/rtf' },
  text: { code: 'PIT', mediaType: 'text/plain' },
};

function prdFields(role: 'RP' | 'IR', provider: ProviderInput): FieldInput[] {
  const roleText = role === 'RP' ? 'Referring Provider' : 'Intended Recipient';
  return [
    [role, roleText, 'HL70286'],
    [provider.family, provider.given ?? '', '', '', provider.prefix ?? ''],
    address(provider.address),
    '',
    phone(provider.phone, 'WPN'),
    '',
    provider.id ? [provider.id, provider.idType ?? 'UPIN'] : '',
  ];
}

/**
 * Builds a REF^I12 patient referral following HL7 Australia's simplified REF profile (ADRM
 * Appendix 8): MSH, RF1, PRD (RP), PRD (IR), PID, then one OBR group holding the display segments
 * (`OBX-3 = PDF|HTML|RTF^Display format in …^AUSPDI`, OBX-2 ED Base64; `text` as an FT `PIT`
 * segment) and, at Level 2, one OBR group per attachment.
 *
 * Throws `RangeError` when Level 1 lacks a PDF display or carries attachments, or when there is no
 * display segment at all.
 *
 * @example
 * const message = buildReferral({ level: 1, sender, receiver, referral, referrer, recipient, patient,
 *   display: [{ format: 'pdf', data: pdfBytes }] });
 * const wire = message.toBytes();
 */
export function buildReferral(options: BuildReferralOptions): Hl7Message {
  if (options.display.length === 0) throw new RangeError('buildReferral: at least one display segment is required');
  if (options.level === 1) {
    if (!options.display.some((d) => d.format === 'pdf')) throw new RangeError('buildReferral: a Level 1 referral must carry a PDF display segment');
    if (options.attachments?.length) throw new RangeError('buildReferral: Level 1 referrals do not support attachments (use level 2)');
  } else if (options.level !== 2) {
    throw new RangeError(`buildReferral: level must be 1 or 2, not ${String(options.level)}`);
  }
  const timestamp = options.timestamp ?? new Date();
  const message = createMessage(messageOptions(options, timestamp, ['REF', 'I12', 'REF_I12']));
  const referral = options.referral;
  const referralId = [referral.id, ...flattenHd(referral.assigner)];
  message.addSegment('RF1', [
    coded(referral.status ?? { code: 'P', text: 'Pending', system: 'HL70283' }),
    coded(referral.priority ?? { code: 'R', text: 'Routine', system: 'HL70280' }),
    coded(referral.type ?? { code: 'MED', text: 'Medical', system: 'HL70281' }),
    coded(referral.disposition ?? { code: 'RP', text: 'Return patient after evaluation', system: 'HL70282' }),
    referral.category ? coded(referral.category) : '',
    referralId,
    formatHl7Date(referral.date ?? timestamp),
  ]);
  message.addSegment('PRD', prdFields('RP', options.referrer));
  message.addSegment('PRD', prdFields('IR', options.recipient));
  message.addSegment('PID', pidFields(options.patient));
  const when = formatHl7Timestamp(timestamp);
  const obr = (setId: number, code: CodedValue): FieldInput[] => [
    String(setId),
    '',
    [`${referral.id}-${setId}`, ...flattenHd(referral.assigner)],
    coded(code),
    '',
    '',
    when,
    ...Array<string>(8).fill(''),
    xcn(options.referrer),
    '',
    '',
    '',
    '',
    '',
    when,
    '',
    'PHY',
    'F',
  ];
  message.addSegment('OBR', obr(1, referral.code ?? { code: 'REFER', text: 'Referral', system: 'L' }));
  options.display.forEach((display, i) => {
    const { code, mediaType } = DISPLAY[display.format];
    const observation = [code, `Display format in ${code}`, 'AUSPDI'];
    if (display.format === 'text') {
      message.addSegment('OBX', [String(i + 1), 'FT', observation, '', display.data, '', '', '', '', '', 'F']);
      return;
    }
    const data = typeof display.data === 'string' ? new TextEncoder().encode(display.data) : display.data;
    message.addSegment('OBX', [String(i + 1), 'ED', observation, '', ed({ mediaType, data }, encodeBase64(data)), '', '', '', '', '', 'F']);
  });
  (options.attachments ?? []).forEach((attachment, i) => {
    const code = attachment.code ?? { code: 'ATT', text: 'Attachment', system: 'L' };
    message.addSegment('OBR', obr(i + 2, code));
    message.addSegment('OBX', ['1', 'ED', coded(code), '', ed(attachment, encodeBase64(attachment.data)), '', '', '', '', '', 'F']);
  });
  return message;
}

function flattenHd(value: string | HierarchicDesignator): string[] {
  const sub = hdSub(value);
  return typeof sub === 'string' ? [sub] : [...sub];
}
