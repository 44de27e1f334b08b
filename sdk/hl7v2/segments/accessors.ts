import type { Hl7Segment } from '../segment.js';
import { ERR_FIELDS, EVN_FIELDS, MSA_FIELDS, MSH_FIELDS, NTE_FIELDS, OBR_FIELDS, OBX_FIELDS, ORC_FIELDS, PID_FIELDS, PRD_FIELDS, PV1_FIELDS, RF1_FIELDS, TXA_FIELDS } from './fields.js';

type FieldTable = Readonly<Record<string, number>>;

/**
 * A thin, typed view over an {@link Hl7Segment}: field names instead of numbers, nothing cached,
 * nothing copied. Each field name is also a property giving the decoded value of the field's first
 * component of its first repetition — the whole value for simple fields (`msh.messageControlId`),
 * the first component for composites (`pid.patientName` → family name). Use {@link value},
 * {@link components} and {@link repetitions} for the rest.
 */
export class SegmentView<F extends FieldTable> {
  /** The underlying segment; edits through it are visible here. */
  readonly segment: Hl7Segment;
  /** The name → number table of this segment type. */
  readonly fields: F;

  constructor(segment: Hl7Segment, fields: F) {
    this.segment = segment;
    this.fields = fields;
  }

  /** Field number of `name`, e.g. `pid.number('patientName')` → 5. */
  number(name: keyof F & string): number {
    return this.fields[name] as number;
  }

  /** Decoded leaf value, all positions 1-based; '' when absent (as `Hl7Segment.value`). */
  value(name: keyof F & string, repetition = 1, component = 1, subcomponent = 1): string {
    return this.segment.value(this.number(name), repetition, component, subcomponent);
  }

  /** Encoded text of the field (or of one repetition/component of it). */
  raw(name: keyof F & string, repetition?: number, component?: number): string {
    const n = this.number(name);
    if (repetition === undefined) return this.segment.raw(n);
    return component === undefined ? this.segment.raw(n, repetition) : this.segment.raw(n, repetition, component);
  }

  /** Decoded components of one repetition (first subcomponent of each), e.g. `['CITIZEN', 'JANE', 'MARIE']`. */
  components(name: keyof F & string, repetition = 1): string[] {
    const n = this.number(name);
    const count = this.segment.componentCount(n, repetition);
    const out: string[] = [];
    for (let c = 1; c <= count; c++) out.push(this.segment.value(n, repetition, c));
    return out;
  }

  /** Decoded first component of every repetition, e.g. every identifier in PID-3. */
  repetitions(name: keyof F & string): string[] {
    const n = this.number(name);
    const count = this.segment.repetitionCount(n);
    const out: string[] = [];
    for (let r = 1; r <= count; r++) out.push(this.segment.value(n, r));
    return out;
  }
}

/** A {@link SegmentView} with one decoded property per field name. */
export type TypedSegment<F extends FieldTable> = SegmentView<F> & { readonly [K in keyof F]: string };

/** A function that wraps a segment of one type; also carries that type's name and field table. */
export interface SegmentAccessor<F extends FieldTable> {
  (segment: Hl7Segment): TypedSegment<F>;
  readonly segmentName: string;
  readonly fields: F;
}

function defineSegment<F extends FieldTable>(segmentName: string, fields: F): SegmentAccessor<F> {
  class View extends SegmentView<F> {}
  for (const [key, n] of Object.entries(fields)) {
    Object.defineProperty(View.prototype, key, {
      get(this: View): string {
        return this.segment.value(n);
      },
      enumerable: true,
    });
  }
  const accessor = (segment: Hl7Segment): TypedSegment<F> => {
    if (segment.name !== segmentName) throw new TypeError(`expected a ${segmentName} segment, got ${segment.name}`);
    return new View(segment, fields) as TypedSegment<F>;
  };
  return Object.assign(accessor, { segmentName, fields });
}

/** Typed view of MSH (message header). `msh(m.segment('MSH')!).messageControlId`. Throws TypeError on another segment. */
export const msh = defineSegment('MSH', MSH_FIELDS);
/** Typed view of EVN (event type). */
export const evn = defineSegment('EVN', EVN_FIELDS);
/** Typed view of PID (patient identification). */
export const pid = defineSegment('PID', PID_FIELDS);
/** Typed view of PV1 (patient visit). */
export const pv1 = defineSegment('PV1', PV1_FIELDS);
/** Typed view of ORC (common order). */
export const orc = defineSegment('ORC', ORC_FIELDS);
/** Typed view of OBR (observation request). */
export const obr = defineSegment('OBR', OBR_FIELDS);
/** Typed view of OBX (observation/result). */
export const obx = defineSegment('OBX', OBX_FIELDS);
/** Typed view of NTE (notes and comments). */
export const nte = defineSegment('NTE', NTE_FIELDS);
/** Typed view of PRD (provider data). */
export const prd = defineSegment('PRD', PRD_FIELDS);
/** Typed view of RF1 (referral information). */
export const rf1 = defineSegment('RF1', RF1_FIELDS);
/** Typed view of TXA (transcription document header). */
export const txa = defineSegment('TXA', TXA_FIELDS);
/** Typed view of MSA (message acknowledgment). */
export const msa = defineSegment('MSA', MSA_FIELDS);
/** Typed view of ERR (error). */
export const err = defineSegment('ERR', ERR_FIELDS);
