import type { Hl7Segment } from '../../hl7v2/index.js';
import type { ConversionNote } from '../conversion-note.js';

/** MessageHeader endpoints of converted messages: this prefix + the MSH-3/MSH-5 HD components, URI-encoded, joined by ':'. */
export const APPLICATION_URN = 'urn:sealpost:hl7v2:application:';

/** Collects notes without duplicates. */
export class ConversionReport {
  readonly notes: ConversionNote[] = [];
  readonly #seen = new Set<string>();

  add(field: string, reason: string): void {
    const key = `${field}\u0000${reason}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.notes.push({ field, reason });
  }

  /**
   * Notes every valued field of `segment` that is not in `mapped`. Set IDs (field 1 of OBX, OBR,
   * NTE, PID, PV1, TXA) only number segments and are left out by the caller's `mapped` list.
   */
  unmappedFields(segment: Hl7Segment, label: string, mapped: readonly number[], reason = 'no mapping to FHIR in this conversion'): void {
    const first = segment.name === 'MSH' ? 3 : 1;
    for (let f = first; f <= segment.fieldCount; f++) {
      if (mapped.includes(f)) continue;
      if (segment.raw(f) !== '') this.add(`${label}-${f}`, reason);
    }
  }

  /**
   * Notes valued components of field `field` (every repetition) that are not in `mapped`, e.g. an
   * XPN degree (`PID-5.6`). Used for the data types whose components map one by one.
   */
  unmappedComponents(segment: Hl7Segment, label: string, field: number, mapped: readonly number[]): void {
    for (let r = 1; r <= segment.repetitionCount(field); r++) {
      for (let c = 1; c <= segment.componentCount(field, r); c++) {
        if (!mapped.includes(c) && segment.raw(field, r, c) !== '') this.add(`${label}-${field}.${c}`, 'component has no place in the FHIR element');
      }
    }
  }
}
