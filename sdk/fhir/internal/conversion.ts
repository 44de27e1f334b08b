import type { Hl7Segment } from '../../hl7v2/index.js';
import type { ConversionNote } from '../conversion-note.js';

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
}
