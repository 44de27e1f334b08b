import { parseMessage } from '@sealpost/sdk/hl7v2';
import { AdapterError } from '../errors.js';
import type { PatientDemographics, PatientIdentifier } from '../match/match-patient.js';
import { IDENTIFIER_SYSTEMS } from '../match/match-patient.js';
import type { RenderedLetter } from './pipeline.js';

const SEX: Record<string, PatientDemographics['sex']> = { M: 'male', F: 'female', O: 'other', U: 'unknown' };
// HL7 v2 assigning authorities (PID-3.4) of national identifiers, as Australian and UK senders write them.
const AUTHORITIES: Record<string, string> = { AUSHIC: IDENTIFIER_SYSTEMS.medicare, 'AUSHIC:NI': IDENTIFIER_SYSTEMS.ihi, NHS: IDENTIFIER_SYSTEMS.nhsNumber };

/**
 * Renders an HL7 v2 letter (REF, ORU, MDM) for a folder-import EMR: the bytes are filed as they
 * came, and PID gives the demographics to match (PID-3 identifiers, PID-5 name, PID-7 birth date,
 * PID-8 sex, PID-11.5 postcode). An IHI is PID-3 with assigning authority AUSHIC and type NI.
 * Throws `ERR_IMPORT_RENDER` when there is no PID.
 */
export function renderHl7Letter(payload: Uint8Array): RenderedLetter {
  const message = parseMessage(payload);
  if (!message.segment('PID')) throw new AdapterError('ERR_IMPORT_RENDER', 'the HL7 message has no PID segment');
  const identifiers: PatientIdentifier[] = [];
  for (const [i, value] of message.getAll('PID-3.1').entries()) {
    const authority = message.getAll('PID-3.4')[i] ?? '';
    const type = message.getAll('PID-3.5')[i] ?? '';
    const system = AUTHORITIES[`${authority}:${type}`] ?? AUTHORITIES[authority] ?? (authority ? `urn:hl7v2:authority:${authority}` : '');
    if (value && system) identifiers.push({ system, value });
  }
  const birth = message.get('PID-7.1') ?? '';
  const sex = SEX[(message.get('PID-8') ?? '').toUpperCase()];
  const patient: PatientDemographics = {
    identifiers,
    ...(message.get('PID-5.1') ? { family: message.get('PID-5.1')! } : {}),
    ...(message.get('PID-5.2') ? { given: [message.get('PID-5.2')!] } : {}),
    ...(/^\d{8}/.test(birth) ? { birthDate: `${birth.slice(0, 4)}-${birth.slice(4, 6)}-${birth.slice(6, 8)}` } : {}),
    ...(sex ? { sex } : {}),
    ...(message.get('PID-11.5') ? { postcode: message.get('PID-11.5')! } : {}),
  };
  return { content: payload, mediaType: 'application/hl7-v2', patient };
}
