import type {
  Attachment,
  Binary,
  Bundle,
  DiagnosticReport,
  DocumentReference,
  Identifier,
  MessageHeader,
  Observation,
  Organization,
  Patient,
  Practitioner,
  Reference,
  Resource,
  ServiceRequest,
} from '@medplum/fhirtypes';
import { SealpostError } from '../errors.js';
import { extractDocuments, parseMessage } from '../hl7v2/index.js';
import type { EmbeddedDocument, Hl7Message, Hl7Segment, ParseOptions } from '../hl7v2/index.js';
import { PATIENT_REFERRAL } from './build-service-request.js';
import { BundleAssembler } from './internal/assemble.js';
import { randomUuid } from './internal/attachment.js';
import { bytesToBase64, utf8 } from './internal/base64.js';
import { APPLICATION_URN, ConversionReport } from './internal/conversion.js';
import type { ConversionNote } from './conversion-note.js';
import {
  cweToConcept,
  cxToIdentifier,
  dtmToFhir,
  hdAssigner,
  providerIdentifier,
  systemToFhir,
  xadToAddress,
  xpnToName,
  xtnToTelecom,
} from './internal/v2-datatypes.js';
import { RECIPIENT_EXTENSION } from './profiles.js';

export type { ConversionNote } from './conversion-note.js';

/** Options of {@link convertHl7v2ToFhir}. */
export interface ConvertHl7v2ToFhirOptions {
  /** Passed to parseMessage when the input is text or bytes. */
  parse?: ParseOptions;
  newId?: () => string;
}

/** The FHIR Bundle and what could not be carried into it. */
export interface ConvertHl7v2ToFhirResult {
  bundle: Bundle;
  report: ConversionNote[];
}

const V2_EVENTS = 'http://terminology.hl7.org/CodeSystem/v2-0003';

const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
/** HL7 AU display-segment identifiers (OBX-3.3 = AUSPDI): renderings of the whole report or letter. */
const DISPLAY_SYSTEM = 'AUSPDI';

/** Thrown when a message cannot be converted at all (type not supported, no PID…). */
function convertError(message: string): SealpostError {
  return new SealpostError('ERR_FHIR_CONVERT', message);
}

/**
 * Converts an HL7 v2 message to a FHIR R4 message Bundle (MessageHeader first), following the HL7
 * v2-to-FHIR IG's segment maps where they exist and Sealpost's own for RF1 and PRD (docs/fhir.md):
 *
 * - ORU^R01 → DiagnosticReport (+ presentedForm from the display segments) + Observations + Patient
 *   + ServiceRequest (OBR placer number, requester) + the lab Organization;
 * - MDM^T02 → DocumentReference + Binary + Patient + author Practitioner;
 * - REF^I12 → ServiceRequest + the letter as DocumentReference (every display format as a content
 *   entry) + one DocumentReference per attachment + Practitioners from PRD + Organizations;
 * - ADT^* → Patient.
 *
 * Everything valued in the message that the Bundle does not carry is listed in `report`.
 * Throws Hl7ParseError for unparseable input and SealpostError ERR_FHIR_CONVERT for other message
 * types or a message without PID.
 */
export function convertHl7v2ToFhir(input: Hl7Message | string | Uint8Array, options: ConvertHl7v2ToFhirOptions = {}): ConvertHl7v2ToFhirResult {
  const message = typeof input === 'string' || input instanceof Uint8Array ? parseMessage(input, options.parse) : input;
  const context = new Context(message, options.newId ?? randomUuid);
  const code = message.segmentAt(0).value(9, 1, 1);
  // v2.1-2.2 messages name the event in EVN-1 only.
  const event = message.segmentAt(0).value(9, 1, 2) || message.segment('EVN')?.value(1) || code;
  if (!['ORU', 'MDM', 'REF', 'ADT'].includes(code)) throw convertError(`${code}^${event}: message type not supported (ORU, MDM, REF and ADT are)`);
  const pid = message.segment('PID');
  if (!pid) throw convertError(`${code}^${event}: no PID segment, nothing to convert a patient from`);
  const patient = context.patient(pid);
  let focus: Resource[];
  switch (code) {
    case 'ORU':
      focus = context.results(patient);
      break;
    case 'MDM':
      focus = [context.document(patient)];
      break;
    case 'REF':
      focus = [context.referral(patient)];
      break;
    case 'ADT':
      focus = [patient];
      context.unmappedSegments(['MSH', 'PID'], 'ADT conversion carries the patient only');
      break;
    default:
      throw convertError(`${code}^${event}: message type not supported (ORU, MDM, REF and ADT are)`);
  }
  return { bundle: context.bundle(event, focus), report: context.report.notes };
}

class Context {
  readonly report = new ConversionReport();
  readonly a: BundleAssembler;
  readonly msh: Hl7Segment;
  readonly segments: Hl7Segment[];
  readonly #documents: Map<number, EmbeddedDocument>;
  readonly #newId: () => string;
  #sender: Organization | undefined;
  #receiver: Organization | undefined;

  constructor(readonly message: Hl7Message, newId: () => string) {
    this.#newId = newId;
    this.a = new BundleAssembler(newId);
    this.segments = message.segments();
    this.msh = this.segments[0]!;
    this.#documents = new Map();
    for (const document of extractDocuments(message)) this.#documents.set(document.segments[0]! - 1, document);
  }

  id(): string {
    return this.#newId();
  }

  label(index: number): string {
    const segment = this.segments[index]!;
    let occurrence = 0;
    for (let i = 0; i <= index; i++) if (this.segments[i]!.name === segment.name) occurrence++;
    return this.message.segments(segment.name).length > 1 ? `${segment.name}[${occurrence}]` : segment.name;
  }

  date(segment: Hl7Segment, field: number, label: string, component = 1): string | undefined {
    const { value, lost } = dtmToFhir(segment.value(field, 1, component));
    if (lost) this.report.add(`${label}-${field}`, lost);
    return value;
  }

  /** A dateTime with a time and offset, as `instant` elements need; otherwise noted and undefined. */
  instant(segment: Hl7Segment, field: number, label: string): string | undefined {
    const { value, lost } = dtmToFhir(segment.value(field));
    if (lost) {
      this.report.add(`${label}-${field}`, `${lost}; a FHIR instant needs a time with UTC offset, so it is not carried`);
      return undefined;
    }
    if (value !== undefined && !value.includes('T')) {
      this.report.add(`${label}-${field}`, 'a date without a time cannot be a FHIR instant; not carried');
      return undefined;
    }
    return value;
  }

  // --- MSH → MessageHeader, sender and receiver organisations (v2-to-fhir MSH[MessageHeader]).
  organization(field: number): Organization | undefined {
    const name = this.msh.value(field, 1, 1);
    const uid = this.msh.value(field, 1, 2);
    if (name === '' && uid === '') return undefined;
    const org: Organization = { resourceType: 'Organization', id: this.id() };
    if (name !== '') org.name = name;
    const assigner = hdAssigner('', uid, this.msh.value(field, 1, 3));
    if (assigner?.identifier) org.identifier = [assigner.identifier];
    return org;
  }

  sender(): Organization | undefined {
    this.#sender ??= this.organization(4);
    return this.#sender;
  }

  receiver(): Organization | undefined {
    this.#receiver ??= this.organization(6);
    return this.#receiver;
  }

  bundle(event: string, focus: Resource[]): Bundle {
    // The whole HD (namespace^universal id^type) goes into the endpoint URN, so MSH-3/MSH-5 come
    // back exactly; MessageHeader has no other place for the universal id.
    const endpoint = (field: number): string => {
      const hd = [1, 2, 3].map((c) => this.msh.value(field, 1, c));
      while (hd.length > 1 && hd.at(-1) === '') hd.pop();
      return `${APPLICATION_URN}${hd.map((part) => encodeURIComponent(part)).join(':')}`;
    };
    const header: MessageHeader = {
      resourceType: 'MessageHeader',
      id: this.id(),
      eventCoding: { system: V2_EVENTS, code: event },
      source: { endpoint: endpoint(3) },
      destination: [{ endpoint: endpoint(5) }],
      focus: focus.map((r) => this.a.ref(r)),
    };
    const sourceName = this.msh.value(3, 1, 1);
    if (sourceName !== '') header.source.name = sourceName;
    const destinationName = this.msh.value(5, 1, 1);
    if (destinationName !== '') header.destination![0]!.name = destinationName;
    const sender = this.sender();
    if (sender) header.sender = this.a.ref(sender);
    const receiver = this.receiver();
    if (receiver) header.destination![0]!.receiver = this.a.ref(receiver);
    const bundle: Bundle = { resourceType: 'Bundle', id: this.id(), type: 'message' };
    const controlId = this.msh.value(10);
    if (controlId !== '') bundle.identifier = { system: 'urn:sealpost:hl7v2:msh-10', value: controlId };
    const timestamp = this.instant(this.msh, 7, 'MSH');
    if (timestamp !== undefined) bundle.timestamp = timestamp;
    this.report.unmappedFields(this.msh, 'MSH', [3, 4, 5, 6, 7, 9, 10, 11, 12, 15, 16, 17, 18]);
    return { ...bundle, entry: this.a.entries([header]) };
  }

  // --- PID → Patient (v2-to-fhir PID[Patient]).
  patient(pid: Hl7Segment): Patient {
    const patient: Patient = { resourceType: 'Patient', id: this.id() };
    const identifiers: Identifier[] = [];
    for (let r = 1; r <= pid.repetitionCount(3); r++) {
      const identifier = cxToIdentifier(pid, 3, r);
      if (identifier) identifiers.push(identifier);
    }
    if (identifiers.length) patient.identifier = identifiers;
    const names = [];
    for (let r = 1; r <= pid.repetitionCount(5); r++) {
      const name = xpnToName(pid, 5, r);
      if (name) names.push(name);
    }
    if (names.length) patient.name = names;
    const birthDate = this.date(pid, 7, 'PID');
    if (birthDate !== undefined) patient.birthDate = birthDate.slice(0, 10);
    if (birthDate !== undefined && birthDate.includes('T')) this.report.add('PID-7', 'time of birth has no place in Patient.birthDate (a date)');
    const sex = pid.value(8);
    if (sex !== '') {
      // v2-to-fhir ConceptMap AdministrativeSex: A (ambiguous) and O → other, N (not applicable) → unknown.
      const gender = ({ F: 'female', M: 'male', O: 'other', A: 'other', U: 'unknown', N: 'unknown' } as const)[sex as 'F'];
      if (gender) patient.gender = gender;
      if (!gender || sex === 'A' || sex === 'N') this.report.add('PID-8', `administrative sex '${sex}' carried as '${gender ?? 'nothing'}'`);
    }
    const addresses = [];
    for (let r = 1; r <= pid.repetitionCount(11); r++) {
      const address = xadToAddress(pid, 11, r);
      if (address) addresses.push(address);
    }
    if (addresses.length) patient.address = addresses;
    const telecom = [];
    for (let r = 1; r <= pid.repetitionCount(13); r++) {
      const t = xtnToTelecom(pid, 13, r, 'home');
      if (t) telecom.push(t);
    }
    for (let r = 1; r <= pid.repetitionCount(14); r++) {
      const t = xtnToTelecom(pid, 14, r, 'work');
      if (t) telecom.push(t);
    }
    if (telecom.length) patient.telecom = telecom;
    const deceased = this.date(pid, 29, 'PID');
    if (deceased !== undefined) patient.deceasedDateTime = deceased;
    else if (pid.value(30) === 'Y') patient.deceasedBoolean = true;
    this.report.unmappedFields(pid, 'PID', [1, 3, 5, 7, 8, 11, 13, 14, 29, 30]);
    // CX: id, assigner, type; XPN: family, given, middle, suffix, prefix, type; XAD: 1-7.
    this.report.unmappedComponents(pid, 'PID', 3, [1, 4, 5]);
    this.report.unmappedComponents(pid, 'PID', 5, [1, 2, 3, 4, 5, 7]);
    this.report.unmappedComponents(pid, 'PID', 11, [1, 2, 3, 4, 5, 6, 7]);
    this.a.add(patient);
    return patient;
  }

  /** XCN at field f → Practitioner (id^family^given^middle^suffix^prefix^^^assigner^^^^type). */
  xcnPractitioner(segment: Hl7Segment, field: number): Practitioner | undefined {
    const family = segment.value(field, 1, 2);
    const id = segment.value(field, 1, 1);
    if (family === '' && id === '') return undefined;
    const practitioner: Practitioner = { resourceType: 'Practitioner', id: this.id() };
    if (id !== '') practitioner.identifier = [providerIdentifier(id, segment.value(field, 1, 13), segment.value(field, 1, 9, 1))];
    const name: NonNullable<Practitioner['name']>[number] = {};
    if (family !== '') name.family = family;
    const given = [segment.value(field, 1, 3), segment.value(field, 1, 4)].filter((g) => g !== '');
    if (given.length) name.given = given;
    const prefix = segment.value(field, 1, 6);
    if (prefix !== '') name.prefix = [prefix];
    if (Object.keys(name).length) practitioner.name = [name];
    return practitioner;
  }

  /** PRD → Practitioner (Sealpost mapping, docs/fhir.md: no v2-to-fhir table exists for PRD). */
  prdPractitioner(prd: Hl7Segment, label: string): Practitioner {
    const practitioner: Practitioner = { resourceType: 'Practitioner', id: this.id() };
    const name = xpnToName(prd, 2);
    if (name) {
      delete name.use;
      practitioner.name = [name];
    }
    const address = xadToAddress(prd, 3);
    if (address) practitioner.address = [address];
    const telecom = [];
    for (let r = 1; r <= prd.repetitionCount(5); r++) {
      const t = xtnToTelecom(prd, 5, r, 'work');
      if (t) telecom.push(t);
    }
    if (telecom.length) practitioner.telecom = telecom;
    const identifiers = [];
    for (let r = 1; r <= prd.repetitionCount(7); r++) {
      const value = prd.value(7, r, 1);
      if (value !== '') identifiers.push(providerIdentifier(value, prd.value(7, r, 2)));
    }
    if (identifiers.length) practitioner.identifier = identifiers;
    this.report.unmappedFields(prd, label, [1, 2, 3, 5, 7]);
    this.report.unmappedComponents(prd, label, 2, [1, 2, 3, 4, 5]);
    this.report.unmappedComponents(prd, label, 3, [1, 2, 3, 4, 5, 6, 7]);
    return practitioner;
  }

  // --- OBR groups.
  groups(): Array<{ obr: number; members: number[] }> {
    const groups: Array<{ obr: number; members: number[] }> = [];
    this.segments.forEach((segment, index) => {
      if (segment.name === 'OBR') groups.push({ obr: index, members: [] });
      else if ((segment.name === 'OBX' || segment.name === 'NTE') && groups.length) groups.at(-1)!.members.push(index);
    });
    return groups;
  }

  isDisplay(segment: Hl7Segment): boolean {
    return segment.value(3, 1, 3) === DISPLAY_SYSTEM || segment.value(2) === 'ED';
  }

  /** A display or ED OBX → Attachment with its bytes; FT/TX text displays become text/plain UTF-8. */
  attachment(index: number): Attachment | undefined {
    const segment = this.segments[index]!;
    const document = this.#documents.get(index);
    if (document) {
      const attachment: Attachment = { contentType: document.mediaType, data: bytesToBase64(document.bytes), size: document.bytes.byteLength };
      const title = document.filename ?? segment.value(3, 1, 2);
      if (title !== '') attachment.title = title;
      return attachment;
    }
    const type = segment.value(2);
    if (type === 'FT' || type === 'TX' || type === 'ST') {
      // FT formatting other than line breaks (\H\ highlight, \.sp\, \.in\, \.ti\…) has no
      // equivalent in text/plain.
      const e = escapeRegExp(this.message.delimiters.escape);
      const formatting = new RegExp(`${e}(H|N|\\.(?!br${e})[a-z]{2}[^${e}]*)${e}`);
      if (formatting.test(segment.raw(5))) this.report.add(`${this.label(index)}-5`, 'FT formatting (highlighting, indents) is not carried in text/plain; line breaks are');
      const lines: string[] = [];
      for (let r = 1; r <= segment.repetitionCount(5); r++) lines.push(segment.value(5, r));
      const bytes = utf8(lines.join('\n'));
      const attachment: Attachment = { contentType: 'text/plain; charset=utf-8', data: bytesToBase64(bytes), size: bytes.byteLength };
      const title = segment.value(3, 1, 2);
      if (title !== '') attachment.title = title;
      return attachment;
    }
    return undefined;
  }

  // --- ORU^R01 (v2-to-fhir ORU_R01 message map: OBR → DiagnosticReport + ServiceRequest, OBX → Observation).
  results(patient: Patient): Resource[] {
    const reports: Resource[] = [];
    const lab = this.sender();
    const orc = this.message.segment('ORC');
    for (const group of this.groups()) {
      const obr = this.segments[group.obr]!;
      const label = this.label(group.obr);
      const report: DiagnosticReport = {
        resourceType: 'DiagnosticReport',
        id: this.id(),
        status: resultStatus(obr.value(25)),
        code: cweToConcept(obr, 4) ?? { text: 'unknown' },
        subject: this.a.ref(patient),
      };
      const filler = eiIdentifier(obr, 3, 'FILL');
      if (filler) report.identifier = [filler];
      const placer = eiIdentifier(obr, 2, 'PLAC');
      const requester = this.xcnPractitioner(obr, 16);
      if (placer || requester) {
        const request: ServiceRequest = { resourceType: 'ServiceRequest', id: this.id(), status: orderStatus(orc?.value(5) ?? ''), intent: 'order', subject: this.a.ref(patient) };
        if (placer) request.identifier = [placer];
        if (report.code.coding) request.code = report.code;
        if (requester) request.requester = this.a.ref(requester);
        report.basedOn = [this.a.ref(request)];
      }
      const section = obr.value(24);
      if (section !== '') report.category = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: section }] }];
      const effective = this.date(obr, 7, label);
      if (effective !== undefined) report.effectiveDateTime = effective;
      const issued = this.instant(obr, 22, label);
      if (issued !== undefined) report.issued = issued;
      if (lab) report.performer = [this.a.ref(lab)];
      this.report.unmappedFields(obr, label, [1, 2, 3, 4, 7, 16, 22, 24, 25]);

      const results: Reference<Observation>[] = [];
      const forms: Attachment[] = [];
      let last: Observation | undefined;
      for (const index of group.members) {
        const segment = this.segments[index]!;
        const at = this.label(index);
        if (segment.name === 'NTE') {
          const text = noteText(segment);
          if (last && text !== '') (last.note ??= []).push({ text });
          else if (text !== '') this.report.add(at, 'a note outside an observation has no place in DiagnosticReport');
          this.report.unmappedFields(segment, at, [1, 3]);
          continue;
        }
        if (this.isDisplay(segment)) {
          const form = this.attachment(index);
          if (form) forms.push(form);
          else this.report.add(`${at}-5`, `display segment of type ${segment.value(2)} could not be read as a document`);
          last = undefined;
          this.report.unmappedFields(segment, at, [1, 2, 3, 5, 11]);
          continue;
        }
        last = this.observation(segment, at, patient);
        if (lab) last.performer = [this.a.ref(lab)];
        results.push(this.a.ref(last));
      }
      if (results.length) report.result = results;
      if (forms.length) report.presentedForm = forms;
      this.a.add(report);
      reports.push(report);
    }
    if (reports.length === 0) throw convertError('ORU^R01 without an OBR segment');
    if (orc) this.report.unmappedFields(orc, 'ORC', [1, 2, 3, 5], 'no mapping to FHIR in this conversion (ORC-2/3 repeat OBR-2/3)');
    this.unmappedSegments(['MSH', 'PID', 'ORC', 'OBR', 'OBX', 'NTE']);
    return reports;
  }

  observation(obx: Hl7Segment, label: string, patient: Patient): Observation {
    const observation: Observation = {
      resourceType: 'Observation',
      id: this.id(),
      status: resultStatus(obx.value(11)) as Observation['status'],
      code: cweToConcept(obx, 3) ?? { text: 'unknown' },
      subject: this.a.ref(patient),
    };
    const type = obx.value(2);
    const raw = obx.value(5);
    if (raw !== '') {
      if (type === 'NM' && /^[+-]?(\d+\.?\d*|\.\d+)$/.test(raw.trim())) {
        // Keep the decimal exactly as written (FHIR decimals carry their precision: 6.20 ≠ 6.2).
        const quantity: NonNullable<Observation['valueQuantity']> = { value: Number(raw.trim()) };
        const unitCode = obx.value(6, 1, 1);
        const unitText = obx.value(6, 1, 2);
        const unitSystem = systemToFhir(obx.value(6, 1, 3));
        if (unitText !== '' || unitCode !== '') quantity.unit = unitText !== '' ? unitText : unitCode;
        if (unitCode !== '') quantity.code = unitCode;
        if (unitSystem) quantity.system = unitSystem;
        observation.valueQuantity = quantity;
        if (String(quantity.value) !== raw.trim().replace(/^\+/, '')) this.report.add(`${label}-5`, `the written form '${raw}' becomes the JSON number ${quantity.value}`);
      } else if (type === 'CE' || type === 'CWE' || type === 'CNE') {
        const concept = cweToConcept(obx, 5);
        if (concept) observation.valueCodeableConcept = concept;
      } else if (type === 'DT' || type === 'TS' || type === 'DTM') {
        const date = this.date(obx, 5, label);
        if (date !== undefined) observation.valueDateTime = date;
      } else {
        const lines: string[] = [];
        for (let r = 1; r <= obx.repetitionCount(5); r++) lines.push(obx.value(5, r));
        observation.valueString = lines.join('\n');
        if (!['ST', 'TX', 'FT', 'NM'].includes(type)) this.report.add(`${label}-2`, `value type ${type} carried as text`);
      }
    }
    if (type === 'NM' && observation.valueQuantity === undefined && raw !== '') this.report.add(`${label}-5`, `NM value '${raw}' is not a number; carried as text`);
    const range = obx.value(7);
    if (range !== '') observation.referenceRange = [{ text: range }];
    const flag = obx.value(8);
    if (flag !== '') observation.interpretation = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0078', code: flag }] }];
    const effective = this.date(obx, 14, label);
    if (effective !== undefined) observation.effectiveDateTime = effective;
    this.report.unmappedFields(obx, label, [1, 2, 3, 5, 6, 7, 8, 11, 14]);
    this.a.add(observation);
    return observation;
  }

  // --- MDM^T02 (v2-to-fhir TXA[DocumentReference], OBX[DocumentReference]).
  document(patient: Patient): DocumentReference {
    const txa = this.message.segment('TXA');
    if (!txa) throw convertError('MDM^T02 without a TXA segment');
    const author = this.xcnPractitioner(txa, 9) ?? this.xcnPractitioner(txa, 5);
    const reference: DocumentReference = {
      resourceType: 'DocumentReference',
      id: this.id(),
      status: txa.value(19) === '' || txa.value(19) === 'AV' ? 'current' : 'superseded',
      subject: this.a.ref(patient),
      content: [],
    };
    const master = eiIdentifier(txa, 12);
    if (master) reference.masterIdentifier = master;
    const type = cweToConcept(txa, 2);
    if (type) reference.type = type;
    const docStatus = ({ AU: 'final', LA: 'final', DI: 'preliminary', DO: 'preliminary', IP: 'preliminary', IN: 'preliminary', PA: 'preliminary' } as const)[txa.value(17) as 'AU'];
    if (docStatus) reference.docStatus = docStatus;
    else if (txa.value(17) !== '') this.report.add('TXA-17', `completion status '${txa.value(17)}' has no FHIR docStatus`);
    const date = this.instant(txa, 6, 'TXA') ?? this.instant(txa, 4, 'TXA');
    if (date !== undefined) reference.date = date;
    if (author) reference.author = [this.a.ref(author)];
    const custodian = this.sender();
    if (custodian) reference.custodian = this.a.ref(custodian);
    const title = txa.value(25);
    if (title !== '') reference.description = title;
    const unmapped = [1, 2, 3, 6, 9, 12, 16, 17, 19, 25];
    // TXA-4 (activity) and TXA-5 (primary activity provider) usually repeat TXA-6 and TXA-9.
    if (txa.raw(4) === txa.raw(6) || date === undefined) unmapped.push(4);
    if (txa.raw(5) === txa.raw(9) || (txa.raw(9) === '' && author)) unmapped.push(5);
    this.report.unmappedFields(txa, 'TXA', unmapped);
    for (let index = 0; index < this.segments.length; index++) {
      const segment = this.segments[index]!;
      if (segment.name !== 'OBX') continue;
      const at = this.label(index);
      const attachment = this.attachment(index);
      if (!attachment) {
        this.report.add(at, `OBX of type ${segment.value(2)} is not a document`);
        continue;
      }
      const filename = txa.value(16);
      if (filename !== '') attachment.title = filename;
      const binary: Binary = { resourceType: 'Binary', id: this.id(), contentType: attachment.contentType!, data: attachment.data! };
      const content: Attachment = { contentType: attachment.contentType!, url: this.a.add(binary), size: attachment.size! };
      if (attachment.title !== undefined) content.title = attachment.title;
      reference.content.push({ attachment: content });
      const category = cweToConcept(segment, 3);
      if (category) (reference.category ??= []).push(category);
      this.report.unmappedFields(segment, at, [1, 2, 3, 5, 11]);
    }
    if (reference.content.length === 0) throw convertError('MDM^T02 carries no document (no OBX)');
    this.a.add(reference);
    this.unmappedSegments(['MSH', 'PID', 'TXA', 'OBX']);
    return reference;
  }

  // --- REF^I12 (Sealpost mapping for RF1 and PRD, docs/fhir.md; OBR/OBX after the IG).
  referral(patient: Patient): ServiceRequest {
    const rf1 = this.message.segment('RF1');
    let referrer: Practitioner | undefined;
    let recipient: Practitioner | undefined;
    this.segments.forEach((segment, index) => {
      if (segment.name !== 'PRD') return;
      const role = segment.value(1, 1, 1);
      const practitioner = this.prdPractitioner(segment, this.label(index));
      if (role === 'RP' && !referrer) referrer = practitioner;
      else if ((role === 'IR' || role === 'RT') && !recipient) recipient = practitioner;
      else this.report.add(this.label(index), `provider role '${role}' is not carried (only the referring provider and intended recipient are)`);
    });
    const request: ServiceRequest = {
      resourceType: 'ServiceRequest',
      id: this.id(),
      status: 'active',
      intent: 'order',
      category: [PATIENT_REFERRAL],
      subject: this.a.ref(patient),
    };
    if (rf1) {
      const status = rf1.value(1, 1, 1);
      const mapped = ({ P: 'active', A: 'active', R: 'revoked', E: 'completed' } as const)[status as 'P'];
      if (mapped) request.status = mapped;
      if (status !== '' && status !== 'P') this.report.add('RF1-1', `referral status '${status}' carried as ServiceRequest.status '${mapped ?? 'active'}'`);
      const priority = ({ S: 'stat', A: 'asap', R: 'routine' } as const)[rf1.value(2, 1, 1) as 'S'];
      if (priority) request.priority = priority;
      else if (rf1.value(2) !== '') this.report.add('RF1-2', `priority '${rf1.value(2, 1, 1)}' has no FHIR request-priority`);
      for (const field of [3, 5]) {
        const concept = cweToConcept(rf1, field);
        if (concept) request.category!.push(concept);
      }
      const id = eiIdentifier(rf1, 6, 'PLAC');
      if (id) request.identifier = [id];
      const authored = this.date(rf1, 7, 'RF1');
      if (authored !== undefined) request.authoredOn = authored;
      this.report.unmappedFields(rf1, 'RF1', [1, 2, 3, 5, 6, 7]);
    } else {
      this.report.add('RF1', 'missing: referral status, priority and id are absent');
    }
    if (referrer) request.requester = this.a.ref(referrer);
    if (recipient) request.performer = [this.a.ref(recipient)];
    const letters: DocumentReference[] = [];
    for (const [n, group] of this.groups().entries()) {
      const obr = this.segments[group.obr]!;
      const label = this.label(group.obr);
      const reference = this.referralDocument(patient, obr, label, referrer, recipient);
      if (n === 0 && reference.type) request.code = reference.type;
      const mapped = [1, 2, 3, 4, 7, 25];
      if (obr.raw(2) !== '' && obr.raw(3) !== '') this.report.add(`${label}-2`, 'placer number next to a document id in OBR-3: only OBR-3 is kept');
      // OBR-16 (ordering provider) and OBR-22 repeat the referrer and OBR-7 in the AU profile.
      if (referrer && obr.value(16, 1, 2) === referrer.name?.[0]?.family) mapped.push(16);
      if (obr.raw(22) === obr.raw(7)) mapped.push(22);
      if (obr.value(24) === 'PHY') mapped.push(24);
      this.report.unmappedFields(obr, label, mapped);
      // The first group is the letter: its display segments are renderings of one document, so
      // one DocumentReference with a content entry each. In later groups every OBX is an
      // attachment of its own (OBX-3 says what it is): one DocumentReference each, with the
      // group's OBR-4 as category and OBR-3 as identifier, so they can be grouped again.
      let found = 0;
      for (const index of group.members) {
        const segment = this.segments[index]!;
        const at = this.label(index);
        const attachment = segment.name === 'OBX' ? this.attachment(index) : undefined;
        if (!attachment) {
          this.report.add(at, segment.name === 'NTE' ? 'a note inside a referral has no place in DocumentReference' : `OBX of type ${segment.value(2)} is not a document`);
          continue;
        }
        found++;
        this.report.unmappedFields(segment, at, [1, 2, 3, 4, 5, 11]);
        if (n === 0) {
          reference.content.push({ attachment });
          continue;
        }
        const own = this.referralDocument(patient, obr, label, referrer, recipient);
        if (own.type) own.category = [own.type];
        const type = cweToConcept(segment, 3);
        if (type) own.type = type;
        else delete own.type;
        const title = segment.value(3, 1, 2);
        if (title !== '') own.description = title;
        own.content.push({ attachment });
        this.a.add(own);
        letters.push(own);
      }
      if (found === 0) {
        this.report.add(label, 'an OBR group without a document is not carried');
        continue;
      }
      if (n === 0) {
        this.a.add(reference);
        letters.unshift(reference);
      }
    }
    if (letters.length === 0) throw convertError('REF^I12 carries no letter (no OBR group with a display segment)');
    request.supportingInfo = letters.map((l) => this.a.ref(l));
    this.a.add(request);
    this.unmappedSegments(['MSH', 'RF1', 'PRD', 'PID', 'OBR', 'OBX', 'NTE']);
    return request;
  }

  /** A DocumentReference for an OBR group of a referral (OBR-3, or OBR-2, → identifier; OBR-4 → type; OBR-7 → date). */
  referralDocument(patient: Patient, obr: Hl7Segment, label: string, referrer: Practitioner | undefined, recipient: Practitioner | undefined): DocumentReference {
    const reference: DocumentReference = { resourceType: 'DocumentReference', id: this.id(), status: 'current', subject: this.a.ref(patient), content: [] };
    const type = cweToConcept(obr, 4);
    if (type) reference.type = type;
    // HL7 AU (conformance HL7au:000002) puts the document identifier in OBR-3 as a full EI;
    // older senders used OBR-2. Either becomes the DocumentReference identifier, typed as sent.
    const id = eiIdentifier(obr, 3, 'FILL') ?? eiIdentifier(obr, 2, 'PLAC');
    if (id) reference.identifier = [id];
    const date = this.instant(obr, 7, label);
    if (date !== undefined) reference.date = date;
    if (referrer) reference.author = [this.a.ref(referrer)];
    const custodian = this.sender();
    if (custodian) reference.custodian = this.a.ref(custodian);
    if (recipient) reference.extension = [{ url: RECIPIENT_EXTENSION, valueReference: this.a.ref(recipient) }];
    return reference;
  }

  unmappedSegments(mapped: string[], reason = 'segment not converted'): void {
    const seen = new Set<string>();
    for (const segment of this.segments) {
      if (mapped.includes(segment.name) || seen.has(segment.name)) continue;
      seen.add(segment.name);
      this.report.add(segment.name, reason);
    }
  }
}

/** EI (entity id^namespace^universal id^type) → Identifier with a v2-0203 type (PLAC, FILL). */
function eiIdentifier(segment: Hl7Segment, field: number, type?: string): Identifier | undefined {
  const value = segment.value(field, 1, 1);
  if (value === '') return undefined;
  const identifier: Identifier = { value };
  if (type) identifier.type = { coding: [{ system: V2_0203, code: type }] };
  const assigner = hdAssigner(segment.value(field, 1, 2), segment.value(field, 1, 3), segment.value(field, 1, 4));
  if (assigner) identifier.assigner = assigner;
  return identifier;
}

/** OBR-25 / OBX-11 (tables 0123 / 0085) → DiagnosticReport/Observation status (v2-to-fhir ConceptMaps). */
function resultStatus(code: string): DiagnosticReport['status'] {
  switch (code) {
    case 'F':
      return 'final';
    case 'C':
      return 'corrected';
    case 'P':
    case 'R':
    case 'S':
      return 'preliminary';
    case 'A':
      return 'partial';
    case 'X':
    case 'D':
    case 'W':
      return code === 'X' ? 'cancelled' : 'entered-in-error';
    case 'I':
    case 'O':
      return 'registered';
    default:
      return 'unknown';
  }
}

/** ORC-5 (table 0038) → ServiceRequest.status. */
function orderStatus(code: string): ServiceRequest['status'] {
  return ({ CM: 'completed', IP: 'active', SC: 'active', A: 'active', CA: 'revoked', DC: 'revoked', HD: 'on-hold' } as const)[code as 'CM'] ?? 'active';
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function noteText(nte: Hl7Segment): string {
  const lines: string[] = [];
  for (let r = 1; r <= nte.repetitionCount(3); r++) lines.push(nte.value(3, r));
  return lines.join('\n');
}

