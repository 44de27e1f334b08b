import { createMessage } from '../create.js';
import type { Hl7Message } from '../message.js';
import type { FieldInput } from '../segment.js';
import { encodeBase64, formatHl7Timestamp } from './internal.js';
import type { CodedValue, HierarchicDesignator, MessageHeaderOptions, PatientInput, ProviderInput } from './types.js';
import { coded, ed, hdSub, messageOptions, pidFields, xcn } from './types.js';

/** One atomic result (an OBX before the display segment). */
export interface ResultObservation {
  /** OBX-2 value type: `NM`, `ST`, `TX`, `FT`, `CE`… (default `ST`). */
  valueType?: string;
  /** OBX-3. */
  code: CodedValue;
  /** OBX-5, plain text (escaped on write). */
  value: string;
  /** OBX-6 units. */
  units?: string;
  /** OBX-7 reference range. */
  referenceRange?: string;
  /** OBX-8 abnormal flag (table 0078), e.g. `H`, `L`. */
  abnormalFlag?: string;
}

/** Options of {@link buildPdfResult}. */
export interface BuildPdfResultOptions extends MessageHeaderOptions {
  patient: PatientInput;
  order: {
    /** OBR-3 filler order number (the report's id) and its assigning authority. */
    fillerId: string;
    assigner: string | HierarchicDesignator;
    /** OBR-2 placer order number, when the result answers an order. */
    placerId?: string;
    placerAssigner?: string | HierarchicDesignator;
    /** OBR-4 (universal service identifier), e.g. `{ code: '26604-1', text: 'Full blood count', system: 'LN' }`. */
    code: CodedValue;
    /** OBR-7 observation (collection) time. */
    observedAt?: Date;
    /** OBR-16 ordering provider. */
    requester?: ProviderInput;
    /** OBR-24 diagnostic service section (table 0074), e.g. `HM`, `CH`, `RAD`. */
    section?: string;
    /** OBR-25 / OBX-11 result status (default `F`). */
    status?: string;
  };
  observations?: readonly ResultObservation[];
  /** The report as a PDF; sent last as the AU PDF display segment. */
  pdf: Uint8Array;
}

/**
 * Builds an ORU^R01 result with an embedded PDF report: MSH, PID, ORC (RE), OBR, the atomic OBX
 * results, then the PDF display segment `OBX|n|ED|PDF^Display format in PDF^AUSPDI||^application^pdf^Base64^…`
 * last in the group, as HL7 AU pathology messaging places display segments.
 *
 * @example
 * const message = buildPdfResult({ sender, receiver, patient, order: { fillerId: '26-1234567', assigner: lab, code }, pdf });
 */
export function buildPdfResult(options: BuildPdfResultOptions): Hl7Message {
  const timestamp = options.timestamp ?? new Date();
  const message = createMessage(messageOptions(options, timestamp, ['ORU', 'R01', 'ORU_R01']));
  const order = options.order;
  const status = order.status ?? 'F';
  const placer: FieldInput = order.placerId ? [order.placerId, ...flat(order.placerAssigner ?? '')] : '';
  const filler: FieldInput = [order.fillerId, ...flat(order.assigner)];
  message.addSegment('PID', pidFields(options.patient));
  message.addSegment('ORC', ['RE', placer, filler, '', 'CM']);
  const observed = order.observedAt ? formatHl7Timestamp(order.observedAt) : '';
  message.addSegment('OBR', [
    '1',
    placer,
    filler,
    coded(order.code),
    '',
    '',
    observed,
    ...Array<string>(8).fill(''),
    order.requester ? xcn(order.requester) : '',
    '',
    '',
    '',
    '',
    '',
    formatHl7Timestamp(timestamp),
    '',
    order.section ?? '',
    status,
  ]);
  const observations = options.observations ?? [];
  observations.forEach((observation, i) => {
    message.addSegment('OBX', [
      String(i + 1),
      observation.valueType ?? 'ST',
      coded(observation.code),
      '',
      observation.value,
      observation.units ?? '',
      observation.referenceRange ?? '',
      observation.abnormalFlag ?? '',
      '',
      '',
      status,
    ]);
  });
  message.addSegment('OBX', [
    String(observations.length + 1),
    'ED',
    ['PDF', 'Display format in PDF', 'AUSPDI'],
    '',
    ed({ mediaType: 'application/pdf', data: options.pdf }, encodeBase64(options.pdf)),
    '',
    '',
    '',
    '',
    '',
    status,
  ]);
  return message;
}

function flat(value: string | HierarchicDesignator): string[] {
  const sub = hdSub(value);
  return typeof sub === 'string' ? [sub] : [...sub];
}
