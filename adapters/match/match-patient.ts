import { compareFamily, compareGiven } from './names.js';

/** Identifier systems compared as national identifiers: a different value under one of them rules a candidate out. */
export const IDENTIFIER_SYSTEMS = {
  ihi: 'http://ns.electronichealth.net.au/id/hi/ihi/1.0',
  medicare: 'http://ns.electronichealth.net.au/id/medicare-number',
  nhsNumber: 'https://fhir.nhs.uk/Id/nhs-number',
} as const;

const NATIONAL: ReadonlySet<string> = new Set([IDENTIFIER_SYSTEMS.ihi, IDENTIFIER_SYSTEMS.nhsNumber]);

/** An identifier: `system` is the national namespace, or for an MRN the assigning authority's URI or id. */
export interface PatientIdentifier {
  system: string;
  value: string;
}

/** What a letter says about its patient. */
export interface PatientDemographics {
  identifiers?: PatientIdentifier[];
  family?: string;
  given?: string[];
  /** `YYYY-MM-DD`. */
  birthDate?: string;
  sex?: 'male' | 'female' | 'other' | 'unknown';
  postcode?: string;
}

/** A patient the EMR knows. */
export interface PatientCandidate extends PatientDemographics {
  id: string;
}

/** Options of {@link matchPatient}. */
export interface MatchPatientOptions {
  /** Score at or above which a demographic match files automatically (default 0.9, out of 1). */
  highThreshold?: number;
  /** Score below which a candidate is not even offered for review (default 0.5). */
  lowThreshold?: number;
}

/** A scored candidate. */
export interface ScoredCandidate {
  patientId: string;
  score: number;
  /** Which fields agreed, e.g. `family:exact`, `given:variant`, `birthDate:exact`. */
  reasons: string[];
}

/** Result of {@link matchPatient}. Only `matched` may be filed. */
export type MatchPatientResult =
  | { outcome: 'matched'; patientId: string; method: 'identifier' | 'demographics'; score: number; reasons: string[] }
  | { outcome: 'review'; reason: string; candidates: ScoredCandidate[] }
  | { outcome: 'no-match'; reason: string; candidates: ScoredCandidate[] };

const WEIGHTS = { family: 0.3, given: 0.2, birthDate: 0.3, sex: 0.1, postcode: 0.1 };

/** Digits only; a Medicare number keeps its first 10 digits (the 11th, the IRN, names a person on a card, and cards get reissued). */
function normalizeIdentifier(id: PatientIdentifier): string {
  const value = id.value.replace(/[\s-]/g, '').toUpperCase();
  return id.system === IDENTIFIER_SYSTEMS.medicare ? value.slice(0, 10) : value;
}

const sameIdentifier = (a: PatientIdentifier, b: PatientIdentifier): boolean => a.system === b.system && normalizeIdentifier(a) === normalizeIdentifier(b);

/** True when the two carry different values under one national system (IHI, NHS number): not the same person. */
function conflicting(a: PatientDemographics, b: PatientDemographics): boolean {
  for (const x of a.identifiers ?? []) {
    if (!NATIONAL.has(x.system)) continue;
    for (const y of b.identifiers ?? []) if (y.system === x.system && normalizeIdentifier(x) !== normalizeIdentifier(y)) return true;
  }
  return false;
}

/** Scores demographics in [0, 1]: family 0.3, given 0.2, birth date 0.3, sex 0.1, postcode 0.1; variants score less than exact agreement. */
export function scoreDemographics(query: PatientDemographics, candidate: PatientDemographics): { score: number; reasons: string[] } {
  let score = 0;
  const reasons: string[] = [];
  if (query.family && candidate.family) {
    const c = compareFamily(query.family, candidate.family);
    if (c !== 'none') reasons.push(`family:${c}`);
    score += c === 'exact' ? WEIGHTS.family : c === 'variant' ? WEIGHTS.family * 0.7 : 0;
  }
  const qGiven = query.given?.[0];
  const cGiven = candidate.given?.[0];
  if (qGiven && cGiven) {
    const c = compareGiven(qGiven, cGiven);
    if (c !== 'none') reasons.push(`given:${c}`);
    score += c === 'exact' ? WEIGHTS.given : c === 'variant' ? WEIGHTS.given * 0.75 : c === 'initial' ? WEIGHTS.given * 0.25 : 0;
  }
  if (query.birthDate && candidate.birthDate) {
    if (query.birthDate === candidate.birthDate) {
      score += WEIGHTS.birthDate;
      reasons.push('birthDate:exact');
    } else if (swappedDayMonth(query.birthDate, candidate.birthDate)) {
      score += WEIGHTS.birthDate * 0.3;
      reasons.push('birthDate:day-month-swapped');
    }
  }
  if (query.sex && candidate.sex && query.sex !== 'unknown' && query.sex === candidate.sex) {
    score += WEIGHTS.sex;
    reasons.push('sex:exact');
  }
  if (query.postcode && candidate.postcode && query.postcode.replace(/\s/g, '').toUpperCase() === candidate.postcode.replace(/\s/g, '').toUpperCase()) {
    score += WEIGHTS.postcode;
    reasons.push('postcode:exact');
  }
  return { score: Math.round(score * 1000) / 1000, reasons };
}

function swappedDayMonth(a: string, b: string): boolean {
  const [ya, ma, da] = a.split('-');
  const [yb, mb, db] = b.split('-');
  return ya === yb && ma === db && da === mb && ma !== da;
}

/**
 * Finds the patient a letter is about, among candidates the EMR returned.
 *
 * 1. Exact identifiers first (IHI, Medicare, NHS number, MRN under its assigning authority): one
 *    candidate sharing an identifier, whose birth date does not contradict, is `matched`. Several,
 *    or a contradicting birth date, go to `review`.
 * 2. Otherwise demographics are scored ({@link scoreDemographics}). The best candidate is `matched`
 *    only when its score reaches `highThreshold` and no other candidate does; candidates between
 *    the thresholds go to `review`; nothing above `lowThreshold` is `no-match` (which also goes to
 *    review: a person decides to reject). A candidate with a different IHI or NHS number is never
 *    offered. Never files on a weak match.
 */
export function matchPatient(query: PatientDemographics, candidates: readonly PatientCandidate[], options: MatchPatientOptions = {}): MatchPatientResult {
  const high = options.highThreshold ?? 0.9;
  const low = options.lowThreshold ?? 0.5;
  if (!(low <= high && high <= 1 && low >= 0)) throw new RangeError('matchPatient: thresholds must satisfy 0 <= lowThreshold <= highThreshold <= 1');
  const eligible = candidates.filter((c) => !conflicting(query, c));
  const byId = eligible.filter((c) => (query.identifiers ?? []).some((q) => (c.identifiers ?? []).some((i) => sameIdentifier(q, i))));
  const score = (c: PatientCandidate): ScoredCandidate => ({ patientId: c.id, ...scoreDemographics(query, c) });
  if (byId.length === 1) {
    const only = byId[0]!;
    const s = score(only);
    if (query.birthDate && only.birthDate && query.birthDate !== only.birthDate) return { outcome: 'review', reason: 'identifier matches but the birth date differs', candidates: [s] };
    return { outcome: 'matched', patientId: only.id, method: 'identifier', score: 1, reasons: ['identifier:exact', ...s.reasons] };
  }
  if (byId.length > 1) return { outcome: 'review', reason: `identifier matches ${byId.length} patients`, candidates: byId.map(score) };
  const scored = eligible.map(score).sort((a, b) => b.score - a.score);
  const offered = scored.filter((s) => s.score >= low);
  const best = offered[0];
  if (!best) return { outcome: 'no-match', reason: 'patient not found', candidates: [] };
  if (best.score >= high) {
    if ((offered[1]?.score ?? 0) >= high) return { outcome: 'review', reason: 'several patients match equally well', candidates: offered };
    return { outcome: 'matched', patientId: best.patientId, method: 'demographics', score: best.score, reasons: best.reasons };
  }
  return { outcome: 'review', reason: `best demographic score ${best.score} is below ${high}`, candidates: offered };
}
