/** relay/federation/group-writes.ts: one write per group, each caller its own answer, and every failure reaching every caller. */
import { describe, expect, it } from 'vitest';
import { groupWrites } from '../../relay/federation/group-writes.js';

describe('groupWrites', () => {
  it('writes the calls of one turn together, in call order, and answers each caller by position', async () => {
    const writes: number[][] = [];
    const add = groupWrites((items: number[]) => {
      writes.push(items);
      return Promise.resolve(items.map((n) => n * 10));
    }, { delayMs: 0 });
    expect(await Promise.all([add(1), add(2), add(3)])).toEqual([10, 20, 30]);
    expect(writes).toEqual([[1, 2, 3]]);
  });

  it('starts a new group at `max`', async () => {
    const writes: number[][] = [];
    const add = groupWrites((items: number[]) => Promise.resolve(void writes.push(items)).then(() => items), { max: 2 });
    await Promise.all([add(1), add(2), add(3)]);
    expect(writes).toEqual([[1, 2], [3]]);
  });

  it('fails every call of a group whose write rejects', async () => {
    const add = groupWrites((_items: number[]): Promise<number[]> => Promise.reject(new Error('disk full')), { delayMs: 0 });
    const results = await Promise.allSettled([add(1), add(2)]);
    expect(results.map((r) => r.status === 'rejected' && (r.reason as Error).message)).toEqual(['disk full', 'disk full']);
  });

  it('fails every call of a group whose write throws instead of rejecting, after a timer or at `max` alike', async () => {
    const write = (_items: number[]): Promise<number[]> => {
      throw new Error('no connection');
    };
    const afterTimer = groupWrites(write, { delayMs: 1 });
    const atMax = groupWrites(write, { max: 2 });
    const results = await Promise.allSettled([afterTimer(1), afterTimer(2), atMax(1), atMax(2)]);
    expect(results.map((r) => r.status === 'rejected' && (r.reason as Error).message)).toEqual(['no connection', 'no connection', 'no connection', 'no connection']);
  });

  it('fails every call of a group whose write answers fewer or more items than it was given', async () => {
    const short = groupWrites((items: number[]) => Promise.resolve(items.slice(1)), { delayMs: 0 });
    const long = groupWrites((items: number[]) => Promise.resolve([...items, 0]), { delayMs: 0 });
    const results = await Promise.allSettled([short(1), short(2), long(1)]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(TypeError);
    }
  });
});
