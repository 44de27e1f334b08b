import { DirectoryError } from './errors.js';
import type { PayloadType } from './names.js';

/** The forms Sealpost produces for a letter, best first (design.md §7). */
export const PAYLOAD_PREFERENCE: readonly PayloadType[] = ['fhir-document', 'hl7v2-ref-i12-l2', 'hl7v2-ref-i12-l1'];

/** Options for {@link choosePayloadForm}. */
export interface ChoosePayloadFormOptions {
  /** Forms the sender can produce. Default all of {@link PAYLOAD_PREFERENCE}; drop `hl7v2-ref-i12-l1` when there is no PDF rendering. */
  canProduce?: readonly PayloadType[];
}

/**
 * Chooses the best form the recipient accepts and the sender can produce: FHIR document bundle,
 * then REF^I12 Level 2, then REF^I12 Level 1 (PDF). An Endpoint that lists no payload type is
 * taken to accept Sealpost's default, the FHIR document. Throws DirectoryError
 * `ERR_DIRECTORY_NO_PAYLOAD_FORM` when nothing fits.
 */
export function choosePayloadForm(accepted: readonly PayloadType[], options: ChoosePayloadFormOptions = {}): PayloadType {
  const producible = options.canProduce ?? PAYLOAD_PREFERENCE;
  const acceptedSet = new Set(accepted.length ? accepted : ['fhir-document']);
  for (const form of PAYLOAD_PREFERENCE) if (acceptedSet.has(form) && producible.includes(form)) return form;
  throw new DirectoryError('ERR_DIRECTORY_NO_PAYLOAD_FORM', `the recipient accepts ${[...acceptedSet].join(', ')}; the sender can produce ${producible.join(', ')}`);
}
