/**
 * @medplum/core 5.x: lazy by segment and by field, splits repetitions and components when a field
 * is first read, subcomponents on every getComponent call. No escape decoding, so the bench decodes
 * each leaf (escape.ts). Subcomponent indexes of getComponent are 0-based (unlike the rest), so the
 * walk splits components itself, as a careful caller would.
 */
import { Hl7Message } from '@medplum/core';
import type { Hl7Field, Hl7Segment } from '@medplum/core';
import type { Hl7Library, ObservationRead, ReadResult, WalkResult } from '../workload.js';
import { WalkCounter } from '../workload.js';
import { packageVersion } from '../package-version.js';

const repetitions = (field: Hl7Field): number => (field.components.length === 1 && field.components[0]?.length === 1 && field.components[0][0] === '' ? 0 : field.components.length);

/** Builds the adapter; `decode` turns an encoded leaf into text. */
export function createMedplumLibrary(decode: (raw: string) => string): Hl7Library {
  const component = (segment: Hl7Segment, field: number, comp: number, rep = 0) => decode(segment.getComponent(field, comp, undefined, rep));
  return {
    name: '@medplum/core',
    version: packageVersion('@medplum/core'),
    decoding: 'bench',
    read(text: string): ReadResult {
      const message = Hl7Message.parse(text);
      const msh = message.header;
      const pid = message.getSegment('PID');
      if (pid === undefined) throw new Error('no PID');
      const ids = pid.getField(3);
      const patientIds: Array<[string, string]> = [];
      for (let r = 0; r < repetitions(ids); r++) patientIds.push([decode(ids.getComponent(1, undefined, r)), decode(ids.getComponent(5, undefined, r))]);
      const observations: ObservationRead[] = [];
      for (const obx of message.getAllSegments('OBX')) {
        const valueField = obx.getField(5);
        const value: string[][] = [];
        for (let r = 0; r < repetitions(valueField); r++) value.push((valueField.components[r] ?? []).map((raw) => decode(raw)));
        const flagField = obx.getField(8);
        const flags: string[] = [];
        for (let r = 0; r < repetitions(flagField); r++) flags.push(decode(flagField.getComponent(1, undefined, r)));
        observations.push({ code: component(obx, 3, 1), text: component(obx, 3, 2), value, units: component(obx, 6, 1), flags });
      }
      return {
        messageType: [component(msh, 9, 1), component(msh, 9, 2), component(msh, 9, 3)],
        controlId: component(msh, 10, 1),
        patientIds,
        patientName: [component(pid, 5, 1), component(pid, 5, 2)],
        observations,
      };
    },
    walk(text: string): WalkResult {
      const message = Hl7Message.parse(text);
      const counter = new WalkCounter();
      const sub = message.context.subcomponentSeparator;
      for (const segment of message.segments) {
        counter.segments++;
        const fields = segment.fields;
        // fields[0] is the name; for MSH, fields[1] is MSH-2 (the encoding characters).
        for (let f = segment.name === 'MSH' ? 2 : 1; f < fields.length; f++) {
          for (const rep of (fields[f] as Hl7Field).components) {
            for (const comp of rep) {
              for (const leaf of comp.split(sub)) counter.leaf(decode(leaf));
            }
          }
        }
      }
      return counter.result();
    },
  };
}
