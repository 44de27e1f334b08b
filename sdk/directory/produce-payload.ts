import type { Bundle } from '@medplum/fhirtypes';
import { buildDocumentBundle, convertFhirToHl7v2 } from '../fhir/index.js';
import type { BuildDocumentBundleOptions, ConversionNote, Hl7v2Party } from '../fhir/index.js';
import { choosePayloadForm } from './choose-payload-form.js';
import type { PayloadType } from './names.js';

/** Options for {@link producePayload}: the letter as for buildDocumentBundle, plus renderings. */
export interface ProducePayloadOptions extends BuildDocumentBundleOptions {
  /** A PDF rendering of the letter, needed for REF^I12 Level 1 when the letter itself is not a PDF. */
  pdf?: Uint8Array;
  /** MSH-3/4 and MSH-5/6 for the HL7 v2 forms. */
  sender?: Hl7v2Party;
  receiver?: Hl7v2Party;
}

/** A payload ready to seal. */
export interface ProducedPayload {
  form: PayloadType;
  /** `application/fhir+json` or `x-application/hl7-v2+er7`. */
  contentType: string;
  bytes: Uint8Array;
  /** The FHIR document the payload was made from (always built: it is the human-readable source too). */
  bundle: Bundle;
  /** What the HL7 v2 conversion could not carry (empty for the FHIR form). */
  report: ConversionNote[];
}

/**
 * Negotiates and produces the payload for a recipient that accepts `accepted` forms (from its
 * Endpoint): a FHIR document bundle (sdk/fhir), else REF^I12 Level 2, else Level 1 with the PDF
 * (sdk/fhir's converter writes the REF^I12 with sdk/hl7v2). Level 1 is only offered when the
 * letter is a PDF or `pdf` is given. Throws `ERR_DIRECTORY_NO_PAYLOAD_FORM` when nothing fits,
 * `ERR_FHIR_CONVERT` when the letter cannot be written as HL7 v2.
 */
export function producePayload(accepted: readonly PayloadType[], options: ProducePayloadOptions): ProducedPayload {
  const hasPdf = options.letter.contentType === 'application/pdf' || options.pdf !== undefined;
  const canProduce: PayloadType[] = ['fhir-document', 'hl7v2-ref-i12-l2', ...(hasPdf ? (['hl7v2-ref-i12-l1'] as const) : [])];
  const form = choosePayloadForm(accepted, { canProduce });
  const { pdf, sender, receiver, ...bundleOptions } = options;
  if (form === 'fhir-document') {
    const bundle = buildDocumentBundle(bundleOptions);
    return { form, contentType: 'application/fhir+json', bytes: new TextEncoder().encode(JSON.stringify(bundle)), bundle, report: [] };
  }
  // Level 1 carries the PDF rendering as the letter; Level 2 the letter as written.
  const letter = form === 'hl7v2-ref-i12-l1' && options.letter.contentType !== 'application/pdf' && pdf ? { contentType: 'application/pdf', data: pdf, title: options.letter.title ?? options.title } : options.letter;
  const bundle = buildDocumentBundle({ ...bundleOptions, letter });
  const result = convertFhirToHl7v2(bundle, { profile: form === 'hl7v2-ref-i12-l1' ? 'au-ref-l1' : 'au-ref-l2', ...(sender ? { sender } : {}), ...(receiver ? { receiver } : {}) });
  return { form, contentType: 'x-application/hl7-v2+er7', bytes: result.message.toBytes(), bundle, report: result.report };
}
