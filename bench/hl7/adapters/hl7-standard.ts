/**
 * hl7-standard 1.x: eager; `transform()` builds an object per segment keyed 'PID.5', 'PID.5.1'.
 * A field is a string, an object of components, or an array (of repetitions, objects; or of
 * subcomponents, strings, when the field has `&` but no `^`); a component with `&` is an array of
 * subcomponents. It has no escape decoding, so the bench decodes each leaf (escape.ts). Reads use
 * the documented `get(path, segmentIndex, repetitionIndex, subIndex)`.
 */
import HL7 from 'hl7-standard';
import type { Hl7Library, ObservationRead, ReadResult, WalkResult } from '../workload.js';
import { WalkCounter } from '../workload.js';
import { packageVersion } from '../package-version.js';

type HL7Segment = ReturnType<HL7['getSegments']>[number];
type Component = string | string[];
type Repetition = Record<string, Component>;
type FieldValue = string | Repetition | Array<Repetition | string>;

/** Leaves of one component: a string, or subcomponents. */
function componentLeaves(component: Component, visit: (leaf: string) => void): void {
  if (Array.isArray(component)) for (const leaf of component) visit(leaf);
  else visit(component);
}

/** Builds the adapter; `decode` turns an encoded leaf into text. */
export function createHl7StandardLibrary(decode: (raw: string) => string): Hl7Library {
  const text = (value: unknown): string => decode(typeof value === 'string' ? value : Array.isArray(value) && typeof value[0] === 'string' ? value[0] : '');
  /** Repetitions of a field (no API for this; the segment's data is public): 0 when empty. */
  const repetitions = (segments: HL7Segment[], index: number, field: string): number => {
    const data = segments[index]?.data[field] as FieldValue | undefined;
    if (data === undefined || data === '') return 0;
    return Array.isArray(data) && typeof data[0] === 'object' ? data.length : 1;
  };
  return {
    name: 'hl7-standard',
    version: packageVersion('hl7-standard'),
    decoding: 'bench',
    read(input: string): ReadResult {
      const hl7 = new HL7(input);
      hl7.transform();
      const patientIds: Array<[string, string]> = [];
      const idCount = repetitions(hl7.getSegments('PID'), 0, 'PID.3');
      for (let r = 0; r < idCount; r++) patientIds.push([text(hl7.get('PID.3.1', 0, r)), text(hl7.get('PID.3.5', 0, r))]);
      const observations: ObservationRead[] = [];
      const obxSegments = hl7.getSegments('OBX');
      const obxCount = obxSegments.length;
      for (let i = 0; i < obxCount; i++) {
        const value: string[][] = [];
        const valueReps = repetitions(obxSegments, i, 'OBX.5');
        for (let r = 0; r < valueReps; r++) {
          const rep = hl7.get('OBX.5', i, r) as FieldValue;
          value.push(typeof rep === 'string' ? [decode(rep)] : Object.values(rep as Repetition).map(text));
        }
        const flags: string[] = [];
        const flagReps = repetitions(obxSegments, i, 'OBX.8');
        for (let r = 0; r < flagReps; r++) flags.push(text(hl7.get('OBX.8.1', i, r)));
        observations.push({ code: text(hl7.get('OBX.3.1', i)), text: text(hl7.get('OBX.3.2', i)), value, units: text(hl7.get('OBX.6.1', i)), flags });
      }
      return {
        messageType: [text(hl7.get('MSH.9.1')), text(hl7.get('MSH.9.2')), text(hl7.get('MSH.9.3'))],
        controlId: text(hl7.get('MSH.10')),
        patientIds,
        patientName: [text(hl7.get('PID.5.1')), text(hl7.get('PID.5.2'))],
        observations,
      };
    },
    walk(input: string): WalkResult {
      const hl7 = new HL7(input);
      hl7.transform();
      const counter = new WalkCounter();
      const visit = (leaf: string) => counter.leaf(decode(leaf));
      for (const segment of hl7.getSegments()) {
        counter.segments++;
        for (const [key, value] of Object.entries(segment.data as Record<string, FieldValue>)) {
          if (key === 'MSH.1' || key === 'MSH.2') continue;
          if (typeof value === 'string') visit(value);
          else if (Array.isArray(value)) {
            for (const element of value) {
              if (typeof element === 'string') visit(element);
              else for (const component of Object.values(element)) componentLeaves(component, visit);
            }
          } else for (const component of Object.values(value)) componentLeaves(component, visit);
        }
      }
      return counter.result();
    },
  };
}
