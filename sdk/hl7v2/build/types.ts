import type { Delimiters } from '../delimiters.js';
import type { CreateMessageOptions } from '../create.js';
import type { ComponentInput, FieldInput } from '../segment.js';
import { formatHl7Date, formatHl7Timestamp, newControlId } from './internal.js';

/** HD (hierarchic designator): namespace id, and optionally a universal id and its type. */
export interface HierarchicDesignator {
  namespace: string;
  universalId?: string;
  /** Universal id type, e.g. `ISO`, `AUSHIC` (HPI-O), `AUSNATA`. */
  universalIdType?: string;
}

/** CE/CWE coded value: code, text and coding system, e.g. `{ code: 'R', text: 'Routine', system: 'HL70280' }`. */
export interface CodedValue {
  code: string;
  text?: string;
  system?: string;
}

/** Who sends or receives: MSH-3/MSH-4 or MSH-5/MSH-6. */
export interface MessageEndpoint {
  application: string | HierarchicDesignator;
  facility: string | HierarchicDesignator;
}

/** Header options shared by every builder. */
export interface MessageHeaderOptions {
  sender: MessageEndpoint;
  receiver: MessageEndpoint;
  /** MSH-10 (default: 20 random hex characters). */
  controlId?: string;
  /** MSH-7 (default: now). */
  timestamp?: Date;
  /** MSH-11 (default `P`). */
  processingId?: 'P' | 'T' | 'D';
  /** MSH-12 as components (default `['2.4', 'AUS&&ISO3166_1']` written as `2.4^AUS&&ISO3166_1`, the HL7 AU profile version). */
  version?: string | readonly ComponentInput[];
  /** MSH-15 / MSH-16 (defaults `AL` / `NE`, as HL7 AU requires for referrals and results). */
  acceptAck?: string;
  applicationAck?: string;
  /** MSH-17 (default `AUS`). */
  country?: string;
  /** Delimiters to declare in MSH-1/MSH-2 (default `|^~\\&`). Values are escaped for them. */
  delimiters?: Partial<Delimiters>;
}

/** XAD address. */
export interface AddressInput {
  street?: string;
  city?: string;
  state?: string;
  postcode?: string;
  country?: string;
  /** Address type (table 0190), e.g. `H` home, `WP` work. */
  type?: string;
}

/** A patient (PID). */
export interface PatientInput {
  /** PID-3: at least one. `type` is the identifier type code (table 0203): `MR`, `MC` (Medicare), `NI` (IHI). */
  identifiers: ReadonlyArray<{ id: string; assigner?: string | HierarchicDesignator; type?: string }>;
  family: string;
  given?: string;
  middle?: string;
  prefix?: string;
  /** PID-7, `YYYYMMDD`. */
  birthDate?: string | Date;
  /** PID-8 (table 0001): `F`, `M`, `U`, `O`, `A`, `N`. */
  sex?: string;
  address?: AddressInput;
  /** PID-13 phone number as written. */
  phone?: string;
}

/** A provider (PRD, or XCN in OBR-16 / TXA-5 / PV1-8). */
export interface ProviderInput {
  family: string;
  given?: string;
  prefix?: string;
  /** Provider number, e.g. a Medicare provider number `0491234A`. */
  id?: string;
  /** Identifier type for PRD-7 (default `UPIN`, as HL7 AU requires for Medicare provider numbers). */
  idType?: string;
  /** Assigning authority of `id` in XCN-9 (default `AUSHICPR`). */
  assigner?: string;
  address?: AddressInput;
  phone?: string;
}

/** A document to embed as ED: its media type (`application/pdf`, `text/html`…) and bytes. */
export interface DocumentInput {
  mediaType: string;
  data: Uint8Array;
}

/** HD as components (MSH-3…6). Internal to the builders. */
export function hd(value: string | HierarchicDesignator): ComponentInput[] {
  if (typeof value === 'string') return [value];
  return [value.namespace, value.universalId ?? '', value.universalIdType ?? ''];
}

/** HD as subcomponents (inside CX-4, EI…). */
export function hdSub(value: string | HierarchicDesignator): ComponentInput {
  if (typeof value === 'string') return value;
  return [value.namespace, value.universalId ?? '', value.universalIdType ?? ''];
}

/** CE/CWE as components: code^text^system. */
export function coded(value: CodedValue): string[] {
  return [value.code, value.text ?? '', value.system ?? ''];
}

/** XAD: street^^city^state^postcode^country^type; '' when absent. */
export function address(value: AddressInput | undefined): FieldInput {
  if (!value) return '';
  return [value.street ?? '', '', value.city ?? '', value.state ?? '', value.postcode ?? '', value.country ?? '', value.type ?? ''];
}

/** XTN: number^use^equipment (PH); '' when absent. */
export function phone(value: string | undefined, use = 'PRN'): FieldInput {
  return value ? [value, use, 'PH'] : '';
}

/** XCN for OBR-16, TXA-5, PV1-8: id^family^given^^^prefix^^^assigner^L^^^idType. */
export function xcn(provider: ProviderInput): FieldInput {
  return [
    provider.id ?? '',
    provider.family,
    provider.given ?? '',
    '',
    '',
    provider.prefix ?? '',
    '',
    '',
    provider.id ? (provider.assigner ?? 'AUSHICPR') : '',
    'L',
    '',
    '',
    provider.id ? (provider.idType ?? 'UPIN') : '',
  ];
}

/** PID-1 … PID-13 for a patient. Throws TypeError without an identifier (PID-3 is required). */
export function pidFields(patient: PatientInput): FieldInput[] {
  if (patient.identifiers.length === 0) throw new TypeError('patient.identifiers must hold at least one identifier');
  return [
    '1',
    '',
    {
      repeat: patient.identifiers.map((identifier) => [identifier.id, '', '', identifier.assigner === undefined ? '' : hdSub(identifier.assigner), identifier.type ?? '']),
    },
    '',
    [patient.family, patient.given ?? '', patient.middle ?? '', '', patient.prefix ?? '', '', 'L'],
    '',
    patient.birthDate === undefined ? '' : formatHl7Date(patient.birthDate),
    patient.sex ?? '',
    '',
    '',
    address(patient.address),
    '',
    phone(patient.phone),
  ];
}

/** ED for OBX-5: `^type^subtype^Base64^data`. */
export function ed(document: DocumentInput, base64: string): FieldInput {
  const [type, subtype] = splitMediaType(document.mediaType);
  return ['', type, subtype, 'Base64', base64];
}

/** `type/subtype` → ED-2 and ED-3, lower case. Throws TypeError on anything else. */
export function splitMediaType(mediaType: string): [string, string] {
  const match = /^([a-z0-9!#$&^_.+-]+)\/([a-z0-9!#$&^_.+-]+)$/i.exec(mediaType.split(';')[0]?.trim() ?? '');
  if (!match) throw new TypeError(`not a media type: '${mediaType}'`);
  return [(match[1] as string).toLowerCase(), (match[2] as string).toLowerCase()];
}

/** MSH-3 onwards for createMessage. */
export function mshFields(options: MessageHeaderOptions, messageType: readonly string[]): FieldInput[] {
  const version = options.version ?? ['2.4', ['AUS', '', 'ISO3166_1']];
  return [
    hd(options.sender.application),
    hd(options.sender.facility),
    hd(options.receiver.application),
    hd(options.receiver.facility),
    formatHl7Timestamp(options.timestamp ?? new Date()),
    '',
    [...messageType],
    options.controlId ?? newControlId(),
    options.processingId ?? 'P',
    typeof version === 'string' ? version : [...version],
    '',
    '',
    options.acceptAck ?? 'AL',
    options.applicationAck ?? 'NE',
    options.country ?? 'AUS',
    'UNICODE UTF-8',
  ];
}

/** createMessage options for a builder: MSH from the header options, and their delimiters. */
export function messageOptions(options: MessageHeaderOptions, timestamp: Date, messageType: readonly string[]): CreateMessageOptions {
  const msh = mshFields({ ...options, timestamp }, messageType);
  return options.delimiters ? { msh, delimiters: options.delimiters } : { msh };
}
