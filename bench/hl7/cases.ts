/**
 * The three bench inputs, generated deterministically at run time (no 10 MB file in git): an
 * Australian pathology ORU^R01 (HL7 v2.5 with the AU profile, as labs send to GP systems), shaped like real feeds:
 * several patient identifiers, XCN names with subcomponents in OBR-32, LOINC-coded NM results,
 * FT comments carrying `\.br\` and other escapes, and an AUSPDI PDF in OBX-5 (ED, Base64).
 */
import { createPdf } from './pdf.js';
import { escapeLeaf as e } from './escape.js';

/** A bench input: `text` is the message, `name` the key in the report. */
export interface BenchCase {
  readonly name: string;
  readonly summary: string;
  readonly text: string;
}

interface Analyte {
  readonly loinc: string;
  readonly local: string;
  readonly name: string;
  readonly type: 'NM' | 'ST' | 'CE' | 'FT';
  readonly value: string;
  readonly unit: string;
  readonly range: string;
  readonly flags: string;
}

const a = (loinc: string, local: string, name: string, value: string, unit: string, range: string, flags = ''): Analyte => ({ loinc, local, name, type: 'NM', value, unit, range, flags });

const bloodCount: readonly Analyte[] = [
  a('718-7', 'HB', 'Haemoglobin', '138', 'g/L', '115-160'),
  a('6690-2', 'WCC', 'White cell count', '11.8', '10*9/L', '4.0-11.0', 'H'),
  a('777-3', 'PLT', 'Platelets', '262', '10*9/L', '150-400'),
  a('789-8', 'RCC', 'Red cell count', '4.61', '10*12/L', '3.80-5.20'),
  a('4544-3', 'HCT', 'Haematocrit', '0.41', 'L/L', '0.35-0.47'),
  a('787-2', 'MCV', 'Mean cell volume', '89', 'fL', '80-100'),
  a('785-6', 'MCH', 'Mean cell haemoglobin', '29.9', 'pg', '27.0-33.0'),
  a('786-4', 'MCHC', 'Mean cell Hb concentration', '337', 'g/L', '310-360'),
  a('788-0', 'RDW', 'Red cell distribution width', '14.9', '%', '11.0-15.0'),
  a('751-8', 'NEUT', 'Neutrophils', '8.9', '10*9/L', '2.0-7.5', 'H~A'),
  a('731-0', 'LYMPH', 'Lymphocytes', '1.9', '10*9/L', '1.1-4.0'),
  a('742-7', 'MONO', 'Monocytes', '0.7', '10*9/L', '0.2-1.0'),
  a('711-2', 'EOS', 'Eosinophils', '0.2', '10*9/L', '0.0-0.5'),
  a('704-7', 'BASO', 'Basophils', '0.1', '10*9/L', '0.0-0.1'),
];

const chemistry: readonly Analyte[] = [
  a('2951-2', 'NA', 'Sodium', '139', 'mmol/L', '135-145'),
  a('2823-3', 'K', 'Potassium', '5.6', 'mmol/L', '3.5-5.2', 'H'),
  a('2075-0', 'CL', 'Chloride', '104', 'mmol/L', '95-110'),
  a('1963-8', 'HCO3', 'Bicarbonate', '24', 'mmol/L', '22-32'),
  a('3091-6', 'UREA', 'Urea', '6.1', 'mmol/L', '2.9-8.2'),
  a('2160-0', 'CREAT', 'Creatinine', '88', 'umol/L', '45-90'),
  a('62238-1', 'EGFR', 'eGFR (CKD-EPI)', '>90', 'mL/min/{1.73_m2}', '>59'),
  a('1975-2', 'BILI', 'Bilirubin', '9', 'umol/L', '<21'),
  a('6768-6', 'ALP', 'Alkaline phosphatase', '71', 'U/L', '30-110'),
  a('2324-2', 'GGT', 'Gamma GT', '41', 'U/L', '<39', 'H'),
  a('1742-6', 'ALT', 'ALT', '23', 'U/L', '<34'),
  a('1751-7', 'ALB', 'Albumin', '41', 'g/L', '35-50'),
  { loinc: '10834-0', local: 'GLOB', name: 'Globulin & A/G ratio', type: 'ST', value: '31 g/L; A/G 1.3 (ratio ^ 1.1-2.2)', unit: '', range: '', flags: '' },
];

const msh = (controlId: string, when: string) =>
  `MSH|^~\\&|QML^2184^AUSNATA|QML Pathology^2184^AUSNATA|MEDICALDIRECTOR^1.2.36.1.2001.1005.29^ISO|MDHEALTH^0191324T^AUSHICPR|${when}+1000||ORU^R01^ORU_R01|${controlId}|P|2.5^AUS&Australia&ISO3166_1|||AL|NE|AUS`;
const pid =
  'PID|1||33445566^^^QML^MR^QML~8003608166690503^^^AUSHIC^NI~4296011234^1^^AUSHIC^MC||' +
  `${e("O'Brien-Smith")}^Alexandra^Mary^^Ms^^L||19750411|F|||12 Example Street^Unit 4^BRISBANE^QLD^4000^AU^H||(07) 3123 4567^PRN^PH~^NET^Internet^alex.obrien@example.com.au||||||||||||||||N`;
const pv1 = 'PV1|1|O|||||0191324T^Practitioner^Gary^^^Dr^^^AUSHICPR^L^^^UPIN|||||||||||||||||||||||||||||||||||||||||||20260315083000+1000';
const orc = (order: string) => `ORC|RE|${order}^MEDICALDIRECTOR|26-1234567-${order}^QML||CM||||20260315083000+1000|||0191324T^Practitioner^Gary^^^Dr^^^AUSHICPR^L^^^UPIN`;
const obr = (order: string, code: string, text: string, local: string) =>
  `OBR|1|${order}^MEDICALDIRECTOR|26-1234567-${order}^QML|${code}^${e(text)}^LN^${local}^${e(text)}^QML|||20260315083000+1000|||||||20260315084500+1000|^^Blood|0191324T^Practitioner^Gary^^^Dr^^^AUSHICPR^L^^^UPIN||||||20260315103000+1000||HM|F|||0191324T^Practitioner^Gary^^^Dr^^^AUSHICPR^L^^^UPIN||||0412345A&Pathologist&Anne&&&Dr&&&AUSHICPR&L`;
const producer = '2184^QML Pathology^AUSNATA|0412345A^Pathologist^Anne^^^Dr^^^AUSHICPR^L^^^UPIN';
const method = (local: string) => `|${local}-M^Automated analysis^QML|XN3000-01^Sysmex XN-3000^QML|20260315092233+1000`;

function obx(setId: number, analyte: Analyte): string {
  const value = analyte.type === 'NM' ? analyte.value : e(analyte.value);
  const unit = analyte.unit === '' ? '' : `${e(analyte.unit)}^${e(analyte.unit)}^UCUM`;
  return `OBX|${setId}|${analyte.type}|${analyte.loinc}^${e(analyte.name)}^LN^${analyte.local}^${e(analyte.name)}^QML||${value}|${unit}|${e(analyte.range)}|${analyte.flags}|||F|||20260315083000+1000|${producer}${method(analyte.local)}`;
}

const filmComment = [
  'Red cells: mild anisocytosis, occasional target cells.',
  'White cells: neutrophilia with toxic granulation & left shift (bands ~ 8%).',
  'Platelets: normal number | morphology.',
  'Suggest repeat FBC in 1-2 weeks if clinically indicated.',
].join('\n');
const organisms = '112283007^Escherichia coli^SCT~3092008^Staphylococcus aureus^SCT';

function join(segments: readonly string[]): string {
  return `${segments.join('\r')}\r`;
}

/** (a) a typical ~4 KB ORU^R01: blood count with a film comment. */
function typicalOru(): string {
  const segments = [msh('QML26031510304500001', '20260315103045'), pid, pv1, orc('ORD-4451'), obr('ORD-4451', '58410-2', 'Full blood count & film', 'FBC')];
  bloodCount.slice(0, 9).forEach((analyte, i) => segments.push(obx(i + 1, analyte)));
  segments.push(obx(10, { loinc: '18314-5', local: 'FILM', name: 'Blood film comment', type: 'FT', value: filmComment, unit: '', range: '', flags: '' }));
  segments.push(`NTE|1|L|${e('Reported by Dr A Pathologist; results phoned to surgery 10:45 (ref #4451 & #4452).')}`);
  return join(segments);
}

/** (b) a ~10 KB lab result with 28 OBX: blood count, then chemistry and culture under a second OBR. */
function labResult(): string {
  const segments = [msh('QML26031510304500002', '20260315103046'), pid, pv1, orc('ORD-4452'), obr('ORD-4452', '58410-2', 'Full blood count', 'FBC')];
  const note = (analyte: Analyte) => {
    if (analyte.flags !== '') segments.push(`NTE|1|L|${e(`${analyte.name} outside the reference interval (${analyte.range} ${analyte.unit}); please correlate clinically.`)}`);
  };
  bloodCount.forEach((analyte, i) => {
    segments.push(obx(i + 1, analyte));
    note(analyte);
  });
  segments.push(orc('ORD-4453'), obr('ORD-4453', '24323-8', 'E/LFT & culture', 'ELFT').replace('OBR|1|', 'OBR|2|'));
  chemistry.forEach((analyte, i) => {
    segments.push(obx(i + 1, analyte));
    note(analyte);
  });
  segments.push(`OBX|14|CE|600-7^Bacteria identified^LN^CULT^Culture^QML||${organisms}||||A|||F|||20260315083000+1000|${producer}${method('CULT')}`);
  segments.push(`NTE|1|L|${e('Globulin & A/G ratio reported separately; see cumulative report.')}`);
  return join(segments);
}

/** Bytes of the PDF in case (c): 10 MiB. */
export const PDF_SIZE = 10 * 1024 * 1024;

/** Base64 without Buffer, so the same code runs anywhere; chunked to bound intermediate strings. */
function toBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += 0x8000 * 3) {
    parts.push(btoa(String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000 * 3) as unknown as number[])));
  }
  return parts.join('');
}

/** (c) a result with a 10 MiB PDF report in OBX-5 (ED), as the AU pathology profile sends it. */
function pdfReport(): string {
  const pdf = toBase64(createPdf(PDF_SIZE));
  const segments = [msh('QML26031510304500003', '20260315103047'), pid, pv1, orc('ORD-4453'), obr('ORD-4453', '11502-2', 'Laboratory report', 'REPORT')];
  segments.push(obx(1, { loinc: '11502-2', local: 'SUMMARY', name: 'Report summary', type: 'FT', value: filmComment, unit: '', range: '', flags: '' }));
  segments.push(`OBX|2|ED|PDF^Display format in PDF^AUSPDI||^application^pdf^Base64^${pdf}||||||F|||20260315083000+1000|${producer}`);
  return join(segments);
}

/** Case names, in report order. */
export const CASE_NAMES = ['oru-r01-4kb', 'lab-28-obx-10kb', 'pdf-10mb'] as const;
export type CaseName = (typeof CASE_NAMES)[number];

/** Builds the named cases (all by default). Deterministic: same text on every run. */
export function createCases(names: readonly CaseName[] = CASE_NAMES): BenchCase[] {
  const builders: Record<CaseName, [string, () => string]> = {
    'oru-r01-4kb': ['typical ORU^R01, 10 OBX', typicalOru],
    'lab-28-obx-10kb': ['lab result, 28 OBX', labResult],
    'pdf-10mb': ['ORU^R01 with a 10 MiB PDF in OBX-5 (ED, Base64)', pdfReport],
  };
  return names.map((name) => ({ name, summary: builders[name][0], text: builders[name][1]() }));
}
