/**
 * What each library must do, and what it must answer. Every adapter returns the same shapes so the
 * harness can check the answers against each other and against the reference.
 *
 * read: parse, then read MSH-9 (components 1-3), MSH-10, PID-3 (every repetition: ID and
 * identifier type, components 1 and 5), PID-5 (first repetition: family and given names,
 * components 1 and 2) and, for every OBX, OBX-3.1, OBX-3.2, OBX-5 (every repetition, every
 * component), OBX-6.1 and OBX-8 (every repetition), all decoded.
 *
 * fullwalk: parse, then visit every leaf (every segment, field, repetition, component and
 * subcomponent; MSH from MSH-3, since MSH-1/MSH-2 are the delimiters), decoded, counting the
 * non-empty leaves and their characters.
 */

/** One observation as the read workload sees it. */
export interface ObservationRead {
  readonly code: string;
  readonly text: string;
  /** OBX-5: repetitions × components. */
  readonly value: string[][];
  readonly units: string;
  readonly flags: string[];
}

/** The answer to the read workload. */
export interface ReadResult {
  readonly messageType: string[];
  readonly controlId: string;
  /** PID-3: [ID, identifier type] per repetition. */
  readonly patientIds: Array<[string, string]>;
  readonly patientName: [string, string];
  readonly observations: ObservationRead[];
}

/** The answer to the fullwalk workload. */
export interface WalkResult {
  readonly segments: number;
  /** Non-empty decoded leaves. */
  readonly leaves: number;
  /** Sum of their lengths. */
  readonly chars: number;
}

/** A library under test. */
export interface Hl7Library {
  /** Key in the report, e.g. 'sealpost', '@medplum/core'. */
  readonly name: string;
  readonly version: string;
  /** 'native' when the library decodes escapes itself; otherwise the bench decodes each leaf. */
  readonly decoding: 'native' | 'bench';
  read(text: string): ReadResult;
  walk(text: string): WalkResult;
}

/** Workload names, in report order. */
export const WORKLOADS = ['read', 'fullwalk'] as const;
export type Workload = (typeof WORKLOADS)[number];

/** Accumulates a walk without allocating per leaf. */
export class WalkCounter {
  segments = 0;
  leaves = 0;
  chars = 0;

  leaf(value: string): void {
    if (value.length > 0) {
      this.leaves++;
      this.chars += value.length;
    }
  }

  result(): WalkResult {
    return { segments: this.segments, leaves: this.leaves, chars: this.chars };
  }
}
