/**
 * Property definitions for the HL7 v2 parser, shared by the vitest suite (a few hundred runs per
 * property) and `npm run fuzz` (100,000 runs per property by default).
 */
import fc from 'fast-check';
import type { Delimiters, FieldInput } from '@sealpost/sdk/hl7v2';
import { createMessage, Hl7ParseError, parseMessage, splitBatch } from '@sealpost/sdk/hl7v2';
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

/** Each property as a runner taking the run count, so callers need not know the value types. */
export const properties: Record<string, (numRuns: number) => fc.RunDetails<unknown>> = {
  buildParseRoundTrip: (numRuns) => fc.check(buildParseRoundTrip, { numRuns }) as fc.RunDetails<unknown>,
  randomBytesNeverCrash: (numRuns) => fc.check(randomBytesNeverCrash, { numRuns }) as fc.RunDetails<unknown>,
  mutatedMessagesNeverCrash: (numRuns) => fc.check(mutatedMessagesNeverCrash, { numRuns }) as fc.RunDetails<unknown>,
};
