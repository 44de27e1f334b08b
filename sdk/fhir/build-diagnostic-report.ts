import type { CodeableConcept, DiagnosticReport, Identifier } from '@medplum/fhirtypes';
import { instant, randomUuid, toAttachment } from './internal/attachment.js';
import type { Content } from './content.js';
import { SEALPOST_PROFILES } from './profiles.js';

/** Options of {@link buildDiagnosticReport}. */
export interface BuildDiagnosticReportOptions {
  subject: NonNullable<DiagnosticReport['subject']>;
  /** What was reported (e.g. LOINC 24323-8 Comprehensive metabolic panel). */
  code: CodeableConcept;
  /** The laboratory or reporting practitioner. */
  performer: NonNullable<DiagnosticReport['performer']>;
  /** The report as the lab rendered it (PDF, text…). At least one. */
  presentedForm: Content[];
  /** Observations with the results. */
  result?: DiagnosticReport['result'];
  status?: DiagnosticReport['status'];
  category?: CodeableConcept[];
  effectiveDateTime?: string;
  /** When the report was released. Default now. */
  issued?: string;
  conclusion?: string;
  identifier?: Identifier[];
  basedOn?: DiagnosticReport['basedOn'];
  now?: () => Date;
  newId?: () => string;
}

/** Builds a DiagnosticReport with presentedForm (profile sealpost-diagnostic-report). Status defaults to 'final'. */
export function buildDiagnosticReport(options: BuildDiagnosticReportOptions): DiagnosticReport {
  if (options.presentedForm.length === 0) throw new TypeError('buildDiagnosticReport needs at least one presentedForm');
  const issued = options.issued ?? instant((options.now ?? (() => new Date()))());
  const report: DiagnosticReport = {
    resourceType: 'DiagnosticReport',
    id: (options.newId ?? randomUuid)(),
    meta: { profile: [SEALPOST_PROFILES.diagnosticReport] },
    status: options.status ?? 'final',
    code: options.code,
    subject: options.subject,
    issued,
    performer: options.performer,
    presentedForm: options.presentedForm.map((c) => toAttachment(c)),
  };
  if (options.identifier) report.identifier = options.identifier;
  if (options.basedOn) report.basedOn = options.basedOn;
  if (options.category) report.category = options.category;
  if (options.effectiveDateTime !== undefined) report.effectiveDateTime = options.effectiveDateTime;
  if (options.result) report.result = options.result;
  if (options.conclusion !== undefined) report.conclusion = options.conclusion;
  return report;
}
