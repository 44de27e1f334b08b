import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IDENTIFIER_SYSTEMS, matchPatient, scoreDemographics } from '../../../adapters/match/match-patient.js';
import type { PatientCandidate } from '../../../adapters/match/match-patient.js';
import { compareFamily, compareGiven } from '../../../adapters/match/names.js';
import { ReviewQueue } from '../../../adapters/match/review-queue.js';

const { ihi, medicare, nhsNumber } = IDENTIFIER_SYSTEMS;
const MRN_A = 'urn:oid:1.2.36.1.2001.1003.0.800362.1';
const MRN_B = 'urn:oid:1.2.36.1.2001.1003.0.999999.1';

const jane: PatientCandidate = { id: 'p1', identifiers: [{ system: ihi, value: '8003608166690503' }, { system: MRN_A, value: '12345' }], family: 'Citizen', given: ['Jane'], birthDate: '1980-01-01', sex: 'female', postcode: '2000' };
const janeTwin: PatientCandidate = { id: 'p2', family: 'Citizen', given: ['Joan'], birthDate: '1980-01-01', sex: 'female', postcode: '2000' };
const bill: PatientCandidate = { id: 'p3', identifiers: [{ system: medicare, value: '2123 45670 1' }, { system: nhsNumber, value: '943 476 5919' }], family: "O'Brien", given: ['William'], birthDate: '1955-07-04', sex: 'male', postcode: '3000' };
const all = [jane, janeTwin, bill];

describe('matchPatient: identifiers first', () => {
  it('matches on IHI, Medicare (any IRN, spaces ignored), NHS number, and MRN only under its own assigning authority', () => {
    expect(matchPatient({ identifiers: [{ system: ihi, value: '8003 6081 6669 0503' }] }, all)).toMatchObject({ outcome: 'matched', patientId: 'p1', method: 'identifier' });
    expect(matchPatient({ identifiers: [{ system: medicare, value: '2123456701 3' }] }, all)).toMatchObject({ outcome: 'matched', patientId: 'p3' });
    expect(matchPatient({ identifiers: [{ system: nhsNumber, value: '9434765919' }] }, all)).toMatchObject({ outcome: 'matched', patientId: 'p3' });
    expect(matchPatient({ identifiers: [{ system: MRN_A, value: '12345' }] }, all)).toMatchObject({ outcome: 'matched', patientId: 'p1' });
    expect(matchPatient({ identifiers: [{ system: MRN_B, value: '12345' }] }, all).outcome).toBe('no-match');
  });

  it('sends an identifier match with a contradicting birth date to review', () => {
    const result = matchPatient({ identifiers: [{ system: MRN_A, value: '12345' }], birthDate: '1981-01-01' }, all);
    expect(result).toMatchObject({ outcome: 'review', reason: 'identifier matches but the birth date differs' });
  });

  it('never offers a candidate whose IHI differs, however well the demographics agree', () => {
    const result = matchPatient({ identifiers: [{ system: ihi, value: '8003608166690511' }], family: 'Citizen', given: ['Jane'], birthDate: '1980-01-01', sex: 'female', postcode: '2000' }, [jane]);
    expect(result.outcome).toBe('no-match');
  });
});

describe('matchPatient: demographics with a score and two thresholds', () => {
  it('files a full demographic agreement, and accepts common variants (nickname, Mc/Mac, apostrophe, accents) at a lower score', () => {
    expect(matchPatient({ family: 'CITIZEN', given: ['Jane'], birthDate: '1980-01-01', sex: 'female', postcode: '2000' }, all)).toMatchObject({ outcome: 'matched', patientId: 'p1', method: 'demographics', score: 1 });
    const variant = matchPatient({ family: 'OBrien', given: ['Bill'], birthDate: '1955-07-04', sex: 'male', postcode: '3000' }, all);
    expect(variant).toMatchObject({ outcome: 'matched', patientId: 'p3' });
    expect(variant.outcome === 'matched' && variant.reasons).toEqual(['family:exact', 'given:variant', 'birthDate:exact', 'sex:exact', 'postcode:exact']);
    expect(compareFamily('MacDonald', 'McDonald')).toBe('variant');
    expect(compareFamily('Smith-Jones', 'Jones')).toBe('variant');
    expect(compareGiven('Zoë', 'zoe')).toBe('exact');
    expect(compareGiven('J', 'Jane')).toBe('initial');
    expect(compareGiven('Jane', 'Mary')).toBe('none');
  });

  it('sends a weak match to review instead of filing it', () => {
    // Same surname and birth date, no given name, no sex: 0.6, between the thresholds.
    const result = matchPatient({ family: "O'Brien", birthDate: '1955-07-04' }, all);
    expect(result).toMatchObject({ outcome: 'review', candidates: [{ patientId: 'p3', score: 0.6 }] });
  });

  it('sends two equally good candidates to review', () => {
    const result = matchPatient({ family: 'Citizen', given: ['J'], birthDate: '1980-01-01', sex: 'female', postcode: '2000' }, all, { highThreshold: 0.8 });
    expect(result.outcome).toBe('review');
  });

  it('reports no-match when nothing reaches the low threshold, and scores a swapped day/month low', () => {
    expect(matchPatient({ family: 'Nobody', given: ['Nemo'], birthDate: '2001-02-03' }, all)).toEqual({ outcome: 'no-match', reason: 'patient not found', candidates: [] });
    expect(scoreDemographics({ birthDate: '1980-02-01' }, { birthDate: '1980-01-02' })).toEqual({ score: 0.09, reasons: ['birthDate:day-month-swapped'] });
    expect(() => matchPatient({}, all, { lowThreshold: 0.95 })).toThrow(RangeError);
  });
});

describe('ReviewQueue (SQLite)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('persists items across reopen, is idempotent per messageId, and records match and reject decisions once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealpost-review-'));
    dirs.push(dir);
    const path = join(dir, 'agent.db');
    const queue = new ReviewQueue(path);
    const a = queue.add('msg-a', { reason: 'weak', query: { family: 'Citizen' }, candidates: [{ patientId: 'p1', score: 0.6, reasons: [] }] });
    expect(queue.add('msg-a', { reason: 'other', query: {}, candidates: [] }).id).toBe(a.id);
    const b = queue.add('msg-b', { reason: 'patient not found', query: {}, candidates: [] });
    queue.close();
    const reopened = new ReviewQueue(path);
    expect(reopened.list().map((i) => [i.messageId, i.reason])).toEqual([['msg-a', 'weak'], ['msg-b', 'patient not found']]);
    expect(reopened.match(a.id, 'p1', 'nurse@practice')).toMatchObject({ state: 'matched', patientId: 'p1', decidedBy: 'nurse@practice' });
    expect(reopened.reject(b.id, 'gp@practice')).toMatchObject({ state: 'rejected', rejectReason: 'patient not found' });
    expect(() => reopened.reject(a.id, 'x')).toThrow(expect.objectContaining({ code: 'ERR_MATCH_REVIEW_STATE' }));
    expect(() => reopened.match(999, 'p1', 'x')).toThrow(expect.objectContaining({ code: 'ERR_MATCH_REVIEW_STATE' }));
    expect(reopened.list()).toEqual([]);
    reopened.close();
  });
});
