import { SealpostError } from '../errors.js';

/** Codes of the problems FHIR validation reports (docs/errors.md, section FHIR). */
export type FhirIssueCode =
  | 'ERR_FHIR_JSON'
  | 'ERR_FHIR_TOO_LARGE'
  | 'ERR_FHIR_TOO_DEEP'
  | 'ERR_FHIR_RESOURCE_TYPE'
  | 'ERR_FHIR_SCHEMA'
  | 'ERR_FHIR_REFERENCE'
  | 'ERR_FHIR_FULLURL'
  | 'ERR_FHIR_BUNDLE'
  | 'ERR_FHIR_PROFILE'
  | 'ERR_FHIR_IDENTIFIER';

/** Every code a {@link FhirValidationError} may carry. */
export type FhirErrorCode = FhirIssueCode | 'ERR_FHIR_INVALID';

/**
 * One problem found in a FHIR resource. `location` is FHIRPath-like with 0-based indexes, as
 * FHIRPath counts: `Bundle.entry[3].resource.subject`.
 */
export interface FhirIssue {
  code: FhirIssueCode;
  location: string;
  reason: string;
}

/**
 * FHIR input that cannot be used: not JSON, too large or deep, not a resource, or invalid.
 * `location` is where the (first) problem is; `issues` lists every problem found.
 */
export class FhirValidationError extends SealpostError {
  declare readonly code: FhirErrorCode;
  readonly location: string;
  readonly issues: readonly FhirIssue[];

  constructor(code: FhirErrorCode, message: string, options: { location: string; issues?: readonly FhirIssue[]; cause?: unknown }) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.location = options.location;
    this.issues = options.issues ?? [];
  }

  /** The error for one issue, with the message `LOCATION: reason`. */
  static fromIssue(issue: FhirIssue, cause?: unknown): FhirValidationError {
    return new FhirValidationError(issue.code, `${issue.location}: ${issue.reason}`, { location: issue.location, issues: [issue], cause });
  }
}
