/**
 * System URIs of the identifiers Sealpost checks. The Australian ones are those of the Australian
 * Digital Health Agency / HL7 AU Base; NPI that of HL7 (terminology.hl7.org NamingSystem us-npi);
 * NHS and ODS those of NHS England's FHIR profiles (fhir.nhs.uk).
 */
export const IDENTIFIER_SYSTEMS = {
  /** Australian Healthcare Provider Identifier – Individual: 16 digits, prefix 800361, Luhn. */
  hpiI: 'http://ns.electronichealth.net.au/id/hi/hpii/1.0',
  /** Australian Healthcare Provider Identifier – Organisation: 16 digits, prefix 800362, Luhn. */
  hpiO: 'http://ns.electronichealth.net.au/id/hi/hpio/1.0',
  /** Australian Individual Healthcare Identifier (patients): 16 digits, prefix 800360, Luhn. */
  ihi: 'http://ns.electronichealth.net.au/id/hi/ihi/1.0',
  /** Australian Medicare card number: 10 digits (8 + check digit + issue number), optionally + IRN. */
  medicare: 'http://ns.electronichealth.net.au/id/medicare-number',
  /** US National Provider Identifier: 10 digits, Luhn over 80840 + the number. */
  npi: 'http://hl7.org/fhir/sid/us-npi',
  /** NHS number (England, Wales, Isle of Man): 10 digits, modulus 11. */
  nhsNumber: 'https://fhir.nhs.uk/Id/nhs-number',
  /** NHS ODS organisation code: 3 to 6 upper-case letters and digits, no check digit. */
  odsOrganization: 'https://fhir.nhs.uk/Id/ods-organization-code',
  /** NHS ODS site code: 3 to 8 upper-case letters and digits, no check digit. */
  odsSite: 'https://fhir.nhs.uk/Id/ods-site-code',
} as const;

/** The outcome of {@link validateIdentifier}. `known` is false for systems Sealpost has no rule for. */
export interface IdentifierValidation {
  known: boolean;
  valid: boolean;
  /** Why the value is invalid (absent when valid or unknown). */
  reason?: string;
}

/** Luhn (ISO/IEC 7812-1 annex B) over a string of digits: true when the last digit checks the rest. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function healthcareIdentifier(value: string, prefix: string, name: string): IdentifierValidation {
  if (!/^\d{16}$/.test(value)) return { known: true, valid: false, reason: `${name} must be 16 digits` };
  if (!value.startsWith(prefix)) return { known: true, valid: false, reason: `${name} must start with ${prefix}` };
  if (!luhnValid(value)) return { known: true, valid: false, reason: `${name} check digit (Luhn) is wrong` };
  return { known: true, valid: true };
}

function medicare(value: string): IdentifierValidation {
  // Services Australia: digits 1-8 weighted 1,3,7,9,1,3,7,9; sum mod 10 is digit 9; digit 10 is
  // the card issue number; an 11th digit is the individual reference number (1-9).
  if (!/^\d{10,11}$/.test(value)) return { known: true, valid: false, reason: 'Medicare number must be 10 digits (11 with the IRN)' };
  if (value[0]! < '2' || value[0]! > '6') return { known: true, valid: false, reason: 'Medicare number must start with 2 to 6' };
  const weights = [1, 3, 7, 9, 1, 3, 7, 9];
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += (value.charCodeAt(i) - 48) * weights[i]!;
  if (sum % 10 !== value.charCodeAt(8) - 48) return { known: true, valid: false, reason: 'Medicare number check digit is wrong' };
  if (value.length === 11 && value[10] === '0') return { known: true, valid: false, reason: 'Medicare IRN must be 1 to 9' };
  return { known: true, valid: true };
}

function npi(value: string): IdentifierValidation {
  if (!/^\d{10}$/.test(value)) return { known: true, valid: false, reason: 'NPI must be 10 digits' };
  // CMS NPI check digit: Luhn over the card-issuer prefix 80840 followed by the 10 digits.
  if (!luhnValid(`80840${value}`)) return { known: true, valid: false, reason: 'NPI check digit (Luhn with prefix 80840) is wrong' };
  return { known: true, valid: true };
}

function nhsNumber(value: string): IdentifierValidation {
  if (!/^\d{10}$/.test(value)) return { known: true, valid: false, reason: 'NHS number must be 10 digits' };
  // NHS Data Dictionary: weights 10..2 on digits 1-9, check = 11 - (sum mod 11); 11 → 0; 10 → invalid.
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (value.charCodeAt(i) - 48) * (10 - i);
  let check = 11 - (sum % 11);
  if (check === 11) check = 0;
  if (check === 10 || check !== value.charCodeAt(9) - 48) return { known: true, valid: false, reason: 'NHS number check digit (modulus 11) is wrong' };
  return { known: true, valid: true };
}

function ods(value: string, max: number, name: string): IdentifierValidation {
  if (!new RegExp(`^[A-Z0-9]{3,${max}}$`).test(value)) return { known: true, valid: false, reason: `${name} must be 3 to ${max} upper-case letters or digits` };
  return { known: true, valid: true };
}

/**
 * Checks an identifier's value against the rules of its system (check digits, prefixes, length).
 * Systems without a rule give `{ known: false, valid: true }`; a known system without a value is
 * invalid. Never throws.
 *
 * @example validateIdentifier({ system: IDENTIFIER_SYSTEMS.npi, value: '1234567893' }) // { known: true, valid: true }
 */
export function validateIdentifier(identifier: { system?: string; value?: string }): IdentifierValidation {
  const { system, value } = identifier;
  const known = system !== undefined && (Object.values(IDENTIFIER_SYSTEMS) as string[]).includes(system);
  if (!known) return { known: false, valid: true };
  if (typeof value !== 'string' || value === '') return { known: true, valid: false, reason: 'identifier has no value' };
  switch (system) {
    case IDENTIFIER_SYSTEMS.hpiI:
      return healthcareIdentifier(value, '800361', 'HPI-I');
    case IDENTIFIER_SYSTEMS.hpiO:
      return healthcareIdentifier(value, '800362', 'HPI-O');
    case IDENTIFIER_SYSTEMS.ihi:
      return healthcareIdentifier(value, '800360', 'IHI');
    case IDENTIFIER_SYSTEMS.medicare:
      return medicare(value);
    case IDENTIFIER_SYSTEMS.npi:
      return npi(value);
    case IDENTIFIER_SYSTEMS.nhsNumber:
      return nhsNumber(value);
    case IDENTIFIER_SYSTEMS.odsOrganization:
      return ods(value, 6, 'ODS organisation code');
    default:
      return ods(value, 8, 'ODS site code');
  }
}
