/**
 * Sealpost (@sealpost/sdk/hl7v2): lazy, keeps the original text, decodes escapes at the leaf.
 * Reads use the segment accessors (`segment(name)`, `segments(name)`, `value(field, rep, comp,
 * sub)`), the documented fast path that avoids parsing a path string per read.
 */
import { parseMessage } from '@sealpost/sdk/hl7v2';
import type { Hl7Library, ObservationRead, ReadResult, WalkResult } from '../workload.js';
import { WalkCounter } from '../workload.js';
import { packageVersion } from '../package-version.js';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** `0.1.0 (git abc1234)`, plus `+changes` when sdk/hl7v2 differs from that commit: figures name the code they measured. */
function sealpostVersion(): string {
  const version = packageVersion('@sealpost/sdk');
  try {
    const cwd = fileURLToPath(new URL('../../../', import.meta.url));
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const changed = execFileSync('git', ['status', '--porcelain', '--', 'sdk/hl7v2'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return `${version} (git ${commit}${changed ? '+changes' : ''})`;
  } catch {
    return version; // not a git checkout
  }
}

/** Builds the adapter. */
export function createSealpostLibrary(): Hl7Library {
  return {
    name: 'sealpost',
    version: sealpostVersion(),
    decoding: 'native',
    read(text: string): ReadResult {
      const message = parseMessage(text);
      const msh = message.segmentAt(0);
      const pid = message.segment('PID');
      if (pid === undefined) throw new Error('no PID');
      const patientIds: Array<[string, string]> = [];
      for (let r = 1, n = pid.repetitionCount(3); r <= n; r++) patientIds.push([pid.value(3, r, 1), pid.value(3, r, 5)]);
      const observations: ObservationRead[] = [];
      for (const obx of message.segments('OBX')) {
        const value: string[][] = [];
        for (let r = 1, n = obx.repetitionCount(5); r <= n; r++) {
          const components: string[] = [];
          for (let c = 1, m = obx.componentCount(5, r); c <= m; c++) components.push(obx.value(5, r, c));
          value.push(components);
        }
        const flags: string[] = [];
        for (let r = 1, n = obx.repetitionCount(8); r <= n; r++) flags.push(obx.value(8, r, 1));
        observations.push({ code: obx.value(3, 1, 1), text: obx.value(3, 1, 2), value, units: obx.value(6, 1, 1), flags });
      }
      return {
        messageType: [msh.value(9, 1, 1), msh.value(9, 1, 2), msh.value(9, 1, 3)],
        controlId: msh.value(10),
        patientIds,
        patientName: [pid.value(5, 1, 1), pid.value(5, 1, 2)],
        observations,
      };
    },
    walk(text: string): WalkResult {
      const message = parseMessage(text);
      const counter = new WalkCounter();
      for (const segment of message.segments()) {
        counter.segments++;
        for (let f = segment.name === 'MSH' ? 3 : 1, fields = segment.fieldCount; f <= fields; f++) {
          for (let r = 1, reps = segment.repetitionCount(f); r <= reps; r++) {
            for (let c = 1, comps = segment.componentCount(f, r); c <= comps; c++) {
              for (let s = 1, subs = segment.subcomponentCount(f, r, c); s <= subs; s++) counter.leaf(segment.value(f, r, c, s));
            }
          }
        }
      }
      return counter.result();
    },
  };
}
