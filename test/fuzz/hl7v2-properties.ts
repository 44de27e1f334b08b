/**
 * Property definitions for the HL7 v2 parser, shared by the vitest suite (a few hundred runs per
 * property) and `npm run fuzz` (100,000 runs per property by default).
 */
import fc from 'fast-check';
import type { Delimiters, FieldInput } from '@sealpost/sdk/hl7v2';
import { createMessage, Hl7ParseError, parseMessage, splitBatch, unescapeText } from '@sealpost/sdk/hl7v2';
import { CharIndex, INDEX_MIN_LENGTH } from '../../sdk/hl7v2/internal/char-index.js';
import { SealpostError } from '@sealpost/sdk';

const DELIMITER_CHARS = [...'|^~\\&#*@$%!+=:;,.?/<>{}[]()\'"-_`'];

const delimitersArb: fc.Arbitrary<Delimiters> = fc
  .shuffledSubarray(DELIMITER_CHARS, { minLength: 6, maxLength: 6 })
  .chain((chars) => fc.boolean().map((withTruncation) => {
    const [field, component, repetition, escape, subcomponent, truncation] = chars as [string, string, string, string, string, string];
    return withTruncation ? { field, component, repetition, escape, subcomponent, truncation } : { field, component, repetition, escape, subcomponent };
  }));

/** Leaf text: delimiters of every kind, line breaks, controls, non-ASCII. */
const leafArb = fc.string({
  unit: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...'abcXYZ019 .-') },
    { weight: 3, arbitrary: fc.constantFrom(...DELIMITER_CHARS) },
    { weight: 1, arbitrary: fc.constantFrom('\r', '\n', '\r\n', '\t', '\x0b', '\x1c', '\x00', 'é', '€', '漢', '😀') },
  ),
  maxLength: 12,
});

type Leaf = string;
type Field = Leaf[][][]; // repetitions → components → subcomponents

const fieldArb: fc.Arbitrary<Field> = fc.array(fc.array(fc.array(leafArb, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 });

const segmentNameArb = fc
  .tuple(fc.constantFrom(...'ABCDEGIKLNOPQRSTUVWXYZ'), fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'), fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'))
  .map((c) => c.join(''))
  .filter((name) => !['MSH', 'FHS', 'BHS', 'BTS', 'FTS'].includes(name));

const messageArb = fc.record({
  delimiters: delimitersArb,
  terminator: fc.constantFrom('\r' as const, '\n' as const, '\r\n' as const),
  msh: fc.array(leafArb, { minLength: 0, maxLength: 10 }),
  segments: fc.array(fc.record({ name: segmentNameArb, fields: fc.array(fieldArb, { minLength: 0, maxLength: 6 }) }), { minLength: 0, maxLength: 5 }),
});

const toInput = (field: Field): FieldInput => ({ repeat: field.map((rep) => rep.map((comp) => comp.slice())) });
/** Line breaks are written as \.br\ and read back as \n: that is the one normalisation. */
const normal = (text: string): string => text.replace(/\r\n|\r/g, '\n');

/** Build → serialise → parse returns every value as written, whatever the delimiters and values. */
export const buildParseRoundTrip = fc.property(messageArb, ({ delimiters, terminator, msh, segments }) => {
  const built = createMessage({ delimiters, terminator, msh });
  for (const segment of segments) built.addSegment(segment.name, segment.fields.map(toInput));
  const text = built.toString();
  const parsed = parseMessage(text);
  if (parsed.toString() !== text) throw new Error('serialisation is not stable');
  if (parsed.segmentCount !== segments.length + 1) throw new Error(`expected ${segments.length + 1} segments, got ${parsed.segmentCount}`);
  msh.forEach((value, i) => {
    const got = parsed.segmentAt(0).value(i + 3);
    if (got !== normal(value)) throw new Error(`MSH-${i + 3}: ${JSON.stringify(got)} !== ${JSON.stringify(value)}`);
  });
  segments.forEach((segment, s) => {
    const seg = parsed.segmentAt(s + 1);
    if (seg.name !== segment.name) throw new Error(`segment ${s + 2} is ${seg.name}, expected ${segment.name}`);
    segment.fields.forEach((field, f) => {
      field.forEach((rep, r) => rep.forEach((comp, c) => comp.forEach((leaf, l) => {
        const got = seg.value(f + 1, r + 1, c + 1, l + 1);
        if (got !== normal(leaf)) throw new Error(`${segment.name}-${f + 1}[${r + 1}].${c + 1}.${l + 1}: ${JSON.stringify(got)} !== ${JSON.stringify(leaf)}`);
      })));
    });
  });
  // Editing one leaf to a hostile value never disturbs any other value.
  if (segments.length > 0) {
    parsed.set(`${segments[0]!.name}-1.1`, `${delimiters.field}${delimiters.component}\r${delimiters.escape}`);
    const again = parseMessage(parsed.toString());
    if (again.segmentCount !== parsed.segmentCount) throw new Error('an edit changed the segment count');
  }
});

function expectTypedOrSuccess(run: () => void): void {
  try {
    run();
  } catch (error) {
    if (error instanceof Hl7ParseError || error instanceof SealpostError) return;
    throw error;
  }
}

/** Any bytes: either a message that round-trips and can be walked, or a typed error. */
export const randomBytesNeverCrash = fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
  expectTypedOrSuccess(() => {
    const msg = parseMessage(bytes);
    msg.check();
    void msg.toString();
  });
  expectTypedOrSuccess(() => {
    for (const entry of splitBatch(bytes).messages) expectTypedOrSuccess(() => entry.parse().check());
  });
});

/** Valid messages with random damage: typed error or a message that serialises to its input. */
export const mutatedMessagesNeverCrash = fc.property(
  messageArb,
  fc.array(fc.tuple(fc.nat(), fc.string({ unit: fc.constantFrom('|', '^', '~', '\\', '&', '\r', '\n', '\x0b', '\x1c', 'M', 'S', 'H', 'X', '0', 'é'), maxLength: 4 })), { maxLength: 6 }),
  ({ delimiters, terminator, msh, segments }, damage) => {
    const built = createMessage({ delimiters, terminator, msh });
    for (const segment of segments) built.addSegment(segment.name, segment.fields.map(toInput));
    let text = built.toString();
    for (const [at, insert] of damage) {
      const i = at % (text.length + 1);
      text = text.slice(0, i) + insert + text.slice(i + 1);
    }
    expectTypedOrSuccess(() => {
      const msg = parseMessage(text);
      const expected = text.replace(/^\ufeff?\x0b?[\r\n]*/, '').replace(/\x1c\r?$/, '');
      if (msg.toString() !== expected) throw new Error('unmodified message does not serialise to its input');
      for (const segment of msg.segments()) {
        for (let f = 1; f <= segment.fieldCount; f++) {
          for (let r = 1; r <= Math.max(1, segment.repetitionCount(f)); r++) {
            for (let c = 1; c <= Math.max(1, segment.componentCount(f, r)); c++) {
              expectTypedOrSuccess(() => segment.value(f, r, c));
            }
          }
        }
      }
    });
  },
);

/** The character index finds what a bounded `indexOf` finds, wherever its chunk boundaries fall. */
export const charIndexMatchesIndexOf = fc.property(
  fc.string({ unit: fc.constantFrom(...'ab\r\n|^~\\&'), maxLength: 200 }),
  fc.integer({ min: 0, max: 5 }),
  fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 8 }),
  (text, chunkBits, ranges) => {
    const chars = ['\r', '\n', '|', '^', '~', '\\', '&'];
    const index = new CharIndex(text, chars, chunkBits);
    for (const [a, b] of ranges) {
      const from = a % (text.length + 2);
      const to = Math.min(text.length, from + (b % (text.length + 2)));
      for (let slot = 0; slot < chars.length; slot++) {
        let expected = text.indexOf(chars[slot]!, from);
        if (expected >= to) expected = -1;
        const got = index.indexOf(slot, from, to);
        if (got !== expected) throw new Error(`slot ${slot} in [${from}, ${to}): got ${got}, expected ${expected}`);
        if (from <= to) {
          const starts = index.splitStarts(slot, from, to);
          const parts = text.slice(from, to).split(chars[slot]!);
          const expectedStarts: number[] = [];
          let at = from;
          for (const part of parts) {
            expectedStarts.push(at);
            at += part.length + 1;
          }
          if (starts.join() !== expectedStarts.join()) throw new Error(`split of slot ${slot} in [${from}, ${to}): ${starts.join()} !== ${expectedStarts.join()}`);
        }
      }
    }
  },
);

/** Raw leaf tokens: plain text, bare delimiters and escape sequences (some malformed). */
const rawTokenArb = fc.constantFrom('a', 'B7', ' ', '|', '^', '~', '&', '\\', '\\F\\', '\\E\\', '\\X41\\', '\\.br\\', '\\Q\\');

const largeMessageArb = fc.record({
  msh: fc.array(rawTokenArb, { maxLength: 12 }),
  segments: fc.array(fc.record({ name: fc.oneof(segmentNameArb, fc.constant('OBX')), body: fc.array(rawTokenArb, { maxLength: 16 }) }), { maxLength: 5 }),
  terminators: fc.array(fc.constantFrom('\r', '\n', '\r\n', '\r\r\n'), { minLength: 6, maxLength: 6 }),
  bigAt: fc.nat(),
  fillerLength: fc.integer({ min: INDEX_MIN_LENGTH, max: INDEX_MIN_LENGTH + 40_000 }),
  // -1: at the very end of the document (0, its very start, comes often from nat()).
  sprinkles: fc.array(fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.nat() }, { weight: 1, arbitrary: fc.constant(-1) }), fc.constantFrom('|', '^', '~', '&', '\\', '\\F\\', '\\S\\', '\rNTE|x', '\nOBX|1', '\r\nZZ1', '\rab')), { maxLength: 10 }),
});

const BASE64 = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODkrLw==';

/** The plainest reading of a message: split on line-end runs, then on each delimiter in turn. */
function referenceSegments(text: string): string[] {
  return text.split(/[\r\n]+/).filter((segment) => segment !== '');
}

/**
 * Messages long enough to be read through the character index (an embedded document with
 * delimiters, escapes and line ends sprinkled at random offsets, so chunk boundaries fall
 * everywhere): every count, raw leaf and decoded leaf equals the plain split reading, the
 * message serialises to its input, and structure errors are the typed error.
 */
export const largeMessagesReadAsSplit = fc.property(largeMessageArb, ({ msh, segments, terminators, bigAt, fillerLength, sprinkles }) => {
  let filler = BASE64.repeat(Math.ceil(fillerLength / BASE64.length)).slice(0, fillerLength);
  for (const [at, insert] of sprinkles) {
    const i = at === -1 ? filler.length : at % filler.length;
    filler = filler.slice(0, i) + insert + filler.slice(i);
  }
  const lines = [`MSH|^~\\&|${msh.join('')}`, ...segments.map((segment) => `${segment.name}|${segment.body.join('')}`)];
  const big = bigAt % lines.length;
  lines[big] += `|${filler}`;
  const text = lines.map((line, i) => line + terminators[i % terminators.length]!).join('');

  const expected = referenceSegments(text);
  const valid = expected.every((segment, i) => /^[A-Z][A-Z0-9]{2}(\||$)/.test(segment) && (i === 0 || !/^(MSH|FHS|BHS|BTS|FTS)/.test(segment)));
  let message;
  try {
    message = parseMessage(text);
  } catch (error) {
    if (!valid && error instanceof Hl7ParseError) return;
    throw error;
  }
  if (!valid) throw new Error('an invalid segment was accepted');
  if (message.toString() !== text) throw new Error('the message does not serialise to its input');
  if (message.segmentCount !== expected.length) throw new Error(`${message.segmentCount} segments, expected ${expected.length}`);
  const d = message.delimiters;
  expected.forEach((segmentText, i) => {
    const segment = message.segmentAt(i);
    const header = i === 0;
    const fields = segmentText.split('|');
    if (header) fields.splice(1, 0, '|');
    if (segment.fieldCount !== fields.length - 1) throw new Error(`segment ${i + 1}: ${segment.fieldCount} fields, expected ${fields.length - 1}`);
    for (let f = header ? 3 : 1; f < fields.length; f++) {
      const where = `segment ${i + 1} field ${f}`;
      const reps = fields[f] === '' ? [] : fields[f]!.split('~').map((rep) => rep.split('^').map((comp) => comp.split('&')));
      if (segment.repetitionCount(f) !== reps.length) throw new Error(`${where}: ${segment.repetitionCount(f)} repetitions, expected ${reps.length}`);
      if (segment.raw(f) !== fields[f]) throw new Error(`${where}: raw field differs`);
      reps.forEach((rep, r) => {
        if (segment.componentCount(f, r + 1) !== rep.length) throw new Error(`${where}[${r + 1}]: component count`);
        rep.forEach((comp, c) => {
          if (segment.subcomponentCount(f, r + 1, c + 1) !== comp.length) throw new Error(`${where}[${r + 1}].${c + 1}: subcomponent count`);
          comp.forEach((leaf, s) => {
            if (segment.raw(f, r + 1, c + 1, s + 1) !== leaf) throw new Error(`${where}[${r + 1}].${c + 1}.${s + 1}: raw leaf differs`);
            let decoded: string | Error;
            try {
              decoded = unescapeText(leaf, d);
            } catch (error) {
              decoded = error as Error;
            }
            try {
              const got = segment.value(f, r + 1, c + 1, s + 1);
              if (got !== decoded) throw new Error(`${where}[${r + 1}].${c + 1}.${s + 1}: decoded leaf differs`);
            } catch (error) {
              if (!(decoded instanceof Hl7ParseError && error instanceof Hl7ParseError && error.code === decoded.code)) throw error;
            }
          });
        });
      });
    }
  });
});

/** Each property as a runner taking the run count, so callers need not know the value types. */
export const properties: Record<string, (numRuns: number) => fc.RunDetails<unknown>> = {
  buildParseRoundTrip: (numRuns) => fc.check(buildParseRoundTrip, { numRuns }) as fc.RunDetails<unknown>,
  randomBytesNeverCrash: (numRuns) => fc.check(randomBytesNeverCrash, { numRuns }) as fc.RunDetails<unknown>,
  mutatedMessagesNeverCrash: (numRuns) => fc.check(mutatedMessagesNeverCrash, { numRuns }) as fc.RunDetails<unknown>,
  charIndexMatchesIndexOf: (numRuns) => fc.check(charIndexMatchesIndexOf, { numRuns }) as fc.RunDetails<unknown>,
  largeMessagesReadAsSplit: (numRuns) => fc.check(largeMessagesReadAsSplit, { numRuns }) as fc.RunDetails<unknown>,
};
