/** One thing the target form could not carry: where it was in the source, and why. */
export interface ConversionNote {
  /** Source location: an HL7 v2 path (`PV1-2`, `OBX[3]-4`) or a FHIRPath-like one (`Patient.telecom[1]`). */
  field: string;
  reason: string;
}
