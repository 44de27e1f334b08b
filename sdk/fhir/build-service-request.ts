import type { Annotation, CodeableConcept, Identifier, ServiceRequest } from '@medplum/fhirtypes';
import { instant, randomUuid } from './internal/attachment.js';
import { SEALPOST_PROFILES } from './profiles.js';

/** SNOMED CT 3457005 "Patient referral": the default ServiceRequest category. */
export const PATIENT_REFERRAL: CodeableConcept = { coding: [{ system: 'http://snomed.info/sct', code: '3457005', display: 'Patient referral' }] };

/** Options of {@link buildServiceRequest}. */
export interface BuildServiceRequestOptions {
  subject: ServiceRequest['subject'];
  /** The referrer. */
  requester: NonNullable<ServiceRequest['requester']>;
  /** Whom the patient is referred to. */
  performer: NonNullable<ServiceRequest['performer']>;
  /** What is requested (e.g. a specialist consultation). */
  code?: CodeableConcept;
  reasonCode?: CodeableConcept[];
  /** The referral letter and other supporting documents (DocumentReference…). */
  supportingInfo?: ServiceRequest['supportingInfo'];
  note?: string;
  priority?: ServiceRequest['priority'];
  /** Default 'active'. */
  status?: ServiceRequest['status'];
  /** Default 'order'. */
  intent?: ServiceRequest['intent'];
  /** Default [SNOMED 3457005 Patient referral]. */
  category?: CodeableConcept[];
  authoredOn?: string;
  identifier?: Identifier[];
  now?: () => Date;
  newId?: () => string;
}

/** Builds a ServiceRequest for a referral (profile sealpost-service-request). */
export function buildServiceRequest(options: BuildServiceRequestOptions): ServiceRequest {
  const request: ServiceRequest = {
    resourceType: 'ServiceRequest',
    id: (options.newId ?? randomUuid)(),
    meta: { profile: [SEALPOST_PROFILES.serviceRequest] },
    status: options.status ?? 'active',
    intent: options.intent ?? 'order',
    category: options.category ?? [PATIENT_REFERRAL],
    subject: options.subject,
    authoredOn: options.authoredOn ?? instant((options.now ?? (() => new Date()))()),
    requester: options.requester,
    performer: options.performer,
  };
  if (options.identifier) request.identifier = options.identifier;
  if (options.code) request.code = options.code;
  if (options.reasonCode) request.reasonCode = options.reasonCode;
  if (options.supportingInfo) request.supportingInfo = options.supportingInfo;
  if (options.priority) request.priority = options.priority;
  if (options.note !== undefined) request.note = [{ text: options.note } satisfies Annotation];
  return request;
}
