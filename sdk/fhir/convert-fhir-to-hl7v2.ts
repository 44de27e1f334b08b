import type {
  Attachment,
  Binary,
  Bundle,
  Composition,
  DiagnosticReport,
  DocumentReference,
  Identifier,
  MessageHeader,
  Observation,
  Organization,
  Patient,
  Practitioner,
  PractitionerRole,
  Reference,
  Resource,
  ServiceRequest,
} from '@medplum/fhirtypes';
import { SealpostError } from '../errors.js';
import { createMessage } from '../hl7v2/index.js';
import type { ComponentInput, FieldInput, Hl7Message } from '../hl7v2/index.js';
import { base64ToBytes } from './internal/base64.js';
import { APPLICATION_URN, ConversionReport } from './internal/conversion.js';
import type { ConversionNote } from './conversion-note.js';
import {
  addressToXad,
  assignerToHd,
  AU_PROVIDER_NUMBER,
  conceptToCwe,
  fhirToDtm,
  identifierToCx,
  identifierType,
  nameToXpn,
  providerIdToV2,
  systemToV2,
  telecomToXtn,
  trimEmpty,
} from './internal/v2-datatypes.js';
import { RECIPIENT_EXTENSION } from './profiles.js';
import { IDENTIFIER_SYSTEMS } from './validate-identifier.js';

/** The HL7 v2 forms FHIR can be converted to. */
export type Hl7v2Profile = 'au-ref-l1' | 'au-ref-l2' | 'mdm-t02' | 'oru-r01';

/** MSH-3/4 or MSH-5/6: application name, facility name and its HPI-O (or other universal id). */
export interface Hl7v2Party {
  application?: string;
  facility?: string;
  /** Facility universal id (HD-2), e.g. an HPI-O; with `facilityIdType` (HD-3, default AUSHIC for an HPI-O). */
  facilityId?: string;
  facilityIdType?: string;
}

/** Options of {@link convertFhirToHl7v2}. */
export interface ConvertFhirToHl7v2Options {
  /**
   * Target form. Default: the one a bundle converted from v2 came from (MessageHeader event R01,
   * T02, I12); else au-ref-l2 for a document or a ServiceRequest, oru-r01 for a DiagnosticReport,
   * mdm-t02 for a lone DocumentReference.
   */
  profile?: Hl7v2Profile;
  /** Override MSH-3/4 (default: MessageHeader source and sender, else the author's organisation). */
  sender?: Hl7v2Party;
  /** Override MSH-5/6 (default: MessageHeader destination and receiver, else the recipient's organisation). */
  receiver?: Hl7v2Party;
  /** MSH-10. Default: Bundle.identifier.value when it came from MSH-10, else 20 random hex characters. */
  controlId?: string;
  /** MSH-7 clock when the bundle has no timestamp. Default `() => new Date()`. */
  now?: () => Date;
}

/** The message and what could not be carried into it. */
export interface ConvertFhirToHl7v2Result {
  message: Hl7Message;
  profile: Hl7v2Profile;
  report: ConversionNote[];
}

function convertError(message: string): SealpostError {
  return new SealpostError('ERR_FHIR_CONVERT', message);
}

const DISPLAY: Record<string, string> = { 'application/pdf': 'PDF', 'text/html': 'HTML', 'text/rtf': 'RTF', 'application/rtf': 'RTF' };

/**
 * Converts FHIR to HL7 v2 (HL7 AU conventions, as sdk/hl7v2's builders write them):
 *
 * - `au-ref-l2` / `au-ref-l1`: a document Bundle, a bundle with a ServiceRequest, or a
 *   DocumentReference → REF^I12 (RF1, PRD RP/IR, PID, OBR + display segments; Level 2 adds one OBR
 *   group per attachment; Level 1 carries only the PDF rendering and throws when there is none);
 * - `mdm-t02`: a DocumentReference (or a document) → MDM^T02 (EVN, PID, PV1, TXA, OBX ED);
 * - `oru-r01`: a DiagnosticReport with its Observations → ORU^R01, presentedForm as display segments.
 *
 * `input` is a Bundle (document, message or collection) or a single resource whose references
 * are contained. What the message cannot carry is listed in `report`. Throws SealpostError
 * ERR_FHIR_CONVERT when the input lacks what the profile needs (a patient, a letter, a PDF for
 * Level 1, a DiagnosticReport for ORU), or references a document outside the bundle.
 */
export function convertFhirToHl7v2(input: Bundle | Resource, options: ConvertFhirToHl7v2Options = {}): ConvertFhirToHl7v2Result {
  const ctx = new Context(input, options);
  const profile = options.profile ?? ctx.defaultProfile();
  let message: Hl7Message;
  switch (profile) {
    case 'oru-r01':
      message = ctx.oru();
      break;
    case 'mdm-t02':
      message = ctx.mdm();
      break;
    case 'au-ref-l1':
    case 'au-ref-l2':
      message = ctx.ref(profile === 'au-ref-l1' ? 1 : 2);
      break;
    default:
      throw new TypeError(`unknown profile '${String(profile)}'`);
  }
  ctx.unused();
  return { message, profile, report: ctx.report.notes };
}

interface Entry {
  url: string | undefined;
  resource: Resource;
  index: number;
}

class Context {
  readonly report = new ConversionReport();
  readonly entries: Entry[] = [];
  readonly bundle: Bundle | undefined;
  readonly used = new Set<Resource>();
  readonly options: ConvertFhirToHl7v2Options;

  constructor(input: Bundle | Resource, options: ConvertFhirToHl7v2Options) {
    this.options = options;
    if (input.resourceType === 'Bundle') {
      this.bundle = input;
      (input.entry ?? []).forEach((e, index) => {
        if (e.resource) this.entries.push({ url: e.fullUrl, resource: e.resource, index });
      });
    } else {
      this.entries.push({ url: undefined, resource: input, index: 0 });
      const contained = (input as { contained?: Resource[] }).contained ?? [];
      for (const c of contained) this.entries.push({ url: c.id === undefined ? undefined : `#${c.id}`, resource: c, index: -1 });
    }
  }

  all<T extends Resource>(type: T['resourceType']): T[] {
    return this.entries.filter((e) => e.resource.resourceType === type).map((e) => e.resource as T);
  }

  first<T extends Resource>(type: T['resourceType']): T | undefined {
    return this.all<T>(type)[0];
  }

  resolve<T extends Resource>(reference: Reference | undefined): T | undefined {
    const target = reference?.reference;
    if (!target) return undefined;
    for (const e of this.entries) {
      if (e.url === target) return e.resource as T;
      if (`${e.resource.resourceType}/${e.resource.id ?? ''}` === target) return e.resource as T;
      if (e.url !== undefined && target.includes('/') && e.url.endsWith(`/${target}`)) return e.resource as T;
    }
    return undefined;
  }

  use<T extends Resource>(resource: T | undefined, mapped: readonly string[], what: string): T | undefined {
    if (!resource || this.used.has(resource)) return resource;
    this.used.add(resource);
    const base = new Set(['resourceType', 'id', 'meta', 'text', 'contained', ...mapped]);
    for (const key of Object.keys(resource)) {
      if (base.has(key) || key.startsWith('_')) continue;
      this.report.add(`${resource.resourceType}.${key}`, `no place in ${what}`);
    }
    return resource;
  }

  unused(): void {
    for (const e of this.entries) {
      if (this.used.has(e.resource) || e.index < 0) continue;
      if (e.resource.resourceType === 'MessageHeader' || e.resource.resourceType === 'Composition' || e.resource.resourceType === 'Binary') continue;
      this.report.add(this.bundle ? `Bundle.entry[${e.index}]` : e.resource.resourceType, `${e.resource.resourceType} not carried by the message`);
    }
  }

  /** A section narrative summarises the letter; the message carries the letter itself. */
  sectionText(composition: Composition): void {
    composition.section?.forEach((section, i) => {
      if (section.text) this.report.add(`Composition.section[${i}].text`, 'the section narrative is not carried (the letter is)');
      if (section.title !== undefined) this.report.add(`Composition.section[${i}].title`, 'no place in the message');
    });
  }

  defaultProfile(): Hl7v2Profile {
    // A bundle converted from v2 names its event; otherwise go by what the bundle holds.
    const event = this.first<MessageHeader>('MessageHeader')?.eventCoding?.code;
    if (event === 'R01') return 'oru-r01';
    if (event === 'T02') return 'mdm-t02';
    if (event === 'I12') return 'au-ref-l2';
    if (this.first('Composition')) return 'au-ref-l2';
    if (this.first('DiagnosticReport')) return 'oru-r01';
    if (this.first('ServiceRequest')) return 'au-ref-l2';
    return 'mdm-t02';
  }

  // --- People.
  patient(subject: Reference | undefined): Patient {
    const patient = this.resolve<Patient>(subject) ?? this.first<Patient>('Patient');
    if (!patient || patient.resourceType !== 'Patient') throw convertError('no Patient to write PID from');
    this.use(patient, ['identifier', 'name', 'birthDate', 'gender', 'address', 'telecom'], 'PID');
    if ((patient.name?.length ?? 0) > 1) this.report.add('Patient.name[1]', 'PID-5 carries the first name only');
    if ((patient.address?.length ?? 0) > 1) this.report.add('Patient.address[1]', 'PID-11 carries the first address only');
    return patient;
  }

  pid(patient: Patient): FieldInput[] {
    const identifiers = (patient.identifier ?? []).filter((i) => i.value);
    if (identifiers.length === 0) throw convertError('the Patient has no identifier; PID-3 needs one');
    const sex = ({ female: 'F', male: 'M', other: 'O', unknown: 'U' } as const)[patient.gender ?? 'unknown'];
    const home = patient.telecom?.find((t) => t.use !== 'work');
    const work = patient.telecom?.find((t) => t.use === 'work');
    for (const [i, t] of (patient.telecom ?? []).entries()) if (t !== home && t !== work) this.report.add(`Patient.telecom[${i}]`, 'PID-13/14 carry one home and one work number');
    return trimFields([
      '1',
      '',
      { repeat: identifiers.map((i) => identifierToCx(i)) },
      '',
      nameToXpn(patient.name?.[0]),
      '',
      fhirToDtm(patient.birthDate),
      patient.gender ? sex : '',
      '',
      '',
      addressToXad(patient.address?.[0]),
      '',
      telecomToXtn(home, 'PRN'),
      telecomToXtn(work, 'WPN'),
    ]);
  }

  /** A Practitioner behind a reference (through a PractitionerRole when needed). */
  practitioner(reference: Reference | undefined, what: string): { practitioner?: Practitioner; organization?: Organization } {
    const target = this.resolve<Practitioner | PractitionerRole | Organization>(reference);
    if (!target) {
      if (reference?.display) this.report.add(`${what}`, `'${reference.display}' is a display without a resource; only resources are carried`);
      return {};
    }
    if (target.resourceType === 'PractitionerRole') {
      this.use(target, ['practitioner', 'organization'], what);
      const practitioner = this.resolve<Practitioner>(target.practitioner);
      const organization = this.resolve<Organization>(target.organization);
      const out: { practitioner?: Practitioner; organization?: Organization } = {};
      if (practitioner) out.practitioner = practitioner;
      if (organization) out.organization = organization;
      return out;
    }
    if (target.resourceType === 'Organization') return { organization: target };
    return { practitioner: target };
  }

  /** The identifier for XCN-1: a Medicare provider number first (what AU receivers match on), then an HPI-I, then any. */
  providerId(practitioner: Practitioner): Identifier | undefined {
    const ids = (practitioner.identifier ?? []).filter((i) => i.value);
    return ids.find((i) => i.system === AU_PROVIDER_NUMBER) ?? ids.find((i) => i.system === IDENTIFIER_SYSTEMS.hpiI) ?? ids.find((i) => identifierType(i) !== undefined) ?? ids[0];
  }

  /** XCN of a practitioner; `extraReported` false where a PRD of the same message carries every identifier. */
  xcn(practitioner: Practitioner | undefined, what: string, extraReported = true): FieldInput {
    if (!practitioner) return '';
    // XCN has no address or phone; when a PRD of the same message carries them, it used them first.
    this.use(practitioner, ['identifier', 'name'], `the XCN of the ${what}`);
    const id = this.providerId(practitioner);
    const name = practitioner.name?.[0];
    const { type, assigner } = id ? providerIdToV2(id) : { type: '', assigner: '' };
    if (extraReported) {
      (practitioner.identifier ?? []).forEach((other, i) => {
        if (other !== id) this.report.add(`Practitioner.identifier[${i}]`, `the XCN of the ${what} carries one identifier`);
      });
    }
    return [id?.value ?? '', name?.family ?? '', name?.given?.[0] ?? '', name?.given?.slice(1).join(' ') ?? '', name?.suffix?.[0] ?? '', name?.prefix?.[0] ?? '', '', '', assigner, 'L', '', '', type];
  }

  prd(role: 'RP' | 'IR', practitioner: Practitioner | undefined, what: string): FieldInput[] {
    const roleText = role === 'RP' ? 'Referring Provider' : 'Intended Recipient';
    if (!practitioner) {
      this.report.add(what, `no Practitioner: PRD (${role}) written with the role only`);
      return [[role, roleText, 'HL70286']];
    }
    this.use(practitioner, ['identifier', 'name', 'address', 'telecom'], `PRD (${role})`);
    const ids = (practitioner.identifier ?? []).filter((i) => i.value);
    const name = nameToXpn(practitioner.name?.[0], false);
    const phone = practitioner.telecom?.find((t) => t.system !== 'email');
    return [
      [role, roleText, 'HL70286'],
      name.slice(0, 5),
      addressToXad(practitioner.address?.[0]),
      '',
      telecomToXtn(phone, 'WPN'),
      '',
      ids.length ? { repeat: ids.map((i) => trimEmpty([i.value!, providerIdToV2(i).type])) } : '',
    ];
  }

  party(organization: Organization | undefined, fallbackApp: string, override: Hl7v2Party | undefined, name: string | undefined, endpoint: string | undefined): [ComponentInput[], ComponentInput[]] {
    if (organization) this.use(organization, ['identifier', 'name', 'address', 'telecom'], 'MSH');
    const hpio = organization?.identifier?.find((i) => i.system === IDENTIFIER_SYSTEMS.hpiO) ?? organization?.identifier?.[0];
    const facilityIdType = override?.facilityIdType ?? (hpio?.system === IDENTIFIER_SYSTEMS.hpiO ? 'AUSHIC' : systemToV2(hpio?.system));
    const facilityId = override?.facilityId ?? hpio?.value ?? '';
    const facility = override?.facility ?? organization?.name ?? '';
    const application: ComponentInput[] = override?.application !== undefined ? [override.application] : (fromUrn(endpoint) ?? [name ?? fallbackApp]);
    return [application, facilityId ? [facility, facilityId, facilityIdType] : [facility]];
  }

  msh(type: [string, string, string], sender: Organization | undefined, receiver: Organization | undefined): Hl7Message {
    const header = this.first<MessageHeader>('MessageHeader');
    if (header && !this.used.has(header)) {
      this.use(header, ['eventCoding', 'source', 'destination', 'sender', 'focus'], 'MSH');
      // Endpoints written by convertHl7v2ToFhir come back from MSH-3/5; others have no place in MSH.
      const endpoints: Array<[string, string]> = [['MessageHeader.source.endpoint', header.source.endpoint]];
      header.destination?.forEach((d, i) => endpoints.push([`MessageHeader.destination[${i}].endpoint`, d.endpoint]));
      for (const [where, endpoint] of endpoints) if (!endpoint.startsWith(APPLICATION_URN)) this.report.add(where, 'an endpoint URL has no place in MSH (only the application name)');
      if ((header.destination?.length ?? 0) > 1) this.report.add('MessageHeader.destination[1]', 'MSH-5/6 name one receiver');
    }
    const senderOrg = this.resolve<Organization>(header?.sender) ?? sender;
    const receiverOrg = this.resolve<Organization>(header?.destination?.[0]?.receiver) ?? receiver;
    const [app, facility] = this.party(senderOrg?.resourceType === 'Organization' ? senderOrg : sender, 'SEALPOST', this.options.sender, header?.source.name, header?.source.endpoint);
    const [rapp, rfacility] = this.party(receiverOrg?.resourceType === 'Organization' ? receiverOrg : receiver, 'UNKNOWN', this.options.receiver, header?.destination?.[0]?.name, header?.destination?.[0]?.endpoint);
    const timestamp = this.bundle?.timestamp ?? (this.options.now ?? (() => new Date()))().toISOString();
    const controlId = this.options.controlId ?? (this.bundle?.identifier?.system === 'urn:sealpost:hl7v2:msh-10' ? this.bundle.identifier.value : undefined) ?? randomControlId();
    return createMessage({
      msh: [app, facility, rapp, rfacility, fhirToDtm(timestamp), '', type, controlId, 'P', ['2.4', ['AUS', '', 'ISO3166_1']], '', '', 'AL', 'NE', 'AUS', 'UNICODE UTF-8'],
    });
  }

  /** Bytes of an attachment: inline data, or a Binary in the bundle named by its url. */
  bytes(attachment: Attachment, where: string): Uint8Array | undefined {
    let data = attachment.data;
    if (data === undefined && attachment.url) {
      const binary = this.resolve<Binary>({ reference: attachment.url });
      if (binary?.resourceType === 'Binary') {
        this.used.add(binary);
        data = binary.data;
      } else {
        this.report.add(`${where}.url`, `'${attachment.url}' is not in the bundle; the document is not carried`);
        return undefined;
      }
    }
    if (data === undefined) {
      this.report.add(where, 'attachment without data');
      return undefined;
    }
    try {
      return base64ToBytes(data);
    } catch (cause) {
      throw new SealpostError('ERR_FHIR_CONVERT', `${where}.data: not base64`, { cause });
    }
  }

  // --- REF^I12.
  ref(level: 1 | 2): Hl7Message {
    const composition = this.first<Composition>('Composition');
    const request = this.first<ServiceRequest>('ServiceRequest');
    if (composition) {
      this.use(composition, ['status', 'type', 'subject', 'date', 'author', 'custodian', 'extension', 'section'], 'REF^I12');
      this.sectionText(composition);
    }
    this.use(request, ['identifier', 'status', 'intent', 'priority', 'category', 'subject', 'requester', 'performer', 'authoredOn', 'supportingInfo', 'code'], 'RF1');
    // The letter and attachments, in order of preference.
    const documents: Array<{ reference?: DocumentReference; contents: Attachment[]; where: string; type?: DocumentReference['type'] }> = [];
    if (composition) {
      for (const [s, section] of (composition.section ?? []).entries()) {
        for (const [e, ref] of (section.entry ?? []).entries()) {
          const target = this.resolve<Binary | DocumentReference>(ref);
          const where = `Composition.section[${s}].entry[${e}]`;
          if (target?.resourceType === 'Binary') {
            this.used.add(target);
            documents.push({ contents: [{ contentType: target.contentType, data: target.data ?? '' }], where, type: composition.type });
          } else if (target?.resourceType === 'DocumentReference') {
            documents.push({ reference: target, contents: target.content.map((c) => c.attachment), where, type: target.type ?? composition.type });
          } else this.report.add(where, 'section entry is neither a Binary nor a DocumentReference; not carried');
        }
      }
    } else {
      const refs = request?.supportingInfo?.map((r) => this.resolve<DocumentReference>(r)).filter((d): d is DocumentReference => d?.resourceType === 'DocumentReference') ?? [];
      const all = refs.length ? refs : this.all<DocumentReference>('DocumentReference');
      for (const [i, d] of all.entries()) documents.push({ reference: d, contents: d.content.map((c) => c.attachment), where: `DocumentReference[${i}]`, type: d.type });
    }
    const letter = documents[0];
    if (!letter) throw convertError('REF^I12 needs a letter: a document section, or a DocumentReference');
    // An attachment's description names its OBX-3 when it has no type; the letter's has no place.
    documents.forEach((d, i) => this.use(d.reference, ['status', 'type', 'category', 'subject', 'date', 'author', 'custodian', 'content', 'identifier', 'extension', ...(i > 0 ? ['description'] : [])], 'REF^I12'));

    const subject = composition?.subject ?? request?.subject ?? letter.reference?.subject;
    const patient = this.patient(subject);
    const authorRef = composition?.author[0] ?? request?.requester ?? letter.reference?.author?.[0];
    const author = this.practitioner(authorRef, 'author');
    const recipientRef = recipientOf(composition) ?? recipientOf(letter.reference) ?? request?.performer?.[0];
    const recipient = this.practitioner(recipientRef, 'recipient');
    const custodian = this.resolve<Organization>(composition?.custodian ?? letter.reference?.custodian) ?? author.organization;
    const message = this.msh(['REF', 'I12', 'REF_I12'], custodian, recipient.organization);

    const id = request?.identifier?.[0] ?? letter.reference?.identifier?.[0] ?? (this.bundle?.identifier ? { value: this.bundle.identifier.value ?? '' } : undefined);
    const idValue = (id?.value ?? message.controlId).replace(/-1$/, '');
    const assigner: string[] = id?.assigner ? assignerToHd(id.assigner) : custodian ? hdOf(custodian) : [''];
    const status = ({ active: 'P', draft: 'P', revoked: 'R', completed: 'E' } as const)[request?.status as 'active'] ?? 'P';
    const priority = ({ stat: ['S', 'Stat'], asap: ['A', 'ASAP'], urgent: ['A', 'ASAP'], routine: ['R', 'Routine'] } as const)[request?.priority ?? 'routine'];
    const typeCoding = request?.category?.flatMap((c) => c.coding ?? []).find((c) => c.system === 'http://terminology.hl7.org/CodeSystem/v2-0281');
    const categoryCoding = request?.category?.flatMap((c) => c.coding ?? []).find((c) => c.system === 'http://terminology.hl7.org/CodeSystem/v2-0284');
    const authored = request?.authoredOn ?? composition?.date ?? letter.reference?.date ?? this.bundle?.timestamp;
    message.addSegment('RF1', [
      [status, ({ P: 'Pending', R: 'Rejected', E: 'Expired' } as const)[status], 'HL70283'],
      [priority[0], priority[1], 'HL70280'],
      typeCoding ? [typeCoding.code ?? '', typeCoding.display ?? '', 'HL70281'] : ['MED', 'Medical', 'HL70281'],
      ['RP', 'Return patient after evaluation', 'HL70282'],
      categoryCoding ? [categoryCoding.code ?? '', categoryCoding.display ?? '', 'HL70284'] : '',
      trimEmpty([idValue, ...assigner]),
      fhirToDtm(authored).slice(0, 8),
    ]);
    message.addSegment('PRD', this.prd('RP', author.practitioner, 'author'));
    message.addSegment('PRD', this.prd('IR', recipient.practitioner, 'recipient'));
    message.addSegment('PID', this.pid(patient));
    const when = fhirToDtm(letter.reference?.date ?? composition?.date ?? this.bundle?.timestamp);
    const referrer = this.xcn(author.practitioner, 'author', false);
    // OBR-3 holds the document identifier as a full EI (HL7 AU conformance HL7au:000002).
    const obr = (n: number, code: FieldInput): FieldInput[] => [String(n), '', trimEmpty([`${idValue}-${n}`, ...assigner]), code, '', '', when, ...Array<string>(8).fill(''), referrer, '', '', '', '', '', when, '', 'PHY', 'F'];
    const letterCode = conceptToCwe(letter.type);
    message.addSegment('OBR', obr(1, letterCode.length > 1 ? letterCode : ['REFER', 'Referral', 'L']));
    let set = 0;
    let pdf = false;
    for (const [i, content] of letter.contents.entries()) {
      const where = `${letter.where}.content[${i}]`;
      const type = (content.contentType ?? '').split(';')[0]!.trim().toLowerCase();
      const bytes = this.bytes(content, where);
      if (!bytes) continue;
      if (level === 1 && type !== 'application/pdf') {
        this.report.add(where, `a ${type} rendering is not carried at Level 1 (PDF only)`);
        continue;
      }
      if (type === 'text/plain') {
        message.addSegment('OBX', [String(++set), 'FT', ['PIT', 'Display format in PIT', 'AUSPDI'], '', new TextDecoder().decode(bytes), '', '', '', '', '', 'F']);
        continue;
      }
      const code = DISPLAY[type];
      if (!code) {
        this.report.add(where, `${type} is not an HL7 AU display format (PDF, HTML, RTF, text); not carried`);
        continue;
      }
      pdf ||= code === 'PDF';
      message.addSegment('OBX', [String(++set), 'ED', [code, `Display format in ${code}`, 'AUSPDI'], '', ed(type, bytes), '', '', '', '', '', 'F']);
    }
    if (level === 1 && !pdf) throw convertError('REF^I12 Level 1 needs a PDF rendering of the letter, and the input has none');
    if (set === 0) throw convertError('REF^I12 needs at least one display rendering of the letter');
    // Attachments: one OBR group each, except consecutive DocumentReferences sharing an
    // identifier (OBR-2) and a category (OBR-4), which came from one group and go back into one.
    let group = 1;
    let previous: string | undefined;
    let sub = 0;
    for (const d of documents.slice(1)) {
      if (level === 1) {
        this.report.add(d.where, 'attachments are not carried at Level 1 (use au-ref-l2)');
        continue;
      }
      const code = conceptToCwe(d.type);
      const obxCode = code.length > 1 ? code : ['ATT', d.reference?.description ?? 'Attachment', 'L'];
      const category = d.reference?.category?.[0];
      const key = category && d.reference?.identifier?.[0]?.value ? `${d.reference.identifier[0].value}\u0000${JSON.stringify(category)}` : undefined;
      if (key === undefined || key !== previous) {
        const groupCode = category ? conceptToCwe(category) : obxCode;
        message.addSegment('OBR', obr(++group, groupCode));
        sub = 0;
      }
      previous = key;
      for (const [i, content] of d.contents.entries()) {
        const bytes = this.bytes(content, `${d.where}.content[${i}]`);
        if (!bytes) continue;
        ++sub;
        message.addSegment('OBX', [String(sub), 'ED', obxCode, String(sub), ed(content.contentType ?? 'application/octet-stream', bytes), '', '', '', '', '', 'F']);
      }
    }
    return message;
  }

  // --- MDM^T02.
  mdm(): Hl7Message {
    const composition = this.first<Composition>('Composition');
    const found = this.first<DocumentReference>('DocumentReference');
    let document: DocumentReference;
    let contents: Attachment[];
    if (found) {
      document = found;
      contents = found.content.map((c) => c.attachment);
    } else if (composition) {
      this.use(composition, ['status', 'type', 'subject', 'date', 'author', 'custodian', 'section'], 'MDM^T02');
      this.sectionText(composition);
      const binary = (composition.section ?? []).flatMap((s) => s.entry ?? []).map((r) => this.resolve<Binary>(r)).find((b) => b?.resourceType === 'Binary');
      if (!binary) throw convertError('MDM^T02 needs a document: a DocumentReference or a Binary in the document');
      this.used.add(binary);
      contents = [{ contentType: binary.contentType, data: binary.data ?? '' }];
      // A document's letter, written as MDM: the Composition says what a DocumentReference would.
      document = { resourceType: 'DocumentReference', status: 'current', author: composition.author, date: composition.date, type: composition.type, content: [] };
      if (composition.subject) document.subject = composition.subject as DocumentReference['subject'];
    } else throw convertError('MDM^T02 needs a DocumentReference');
    this.use(document, ['status', 'docStatus', 'type', 'category', 'subject', 'date', 'author', 'custodian', 'content', 'masterIdentifier', 'description'], 'MDM^T02');
    const patient = this.patient(document.subject);
    const author = this.practitioner(document.author?.[0], 'DocumentReference.author');
    const custodian = this.resolve<Organization>(document.custodian) ?? author.organization;
    const message = this.msh(['MDM', 'T02', 'MDM_T02'], custodian, undefined);
    const when = fhirToDtm(this.bundle?.timestamp ?? document.date);
    message.addSegment('EVN', ['T02', when]);
    message.addSegment('PID', this.pid(patient));
    message.addSegment('PV1', ['1', 'U']);
    const first = contents[0];
    if (!first) throw convertError('MDM^T02: the DocumentReference has no content');
    const type = (first.contentType ?? 'application/octet-stream').split(';')[0]!.trim().toLowerCase();
    const created = fhirToDtm(document.date);
    const xcn = this.xcn(author.practitioner, 'DocumentReference.author');
    const master = document.masterIdentifier;
    const txaType = document.type?.coding?.[0];
    const docStatus = ({ final: 'AU', amended: 'AU', preliminary: 'IP', 'entered-in-error': 'CA' } as const)[document.docStatus ?? 'final'];
    message.addSegment('TXA', [
      '1',
      txaType ? conceptToCwe(document.type) : '',
      type.startsWith('text/') ? 'TX' : 'AP',
      created,
      xcn,
      created,
      '',
      '',
      xcn,
      '',
      '',
      master ? trimEmpty([master.value ?? '', ...assignerToHd(master.assigner)]) : '',
      '',
      '',
      '',
      first.title ?? '',
      docStatus,
    ]);
    if (document.description !== undefined) this.report.add('DocumentReference.description', 'TXA-25 (document title) is not written in HL7 v2.4');
    const bytes = this.bytes(first, 'DocumentReference.content[0].attachment');
    if (!bytes) throw convertError('MDM^T02: the document bytes are not in the input');
    const category = document.category?.[0];
    message.addSegment('OBX', ['1', 'ED', category ? conceptToCwe(category) : ['11488-4', 'Consult note', 'LN'], '', ed(type, bytes), '', '', '', '', '', 'F']);
    for (let i = 1; i < contents.length; i++) this.report.add(`DocumentReference.content[${i}]`, 'MDM^T02 carries one document');
    return message;
  }

  // --- ORU^R01.
  oru(): Hl7Message {
    const report = this.first<DiagnosticReport>('DiagnosticReport');
    if (!report) throw convertError('ORU^R01 needs a DiagnosticReport');
    this.use(report, ['identifier', 'basedOn', 'status', 'category', 'code', 'subject', 'effectiveDateTime', 'issued', 'performer', 'result', 'presentedForm'], 'OBR');
    const patient = this.patient(report.subject);
    const lab = report.performer?.map((p) => this.resolve<Organization>(p)).find((o) => o?.resourceType === 'Organization');
    const request = report.basedOn?.map((r) => this.resolve<ServiceRequest>(r)).find((r) => r?.resourceType === 'ServiceRequest');
    this.use(request, ['identifier', 'status', 'intent', 'subject', 'requester', 'code'], 'OBR');
    const requester = request ? this.practitioner(request.requester, 'ServiceRequest.requester').practitioner : undefined;
    const message = this.msh(['ORU', 'R01', 'ORU_R01'], lab, undefined);
    message.addSegment('PID', this.pid(patient));
    const ei = (id: Identifier | undefined): FieldInput => (id?.value ? trimEmpty([id.value, ...assignerToHd(id.assigner)]) : '');
    const filler = report.identifier?.find((i) => identifierType(i) === 'FILL') ?? report.identifier?.[0];
    const placer = request?.identifier?.[0];
    const status = ({ final: 'F', corrected: 'C', amended: 'C', preliminary: 'P', partial: 'A', cancelled: 'X', 'entered-in-error': 'W', registered: 'I' } as const)[report.status as 'final'] ?? 'F';
    const orderStatus = ({ completed: 'CM', active: 'IP', revoked: 'CA', 'on-hold': 'HD' } as const)[request?.status as 'completed'] ?? 'CM';
    message.addSegment('ORC', ['RE', ei(placer), ei(filler), '', orderStatus]);
    const section = report.category?.flatMap((c) => c.coding ?? []).find((c) => c.system === 'http://terminology.hl7.org/CodeSystem/v2-0074')?.code ?? '';
    message.addSegment('OBR', ['1', ei(placer), ei(filler), conceptToCwe(report.code), '', '', fhirToDtm(report.effectiveDateTime), ...Array<string>(8).fill(''), this.xcn(requester, 'ServiceRequest.requester'), '', '', '', '', '', fhirToDtm(report.issued), '', section, status]);
    let set = 0;
    for (const [i, ref] of (report.result ?? []).entries()) {
      const observation = this.resolve<Observation>(ref);
      if (observation?.resourceType !== 'Observation') {
        this.report.add(`DiagnosticReport.result[${i}]`, 'not in the bundle; not carried');
        continue;
      }
      this.use(observation, ['status', 'code', 'subject', 'valueQuantity', 'valueString', 'valueCodeableConcept', 'valueDateTime', 'referenceRange', 'interpretation', 'effectiveDateTime', 'note', 'performer'], 'OBX');
      const [valueType, value, units] = observationValue(observation);
      const range = observation.referenceRange?.[0]?.text ?? '';
      const flag = observation.interpretation?.[0]?.coding?.[0]?.code ?? '';
      const obxStatus = ({ final: 'F', corrected: 'C', amended: 'C', preliminary: 'P', cancelled: 'X', 'entered-in-error': 'W', registered: 'I' } as const)[observation.status as 'final'] ?? 'F';
      message.addSegment('OBX', [String(++set), valueType, conceptToCwe(observation.code), '', value, units, range, flag, '', '', obxStatus, '', '', fhirToDtm(observation.effectiveDateTime)]);
      for (const [n, note] of (observation.note ?? []).entries()) message.addSegment('NTE', [String(n + 1), 'L', note.text]);
    }
    for (const [i, form] of (report.presentedForm ?? []).entries()) {
      const where = `DiagnosticReport.presentedForm[${i}]`;
      const type = (form.contentType ?? '').split(';')[0]!.trim().toLowerCase();
      const bytes = this.bytes(form, where);
      if (!bytes) continue;
      if (type === 'text/plain') {
        message.addSegment('OBX', [String(++set), 'FT', ['PIT', 'Display format in PIT', 'AUSPDI'], '', new TextDecoder().decode(bytes), '', '', '', '', '', status]);
        continue;
      }
      const code = DISPLAY[type] ?? 'ATT';
      message.addSegment('OBX', [String(++set), 'ED', DISPLAY[type] ? [code, `Display format in ${code}`, 'AUSPDI'] : ['ATT', form.title ?? 'Attachment', 'L'], '', ed(type, bytes), '', '', '', '', '', status]);
    }
    return message;
  }
}

/** Drops trailing empty fields, so a segment does not end in `|`. */
function trimFields(fields: FieldInput[]): FieldInput[] {
  let end = fields.length;
  while (end > 1 && fields[end - 1] === '') end--;
  return fields.slice(0, end);
}

/** The HD components of an application endpoint written by convertHl7v2ToFhir. */
function fromUrn(endpoint: string | undefined): string[] | undefined {
  if (!endpoint?.startsWith(APPLICATION_URN)) return undefined;
  try {
    return endpoint.slice(APPLICATION_URN.length).split(':').map((part) => decodeURIComponent(part));
  } catch {
    return undefined;
  }
}

function recipientOf(resource: { extension?: Array<{ url: string; valueReference?: Reference }> } | undefined): Reference | undefined {
  return resource?.extension?.find((e) => e.url === RECIPIENT_EXTENSION)?.valueReference;
}

function hdOf(organization: Organization): string[] {
  const id = organization.identifier?.find((i) => i.system === IDENTIFIER_SYSTEMS.hpiO);
  return id?.value ? [organization.name ?? '', id.value, 'AUSHIC'] : [organization.name ?? ''];
}

/** OBX-2, OBX-5 and OBX-6 of an Observation's value (v2-to-fhir OBX[Observation], reversed). */
function observationValue(observation: Observation): [string, FieldInput, FieldInput] {
  if (observation.valueQuantity) {
    const q = observation.valueQuantity;
    const units: FieldInput = q.code !== undefined || q.unit !== undefined ? [q.code ?? q.unit ?? '', q.unit ?? '', systemToV2(q.system)] : '';
    return ['NM', q.value === undefined ? '' : String(q.value), units];
  }
  if (observation.valueCodeableConcept) return ['CE', conceptToCwe(observation.valueCodeableConcept), ''];
  if (observation.valueDateTime !== undefined) return ['TS', fhirToDtm(observation.valueDateTime), ''];
  if (observation.valueString !== undefined) {
    const lines = observation.valueString.split('\n');
    return lines.length > 1 ? ['TX', { repeat: lines }, ''] : ['ST', observation.valueString, ''];
  }
  return ['ST', '', ''];
}

/** ED for OBX-5: ^type^subtype^Base64^data. */
function ed(mediaType: string, bytes: Uint8Array): FieldInput {
  const [type, subtype] = mediaType.split(';')[0]!.trim().toLowerCase().split('/');
  return ['', type ?? 'application', subtype ?? 'octet-stream', 'Base64', base64(bytes)];
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function randomControlId(): string {
  const bytes = new Uint8Array(10);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
}
