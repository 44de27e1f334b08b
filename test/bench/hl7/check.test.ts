import { describe, expect, it } from 'vitest';
import { differences } from '../../../bench/hl7/check.js';
import { GOAL, ratioToBestPeer } from '../../../bench/hl7/main.js';
import { measureSideBySide } from '../../../bench/hl7/measure.js';

describe('differences', () => {
  it('names the path and both values, shortening long ones', () => {
    expect(differences({ a: [1, 2], b: 'x' }, { a: [1, 3], b: 'x' })).toEqual(['a[1]: got 2, expected 3']);
    expect(differences([1], [1, 2])).toEqual(['.: got 1 items, expected 2: got [1], expected [1,2]']);
    expect(differences('y'.repeat(200), 'z')[0]).toMatch(/^\.: got "y{59}…\(202 chars\), expected "z"$/);
    expect(differences({ same: [[1]] }, { same: [[1]] })).toEqual([]);
  });

  it('stops at the limit', () => {
    expect(differences([1, 2, 3, 4], [5, 6, 7, 8], 2)).toHaveLength(2);
  });
});

describe('ratioToBestPeer and the goal', () => {
  it('divides Sealpost by the fastest peer that has a figure', () => {
    expect(ratioToBestPeer({ sealpost: 300, a: 100, b: 200, c: null })).toEqual({ ratio: 1.5, peer: 'b' });
    expect(ratioToBestPeer({ sealpost: null, a: 100 })).toBeUndefined();
    expect(ratioToBestPeer({ a: 100 })).toBeUndefined();
    expect(GOAL).toEqual({ read: 1.5, fullwalk: 1 });
  });
});

describe('measureSideBySide', () => {
  it('samples every operation, and a slower operation gets a lower rate', () => {
    const busy = (n: number) => () => {
      let x = 0;
      for (let i = 0; i < n; i++) x += i % 7;
      return x;
    };
    const result = measureSideBySide(
      new Map([
        ['fast', busy(1_000)],
        ['slow', busy(100_000)],
      ]),
      { warmupMs: 20, sampleMs: 20, samples: 3, maxCellMs: 1000 },
    );
    expect(result.get('fast')!.samples).toHaveLength(3);
    expect(result.get('slow')!.samples).toHaveLength(3);
    // 100x the work; even on a loaded machine the gap stays far above 5x.
    expect(result.get('fast')!.median).toBeGreaterThan(5 * result.get('slow')!.median);
  });
});
