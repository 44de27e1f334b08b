import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMllpDecoder, encodeMllpFrame, MLLP_CR, MLLP_END, MLLP_START } from '../../../adapters/mllp/decoder.js';
import type { MllpDecodeItem } from '../../../adapters/mllp/decoder.js';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const frames = (items: MllpDecodeItem[]): string[] => items.flatMap((i) => (i.kind === 'frame' ? [text(i.payload)] : []));
const codes = (items: MllpDecodeItem[]): string[] => items.flatMap((i) => (i.kind === 'error' ? [i.error.code] : []));

const join = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** Splits `bytes` at the given cut points (sorted, deduplicated, inside the range). */
const splitAt = (bytes: Uint8Array, cuts: number[]): Uint8Array[] => {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let last = 0;
  for (const p of points) {
    out.push(bytes.subarray(last, p));
    last = p;
  }
  out.push(bytes.subarray(last));
  return out;
};

const payload = fc.uint8Array({ minLength: 0, maxLength: 200 }).map((a) => a.map((b) => (b === MLLP_START || b === MLLP_END ? 0x41 : b)));
// Garbage between frames never holds a start block (that would open a frame by definition).
const garbage = fc.array(fc.integer({ min: 0, max: 255 }).filter((b) => b !== MLLP_START), { maxLength: 20 }).map((a) => Uint8Array.from(a));

describe('MLLP frame decoder', () => {
  it('property: every chunk split of a stream yields the same messages, errors and skipped count', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(garbage, payload), { maxLength: 12 }), garbage, fc.array(fc.nat(), { maxLength: 30 }), (entries, tail, cuts) => {
        const stream = join([...entries.flatMap(([g, p]) => [g, encodeMllpFrame(p)]), tail]);
        const whole = createMllpDecoder();
        const expected = whole.push(stream);
        expect(frames(expected)).toEqual(entries.map(([, p]) => text(p)));
        expect(codes(expected)).toEqual([]);
        const split = createMllpDecoder();
        const got = splitAt(stream, cuts).flatMap((chunk) => split.push(chunk));
        expect(frames(got)).toEqual(frames(expected));
        expect(got.map((i) => (i.kind === 'frame' ? i.offset : -1))).toEqual(expected.map((i) => (i.kind === 'frame' ? i.offset : -1)));
        expect(split.skipped).toBe(whole.skipped);
        expect(split.inFrame).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('property: byte-at-a-time feeding equals one push, with oversize frames and truncated frames mixed in', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(payload.map((p) => ({ p, cut: false })), payload.map((p) => ({ p, cut: true }))), { maxLength: 8 }),
        fc.integer({ min: 1, max: 120 }),
        (entries, max) => {
          // A cut entry is a start block and payload with no end block: the next start block aborts it.
          const stream = join(entries.map(({ p, cut }) => (cut ? join([Uint8Array.of(MLLP_START), p]) : encodeMllpFrame(p))));
          const expected = createMllpDecoder({ maxFrameBytes: max }).push(stream);
          const single = createMllpDecoder({ maxFrameBytes: max });
          const got = [...stream].flatMap((b) => single.push(Uint8Array.of(b)));
          expect(got.map((i) => (i.kind === 'frame' ? `f:${text(i.payload)}` : `e:${i.error.code}@${i.error.offset}`))).toEqual(
            expected.map((i) => (i.kind === 'frame' ? `f:${text(i.payload)}` : `e:${i.error.code}@${i.error.offset}`)),
          );
          expect(single.buffered).toBeLessThanOrEqual(max);
          // Whole frames within the limit all come out, in order.
          const ok = entries.flatMap(({ p, cut }) => (!cut && p.length <= max ? [text(p)] : []));
          expect(frames(expected)).toEqual(ok);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reports an oversize frame with its offset, never buffers past the limit, and resynchronises', () => {
    const d = createMllpDecoder({ maxFrameBytes: 10 });
    const big = encodeMllpFrame('x'.repeat(50));
    const items = [...d.push(Uint8Array.of(1, 2, 3)), ...d.push(big.subarray(0, 20))];
    expect(d.buffered).toBe(0);
    items.push(...d.push(big.subarray(20)), ...d.push(encodeMllpFrame('MSH|ok')));
    expect(codes(items)).toEqual(['ERR_MLLP_FRAME_TOO_LARGE']);
    const error = items.find((i) => i.kind === 'error');
    expect(error?.kind === 'error' && error.error.offset).toBe(3);
    expect(frames(items)).toEqual(['MSH|ok']);
  });

  it('reports a frame aborted by a new start block and keeps the new frame', () => {
    const d = createMllpDecoder();
    const items = d.push(join([Uint8Array.of(MLLP_START), new TextEncoder().encode('MSH|half'), encodeMllpFrame('MSH|whole')]));
    expect(codes(items)).toEqual(['ERR_MLLP_FRAME_INCOMPLETE']);
    expect(frames(items)).toEqual(['MSH|whole']);
  });

  it('accepts several frames in one chunk, an end block without CR, and skips garbage and line feeds', () => {
    const d = createMllpDecoder();
    const bytes = join([new TextEncoder().encode('junk\n'), encodeMllpFrame('A'), Uint8Array.of(0x0a), encodeMllpFrame('B'), Uint8Array.of(MLLP_START, 0x43, MLLP_END), encodeMllpFrame('D')]);
    expect(frames(d.push(bytes))).toEqual(['A', 'B', 'C', 'D']);
    expect(d.skipped).toBe(6);
    expect(MLLP_CR).toBe(13);
  });

  it('rejects a non-positive limit as misuse', () => {
    expect(() => createMllpDecoder({ maxFrameBytes: 0 })).toThrow(RangeError);
  });
});
