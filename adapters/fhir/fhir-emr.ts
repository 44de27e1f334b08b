import { Client } from 'fhir-kit-client';
import { AdapterError } from '../errors.js';
import type { EmrTarget, RenderedLetter } from '../import/pipeline.js';
import type { PatientCandidate, PatientDemographics } from '../match/match-patient.js';

/** The identifier system under which a letter's messageId is written (and searched by If-None-Exist). */
export const MESSAGE_ID_SYSTEM = 'https://sealpost.org/fhir/sid/message-id';

/** Options of {@link FhirEmr}. */
export interface FhirEmrOptions {
  /** FHIR R4 base URL, e.g. `https://emr.example/fhir/R4`. */
  baseUrl: string;
  /** A static bearer token, or a function returning a current one (see `smartBackendToken`). */
  token?: string | (() => Promise<string>);
  /** Resource the letter becomes (default `DocumentReference`). */
  resource?: 'DocumentReference' | 'DiagnosticReport';
  /** Letters up to this size go inline in the attachment; larger ones as a Binary (default 1 MiB). */
  inlineMaxBytes?: number;
  /** Largest number of patients one search returns (default 20). */
  searchCount?: number;
}

interface FhirPatient {
  id: string;
  identifier?: { system?: string; value?: string }[];
  name?: { family?: string; given?: string[] }[];
  birthDate?: string;
  gender?: PatientCandidate['sex'];
  address?: { postalCode?: string }[];
}

const base64 = (bytes: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
};

/**
 * A FHIR R4 EMR through fhir-kit-client: Patient search for matching, and filing as a
 * DocumentReference (or DiagnosticReport) linked to the Patient, carrying the messageId as an
 * identifier and created with `If-None-Exist: identifier=<system>|<messageId>`, so a retry after a
 * crash finds the first copy instead of making a second. A large letter goes to a Binary first;
 * a crash between the two leaves at most an unreferenced Binary, never a second letter.
 * Errors: `ERR_EMR_REQUEST` (the server refused; status in the message), `ERR_EMR_AUTH`.
 */
export class FhirEmr implements EmrTarget {
  readonly #client: Client;
  readonly #options: FhirEmrOptions;

  constructor(options: FhirEmrOptions) {
    this.#options = options;
    this.#client = new Client({ baseUrl: options.baseUrl });
  }

  async #headers(): Promise<Record<string, string>> {
    const token = this.#options.token;
    if (token === undefined) return {};
    return { authorization: `Bearer ${typeof token === 'string' ? token : await token()}` };
  }

  async #call<T>(what: string, fn: (headers: Record<string, string>) => Promise<unknown>): Promise<T> {
    try {
      return (await fn(await this.#headers())) as T;
    } catch (error) {
      if (error instanceof AdapterError) throw error;
      const status = (error as { response?: { status?: number } }).response?.status;
      throw new AdapterError('ERR_EMR_REQUEST', `${what}: ${status ? `HTTP ${status}` : (error as Error).message}`, { cause: error });
    }
  }

  /** Patients sharing an identifier with the query; failing that, those with its family name and birth date. */
  async findPatients(query: PatientDemographics): Promise<PatientCandidate[]> {
    const count = String(this.#options.searchCount ?? 20);
    const found = new Map<string, FhirPatient>();
    const search = async (searchParams: Record<string, string>): Promise<void> => {
      const bundle = await this.#call<{ entry?: { resource?: FhirPatient }[] }>('Patient search', (headers) =>
        this.#client.search({ resourceType: 'Patient', searchParams: { ...searchParams, _count: count }, options: { headers } }),
      );
      for (const e of bundle.entry ?? []) if (e.resource?.id) found.set(e.resource.id, e.resource);
    };
    for (const id of query.identifiers ?? []) await search({ identifier: `${id.system}|${id.value}` });
    if (found.size === 0 && query.family && query.birthDate) await search({ family: query.family, birthdate: query.birthDate });
    return [...found.values()].map(toCandidate);
  }

  /** Files the letter for `patientId`; a second call with the same messageId creates nothing. */
  async file(letter: RenderedLetter, patientId: string, messageId: string): Promise<void> {
    const identifier = { system: MESSAGE_ID_SYSTEM, value: messageId };
    let attachment: Record<string, unknown> = { contentType: letter.mediaType, size: letter.content.length, title: `Sealpost letter ${messageId}` };
    if (letter.content.length <= (this.#options.inlineMaxBytes ?? 1024 * 1024)) {
      attachment = { ...attachment, data: base64(letter.content) };
    } else {
      const binary = await this.#call<{ id: string }>('Binary create', (headers) =>
        this.#client.create({ resourceType: 'Binary', body: { resourceType: 'Binary', contentType: letter.mediaType, data: base64(letter.content) }, options: { headers, keepalive: false } as never }),
      );
      attachment = { ...attachment, url: `Binary/${binary.id}` };
    }
    const subject = { reference: `Patient/${patientId}` };
    const body =
      (this.#options.resource ?? 'DocumentReference') === 'DocumentReference'
        ? { resourceType: 'DocumentReference', identifier: [identifier], masterIdentifier: identifier, status: 'current', subject, date: new Date().toISOString(), content: [{ attachment }] }
        : { resourceType: 'DiagnosticReport', identifier: [identifier], status: 'final', code: { text: 'Sealpost result' }, subject, presentedForm: [attachment] };
    await this.#call('letter create', (headers) =>
      this.#client.create({
        resourceType: body.resourceType,
        body,
        // keepalive: false — fhir-kit-client sets keepalive: true, which Node's fetch refuses for bodies over 64 KiB.
        options: { headers: { ...headers, 'If-None-Exist': `identifier=${MESSAGE_ID_SYSTEM}|${messageId}` }, keepalive: false } as never,
      }),
    );
  }
}

function toCandidate(p: FhirPatient): PatientCandidate {
  const name = p.name?.[0];
  return {
    id: p.id,
    identifiers: (p.identifier ?? []).flatMap((i) => (i.system && i.value ? [{ system: i.system, value: i.value }] : [])),
    ...(name?.family ? { family: name.family } : {}),
    ...(name?.given ? { given: name.given } : {}),
    ...(p.birthDate ? { birthDate: p.birthDate } : {}),
    ...(p.gender ? { sex: p.gender } : {}),
    ...(p.address?.[0]?.postalCode ? { postcode: p.address[0].postalCode } : {}),
  };
}
