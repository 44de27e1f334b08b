/** A small ORU^R01 (HL7 v2.5.1) with the given MSH-10, in wire form (segments ended by CR). */
export function oru(controlId: string, options: { family?: string; filler?: number } = {}): string {
  return [
    `MSH|^~\\&|LAB|ACME PATH|GP|SURGERY|20260101120000||ORU^R01^ORU_R01|${controlId}|P|2.5.1`,
    `PID|1||8003608166690503^^^AUSHIC^NI||${options.family ?? 'Citizen'}^Jane^^^Ms||19800101|F|||1 Main St^^Sydney^NSW^2000^AU`,
    'OBR|1||R1|11502-2^Laboratory report^LN|||20260101110000',
    `OBX|1|FT|11502-2^Laboratory report^LN||${'Result text '.repeat(options.filler ?? 1)}||||||F`,
  ].join('\r') + '\r';
}
