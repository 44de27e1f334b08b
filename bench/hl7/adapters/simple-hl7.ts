/**
 * simple-hl7 3.x: eager; parses every field into Field → repetitions → Component objects. Its
 * getComponent(field, component) reads the first repetition only (on a repeating field it returns
 * '') and getComponent(f, c, 1) on a component without subcomponents returns its first character,
 * so repeating fields and subcomponents are read from the public object model. The header (MSH)
 * holds fields from MSH-3: header field n is MSH-(n+2). No escape decoding, so the bench decodes
 * each leaf (escape.ts). Segments are split on '\r' only (its default), as the inputs use.
 */
import hl7 from 'simple-hl7';
import type { Hl7Library, ObservationRead, ReadResult, WalkResult } from '../workload.js';
import { WalkCounter } from '../workload.js';
import { packageVersion } from '../package-version.js';

type Segment = ReturnType<InstanceType<typeof hl7.Parser>['parse']>['segments'][number];
type Field = Segment['fields'][number];
type Component = InstanceType<typeof hl7.Component>;

/** Repetitions of a field as component lists; none when the field is empty. */
function repetitions(field: Field | undefined): Component[][] {
  if (field === undefined) return [];
  const reps = field.value.map((rep) => (Array.isArray(rep) ? rep : (rep.value[0] as Component[])));
  const only = reps.length === 1 ? reps[0] : undefined;
  if (only !== undefined && only.length === 1 && only[0]?.value[0] === '') return [];
  return reps;
}

/** Subcomponents of a component (one when it has none). */
function subcomponents(component: Component | undefined): string[] {
  const value = component?.value[0];
  return Array.isArray(value) ? value : [value ?? ''];
}

/** Builds the adapter; `decode` turns an encoded leaf into text. */
export function createSimpleHl7Library(decode: (raw: string) => string): Hl7Library {
  const parser = new hl7.Parser();
  const first = (component: Component | undefined) => decode(subcomponents(component)[0] ?? '');
  return {
    name: 'simple-hl7',
    version: packageVersion('simple-hl7'),
    decoding: 'bench',
    read(text: string): ReadResult {
      const message = parser.parse(text);
      const msh = message.header;
      const pid = message.getSegment('PID');
      if (pid === undefined) throw new Error('no PID');
      const observations: ObservationRead[] = [];
      for (const obx of message.getSegments('OBX')) {
        observations.push({
          code: decode(obx.getComponent(3, 1)),
          text: decode(obx.getComponent(3, 2)),
          value: repetitions(obx.fields[4]).map((rep) => rep.map(first)),
          units: decode(obx.getComponent(6, 1)),
          flags: repetitions(obx.fields[7]).map((rep) => first(rep[0])),
        });
      }
      return {
        // The header's field n is MSH-(n+2).
        messageType: [decode(msh.getComponent(7, 1)), decode(msh.getComponent(7, 2)), decode(msh.getComponent(7, 3))],
        controlId: decode(msh.getField(8)),
        patientIds: repetitions(pid.fields[2]).map((rep): [string, string] => [first(rep[0]), first(rep[4])]),
        patientName: [decode(pid.getComponent(5, 1)), decode(pid.getComponent(5, 2))],
        observations,
      };
    },
    walk(text: string): WalkResult {
      const message = parser.parse(text);
      const counter = new WalkCounter();
      for (const segment of [message.header, ...message.segments]) {
        counter.segments++;
        for (const field of segment.fields) {
          for (const rep of repetitions(field)) for (const component of rep) for (const leaf of subcomponents(component)) counter.leaf(decode(leaf));
        }
      }
      return counter.result();
    },
  };
}
