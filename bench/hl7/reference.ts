/**
 * The expected answers, computed by the plainest possible split of the text (standard delimiters,
 * as every bench input declares) and the bench's escape decoder. Not timed; it exists so that every
 * library, Sealpost included, is checked against something none of them wrote.
 */
import { unescapeLeaf } from './escape.js';
import type { ReadResult, WalkResult } from './workload.js';
import { WalkCounter } from './workload.js';

// repetitions × components × subcomponents, still encoded; an empty field has no repetitions.
type Field = string[][][];

function parse(text: string): Array<{ name: string; fields: Field[] }> {
  return text
    .split(/\r\n|\r|\n/)
    .filter((line) => line.length > 0)
    .map((line) => {
      const parts = line.split('|');
      const name = parts[0] ?? '';
      // fields[n] is field n; for MSH, field 1 is the separator and field 2 the encoding characters.
      const raw = name === 'MSH' ? ['MSH', '|', ...parts.slice(1)] : parts;
      const fields = raw.map((value, n) =>
        n === 0 || (name === 'MSH' && n <= 2) ? [[[value]]] : value === '' ? [] : value.split('~').map((rep) => rep.split('^').map((comp) => comp.split('&'))),
      );
      return { name, fields };
    });
}

const leaf = (field: Field | undefined, rep: number, comp: number, sub = 1): string => unescapeLeaf(field?.[rep - 1]?.[comp - 1]?.[sub - 1] ?? '');

/** Expected read answer. */
export function referenceRead(text: string): ReadResult {
  const segments = parse(text);
  const first = (name: string) => segments.find((segment) => segment.name === name)?.fields ?? [];
  const msh = first('MSH');
  const pid = first('PID');
  return {
    messageType: [leaf(msh[9], 1, 1), leaf(msh[9], 1, 2), leaf(msh[9], 1, 3)],
    controlId: leaf(msh[10], 1, 1),
    patientIds: (pid[3] ?? []).map((_, r) => [leaf(pid[3], r + 1, 1), leaf(pid[3], r + 1, 5)]),
    patientName: [leaf(pid[5], 1, 1), leaf(pid[5], 1, 2)],
    observations: segments
      .filter((segment) => segment.name === 'OBX')
      .map(({ fields }) => ({
        code: leaf(fields[3], 1, 1),
        text: leaf(fields[3], 1, 2),
        value: (fields[5] ?? []).map((rep, r) => rep.map((_, c) => leaf(fields[5], r + 1, c + 1))),
        units: leaf(fields[6], 1, 1),
        flags: (fields[8] ?? []).map((_, r) => leaf(fields[8], r + 1, 1)),
      })),
  };
}

/** Expected walk answer. */
export function referenceWalk(text: string): WalkResult {
  const counter = new WalkCounter();
  for (const { name, fields } of parse(text)) {
    counter.segments++;
    for (let f = name === 'MSH' ? 3 : 1; f < fields.length; f++) {
      for (const rep of fields[f] ?? []) for (const comp of rep) for (const sub of comp) counter.leaf(unescapeLeaf(sub));
    }
  }
  return counter.result();
}
