import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IDENTIFIER_SYSTEMS, luhnValid, validateIdentifier } from '@sealpost/sdk/fhir';

const check = (system: string, value: string): string => {
  const r = validateIdentifier({ system, value });
  return r.valid ? 'valid' : (r.reason ?? 'invalid');
};

// Valid numbers published as test/sample data: HPI-O and IHI from the Australian Digital Health
// Agency's FHIR examples, NPI 1234567893 from the CMS NPI check-digit document, NHS number
// 9434765919 from NHS Digital's test data. Each invalid one changes the check digit.
describe('validateIdentifier', () => {
  it.each([
    [IDENTIFIER_SYSTEMS.hpiI, '8003619900015717', 'valid'],
    [IDENTIFIER_SYSTEMS.hpiI, '8003619900015718', 'HPI-I check digit (Luhn) is wrong'],
    [IDENTIFIER_SYSTEMS.hpiI, '8003621566684455', 'HPI-I must start with 800361'],
    [IDENTIFIER_SYSTEMS.hpiI, '800361990001571', 'HPI-I must be 16 digits'],
    [IDENTIFIER_SYSTEMS.hpiO, '8003621566684455', 'valid'],
    [IDENTIFIER_SYSTEMS.hpiO, '8003621566684454', 'HPI-O check digit (Luhn) is wrong'],
    [IDENTIFIER_SYSTEMS.ihi, '8003608166690503', 'valid'],
    [IDENTIFIER_SYSTEMS.ihi, '8003608166690502', 'IHI check digit (Luhn) is wrong'],
    [IDENTIFIER_SYSTEMS.medicare, '2123456701', 'valid'],
    [IDENTIFIER_SYSTEMS.medicare, '21234567011', 'valid'],
    [IDENTIFIER_SYSTEMS.medicare, '2123456711', 'Medicare number check digit is wrong'],
    [IDENTIFIER_SYSTEMS.medicare, '1123456701', 'Medicare number must start with 2 to 6'],
    [IDENTIFIER_SYSTEMS.medicare, '21234567010', 'Medicare IRN must be 1 to 9'],
    [IDENTIFIER_SYSTEMS.npi, '1234567893', 'valid'],
    [IDENTIFIER_SYSTEMS.npi, '1234567890', 'NPI check digit (Luhn with prefix 80840) is wrong'],
    [IDENTIFIER_SYSTEMS.npi, '123456789', 'NPI must be 10 digits'],
    [IDENTIFIER_SYSTEMS.nhsNumber, '9434765919', 'valid'],
    [IDENTIFIER_SYSTEMS.nhsNumber, '9434765918', 'NHS number check digit (modulus 11) is wrong'],
    [IDENTIFIER_SYSTEMS.nhsNumber, '943 476 5919', 'NHS number must be 10 digits'],
    [IDENTIFIER_SYSTEMS.odsOrganization, 'RR8', 'valid'],
    [IDENTIFIER_SYSTEMS.odsOrganization, 'A81001', 'valid'],
    [IDENTIFIER_SYSTEMS.odsOrganization, 'rr8', 'ODS organisation code must be 3 to 6 upper-case letters or digits'],
    [IDENTIFIER_SYSTEMS.odsSite, 'RR813', 'valid'],
  ])('%s %s', (system, value, expected) => {
    expect(check(system, value)).toBe(expected);
  });

  it('a check digit of 10 makes an NHS number invalid', () => {
    // weights 10..2 over 000000006 give 12 → 11 - (12 mod 11) = 10, which no digit can hold.
    for (let d = 0; d <= 9; d++) expect(check(IDENTIFIER_SYSTEMS.nhsNumber, `000000006${d}`)).toMatch(/modulus 11/);
  });

  it('unknown systems are not judged; known systems need a value', () => {
    expect(validateIdentifier({ system: 'urn:oid:1.2.3', value: 'x' })).toEqual({ known: false, valid: true });
    expect(validateIdentifier({ system: IDENTIFIER_SYSTEMS.npi })).toEqual({ known: true, valid: false, reason: 'identifier has no value' });
  });

  it('property: changing one digit of a valid HPI-I always breaks it (Luhn catches single-digit errors)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{9}$/), fc.integer({ min: 6, max: 15 }), fc.integer({ min: 1, max: 9 }), (body, position, delta) => {
        const stem = `800361${body}`;
        const checkDigit = [...'0123456789'].find((d) => luhnValid(stem + d))!;
        const valid = stem + checkDigit;
        expect(check(IDENTIFIER_SYSTEMS.hpiI, valid)).toBe('valid');
        const digits = [...valid];
        digits[position] = String((Number(digits[position]) + delta) % 10);
        expect(check(IDENTIFIER_SYSTEMS.hpiI, digits.join(''))).toBe('HPI-I check digit (Luhn) is wrong');
      }),
    );
  });
});
