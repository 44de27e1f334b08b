// HL7 v2 data types ↔ FHIR data types, after the HL7 v2-to-FHIR IG's datatype maps
// (HL7/v2-to-fhir mappings/datatypes: CX[Identifier], XPN[HumanName], XAD[Address],
// XTN[ContactPoint], CWE[CodeableConcept], DTM[dateTime]). Kept symmetric so a round trip
// v2 → FHIR → v2 gives back the same values.
import type { Address, CodeableConcept, Coding, ContactPoint, HumanName, Identifier } from '@medplum/fhirtypes';
import type { ComponentInput, FieldInput, Hl7Segment } from '../../hl7v2/index.js';
import { IDENTIFIER_SYSTEMS } from '../validate-identifier.js';

/** Drops trailing empty components, so `A^B^^` is written `A^B` as senders write it. */
export function trimEmpty<T extends ComponentInput>(components: T[]): T[] {
  let end = components.length;
  while (end > 1 && components[end - 1] === '') end--;
  return components.slice(0, end);
}

/** v2 coding-system names (table 0396) ↔ FHIR system URIs. Unknown names round-trip through SYSTEM_PREFIX. */
const CODE_SYSTEMS: Record<string, string> = {
  LN: 'http://loinc.org',
  SCT: 'http://snomed.info/sct',
  SNM: 'http://snomed.info/sct',
  UCUM: 'http://unitsofmeasure.org',
  I10: 'http://hl7.org/fhir/sid/icd-10',
  I10AM: 'http://hl7.org/fhir/sid/icd-10-am',
};
export const SYSTEM_PREFIX = 'https://sealpost.org/fhir/CodeSystem/hl7v2-';

export function systemToFhir(name: string): string | undefined {
  if (name === '') return undefined;
  const known = CODE_SYSTEMS[name];
  if (known) return known;
  const table = /^HL7(\d{4})$/.exec(name);
  if (table) return `http://terminology.hl7.org/CodeSystem/v2-${table[1]!}`;
  return SYSTEM_PREFIX + encodeURIComponent(name);
}

export function systemToV2(uri: string | undefined): string {
  if (uri === undefined) return '';
  for (const [name, value] of Object.entries(CODE_SYSTEMS)) if (value === uri) return name;
  const table = /^http:\/\/terminology\.hl7\.org\/CodeSystem\/v2-(\d{4})$/.exec(uri);
  if (table) return `HL7${table[1]!}`;
  if (uri.startsWith(SYSTEM_PREFIX)) return decodeURIComponent(uri.slice(SYSTEM_PREFIX.length));
  return uri;
}

/** CWE/CE at field `f`, repetition `r` → CodeableConcept (first triplet; the alternate triplet as a second coding). */
export function cweToConcept(segment: Hl7Segment, f: number, r = 1): CodeableConcept | undefined {
  const codings: Coding[] = [];
  for (const offset of [0, 3]) {
    const code = segment.value(f, r, 1 + offset);
    const display = segment.value(f, r, 2 + offset);
    if (code === '' && display === '') continue;
    const coding: Coding = {};
    const system = systemToFhir(segment.value(f, r, 3 + offset));
    if (system) coding.system = system;
    if (code !== '') coding.code = code;
    if (display !== '') coding.display = display;
    codings.push(coding);
  }
  if (codings.length === 0) return undefined;
  const concept: CodeableConcept = { coding: codings };
  return concept;
}

export function conceptToCwe(concept: CodeableConcept | undefined): ComponentInput[] {
  if (!concept) return [''];
  const out: ComponentInput[] = [];
  for (const coding of (concept.coding ?? []).slice(0, 2)) out.push(coding.code ?? '', coding.display ?? '', systemToV2(coding.system));
  if (out.length === 0 && concept.text !== undefined) out.push('', concept.text, '');
  return out.length ? trimEmpty(out) : [''];
}

/**
 * DTM (v2.5.1 §2.A.22) → FHIR date/dateTime. FHIR wants a UTC offset with any time, so a time
 * without one cannot be carried: we keep the date and say so in `lost`.
 */
export function dtmToFhir(dtm: string): { value?: string; lost?: string } {
  const m = /^(\d{4})(\d{2})?(\d{2})?(?:(\d{2})(\d{2})?(\d{2})?(\.\d{1,4})?)?([+-]\d{4})?$/.exec(dtm);
  if (!m) return dtm === '' ? {} : { lost: `'${dtm}' is not a DTM` };
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  let date = y!;
  if (mo) date += `-${mo}`;
  if (mo && d) date += `-${d}`;
  if (!h) return { value: date };
  if (!tz || !d) return { value: date, lost: `time of '${dtm}' dropped: no UTC offset` };
  const zone = tz === '+0000' ? 'Z' : `${tz.slice(0, 3)}:${tz.slice(3)}`;
  return { value: `${date}T${h}:${mi ?? '00'}:${s ?? '00'}${frac ?? ''}${zone}` };
}

/** FHIR date/dateTime/instant → DTM, keeping its precision and offset. */
export function fhirToDtm(value: string | undefined): string {
  if (!value) return '';
  const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(value);
  if (!m) return '';
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  let out = `${y!}${mo ?? ''}${d ?? ''}`;
  if (h) {
    out += `${h}${mi!}${s ?? ''}${frac ? frac.slice(0, 5) : ''}`;
    if (tz) out += tz === 'Z' ? '+0000' : tz.replace(':', '');
  }
  return out;
}

/** XPN at field `f`, repetition `r` → HumanName (family^given^middle^suffix^prefix^degree^type). */
export function xpnToName(segment: Hl7Segment, f: number, r = 1): HumanName | undefined {
  const family = segment.value(f, r, 1);
  const given = [segment.value(f, r, 2), segment.value(f, r, 3)].filter((g) => g !== '');
  if (family === '' && given.length === 0) return undefined;
  const name: HumanName = {};
  if (family !== '') name.family = family;
  if (given.length) name.given = given;
  const suffix = segment.value(f, r, 4);
  const prefix = segment.value(f, r, 5);
  if (suffix !== '') name.suffix = [suffix];
  if (prefix !== '') name.prefix = [prefix];
  const use = segment.value(f, r, 7);
  if (use === 'L') name.use = 'official';
  else if (use === 'N') name.use = 'nickname';
  else if (use === 'M') name.use = 'maiden';
  return name;
}

/** HumanName → XPN components (family^given^middle^suffix^prefix^^type). */
export function nameToXpn(name: HumanName | undefined, type = true): ComponentInput[] {
  if (!name) return [''];
  const use = name.use === 'official' ? 'L' : name.use === 'nickname' ? 'N' : name.use === 'maiden' ? 'M' : type ? 'L' : '';
  return trimEmpty([name.family ?? '', name.given?.[0] ?? '', name.given?.slice(1).join(' ') ?? '', name.suffix?.[0] ?? '', name.prefix?.[0] ?? '', '', use]);
}

/** XAD (street^other^city^state^postcode^country^type) → Address. */
export function xadToAddress(segment: Hl7Segment, f: number, r = 1): Address | undefined {
  const line = [segment.value(f, r, 1, 1), segment.value(f, r, 2)].filter((l) => l !== '');
  const address: Address = {};
  if (line.length) address.line = line;
  const city = segment.value(f, r, 3);
  const state = segment.value(f, r, 4);
  const postcode = segment.value(f, r, 5);
  const country = segment.value(f, r, 6);
  if (city !== '') address.city = city;
  if (state !== '') address.state = state;
  if (postcode !== '') address.postalCode = postcode;
  if (country !== '') address.country = country;
  const type = segment.value(f, r, 7);
  if (type === 'H') address.use = 'home';
  else if (type === 'O' || type === 'B') address.use = 'work';
  else if (type === 'M') address.type = 'postal';
  return Object.keys(address).length ? address : undefined;
}

export function addressToXad(address: Address | undefined): FieldInput {
  if (!address) return '';
  const type = address.use === 'home' ? 'H' : address.use === 'work' ? 'O' : address.type === 'postal' ? 'M' : '';
  return trimEmpty([address.line?.[0] ?? '', address.line?.slice(1).join(', ') ?? '', address.city ?? '', address.state ?? '', address.postalCode ?? '', address.country ?? '', type]);
}

/** XTN → ContactPoint: XTN-1 as written, else +country area local (v2.5 components 5-7), or XTN-4 e-mail. */
export function xtnToTelecom(segment: Hl7Segment, f: number, r: number, use: ContactPoint['use']): ContactPoint | undefined {
  const email = segment.value(f, r, 4);
  if (segment.value(f, r, 3) === 'Internet' || (email !== '' && segment.value(f, r, 1) === '')) {
    return email === '' ? undefined : { system: 'email', value: email, use };
  }
  let value = segment.value(f, r, 1);
  if (value === '') value = [segment.value(f, r, 5) && `+${segment.value(f, r, 5)}`, segment.value(f, r, 6), segment.value(f, r, 7)].filter((p) => p !== '').join(' ');
  if (value === '') return undefined;
  const equipment = segment.value(f, r, 3);
  return { system: equipment === 'FX' ? 'fax' : 'phone', value, use };
}

export function telecomToXtn(telecom: ContactPoint | undefined, use: string): FieldInput {
  if (!telecom?.value) return '';
  if (telecom.system === 'email') return ['', 'NET', 'Internet', telecom.value];
  const equipment = telecom.system === 'fax' ? 'FX' : 'PH';
  // `+61 2 95551234` is how xtnToTelecom renders XTN-5/6/7: write it back in that structured form.
  const parts = /^\+(\d{1,3}) (\d{1,5}) (\d{3,})$/.exec(telecom.value);
  if (parts) return ['', use, equipment, '', parts[1]!, parts[2]!, parts[3]!];
  return [telecom.value, use, equipment];
}

const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
/** Australian Medicare provider numbers (PRD-7 / XCN with type UPIN). */
export const AU_PROVIDER_NUMBER = 'http://ns.electronichealth.net.au/id/medicare-provider-number';

/**
 * CX (id^check^scheme^assigner^type) → Identifier. The system comes from what the assigner and
 * type say (AUSHIC + MC → Medicare, AUSHIC + NI → IHI, an ISO OID → urn:oid:…); the assigning
 * authority is kept in `assigner` either way so it can be written back.
 */
export function cxToIdentifier(segment: Hl7Segment, f: number, r = 1): Identifier | undefined {
  const value = segment.value(f, r, 1);
  if (value === '') return undefined;
  const identifier: Identifier = { value };
  const type = segment.value(f, r, 5);
  const namespace = segment.value(f, r, 4, 1);
  const universalId = segment.value(f, r, 4, 2);
  const universalIdType = segment.value(f, r, 4, 3);
  const system = identifierSystem(type, namespace, universalId, universalIdType, value);
  if (system) identifier.system = system;
  if (type !== '') identifier.type = { coding: [{ system: V2_0203, code: type }] };
  const assigner = hdAssigner(namespace, universalId, universalIdType);
  if (assigner) identifier.assigner = assigner;
  return identifier;
}

function identifierSystem(type: string, namespace: string, uid: string, uidType: string, value: string): string | undefined {
  if (namespace === 'AUSHIC' || uidType === 'AUSHIC') {
    if (type === 'MC') return IDENTIFIER_SYSTEMS.medicare;
    if (type === 'NI' || value.startsWith('800360')) return IDENTIFIER_SYSTEMS.ihi;
  }
  if (uidType === 'ISO' && /^[0-2](\.(0|[1-9]\d*))+$/.test(uid)) return `urn:oid:${uid}`;
  if (/^[a-z][a-z0-9+.-]*:/i.test(uid) && uidType === 'URI') return uid;
  return undefined;
}

/** HD (namespace&universal id&type) → the assigner Reference of an Identifier. */
export function hdAssigner(namespace: string, uid: string, uidType: string): Identifier['assigner'] | undefined {
  if (namespace === '' && uid === '') return undefined;
  const assigner: NonNullable<Identifier['assigner']> = {};
  if (namespace !== '') assigner.display = namespace;
  if (uid !== '') {
    const system = uidType === 'AUSHIC' && uid.startsWith('800362') ? IDENTIFIER_SYSTEMS.hpiO : systemToFhir(uidType) ?? SYSTEM_PREFIX;
    assigner.identifier = { system, value: uid };
  }
  return assigner;
}

/** The HD of an Identifier's assigner as subcomponents. */
export function assignerToHd(assigner: Identifier['assigner']): string[] {
  if (!assigner) return [''];
  const uid = assigner.identifier?.value ?? '';
  const system = assigner.identifier?.system;
  const uidType = uid === '' ? '' : system === IDENTIFIER_SYSTEMS.hpiO ? 'AUSHIC' : systemToV2(system);
  return uid === '' ? [assigner.display ?? ''] : [assigner.display ?? '', uid, uidType];
}

/** Identifier → CX components. */
export function identifierToCx(identifier: Identifier): ComponentInput[] {
  const type = identifier.type?.coding?.find((c) => c.system === V2_0203)?.code ?? (identifier.system === IDENTIFIER_SYSTEMS.medicare ? 'MC' : identifier.system === IDENTIFIER_SYSTEMS.ihi ? 'NI' : '');
  let assigner: ComponentInput = assignerToHd(identifier.assigner);
  if (assigner.length === 1 && assigner[0] === '') {
    if (identifier.system === IDENTIFIER_SYSTEMS.medicare || identifier.system === IDENTIFIER_SYSTEMS.ihi) assigner = ['AUSHIC'];
    else if (identifier.system?.startsWith('urn:oid:')) assigner = ['', identifier.system.slice(8), 'ISO'];
  }
  return trimEmpty([identifier.value ?? '', '', '', assigner.length === 1 ? assigner[0]! : assigner, type]);
}

/** The type code (v2 table 0203) of an identifier, when it has one. */
export function identifierType(identifier: Identifier): string | undefined {
  return identifier.type?.coding?.find((c) => c.system === V2_0203)?.code;
}

/**
 * A provider identifier with its v2 type (PRD-7 `id^type`, XCN-1 + XCN-9 + XCN-13). HL7 AU
 * writes Medicare provider numbers with type `UPIN` (assigner `AUSHICPR`) and HPI-Is with type
 * `NPI` and assigner `AUSHIC`; a 10-digit `NPI` without AUSHIC is a US NPI.
 */
export function providerIdentifier(value: string, type: string, assigner?: string): Identifier {
  const identifier: Identifier = { value };
  if (type === 'UPIN' || assigner === 'AUSHICPR') identifier.system = AU_PROVIDER_NUMBER;
  else if (type === 'NPI' && (assigner === 'AUSHIC' || /^800361\d{10}$/.test(value))) identifier.system = IDENTIFIER_SYSTEMS.hpiI;
  else if (type === 'NPI' && /^\d{10}$/.test(value)) identifier.system = IDENTIFIER_SYSTEMS.npi;
  if (type !== '') identifier.type = { coding: [{ system: V2_0203, code: type }] };
  if (assigner) identifier.assigner = { display: assigner };
  return identifier;
}

/** The v2 identifier type and assigning authority of a provider identifier (reverse of {@link providerIdentifier}). */
export function providerIdToV2(identifier: Identifier): { type: string; assigner: string } {
  const bySystem =
    identifier.system === AU_PROVIDER_NUMBER ? { type: 'UPIN', assigner: 'AUSHICPR' } : identifier.system === IDENTIFIER_SYSTEMS.hpiI ? { type: 'NPI', assigner: 'AUSHIC' } : identifier.system === IDENTIFIER_SYSTEMS.npi ? { type: 'NPI', assigner: '' } : { type: '', assigner: '' };
  return { type: identifierType(identifier) ?? bySystem.type, assigner: identifier.assigner?.display ?? bySystem.assigner };
}
