import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { parseMessage } from '@sealpost/sdk/hl7v2';
import type { AckFileEvent } from './import-folder.js';

/** Options of {@link scanAckFiles}. */
export interface ScanAckFilesOptions {
  /** File names to read (default `/\.ack$/i`); anything else in the folder is left alone. */
  pattern?: RegExp;
  /**
   * Records one acknowledgement durably. Called before the file is moved to `processed/`, so a
   * crash in between repeats the call at the next scan: it must be idempotent. Throwing leaves the
   * file in place for the next scan.
   */
  onAck: (event: AckFileEvent) => void | Promise<void>;
}

/** What one scan did. */
export interface ScanAckFilesResult {
  acks: AckFileEvent[];
  /** Files that are not HL7 acknowledgements, moved to `error/`. */
  unreadable: { file: string; reason: string }[];
}

/** Moves `file` from `dir` into `dir/sub`, never over an earlier file of the same name. */
function moveAside(dir: string, sub: string, file: string): void {
  mkdirSync(join(dir, sub), { recursive: true });
  let target = join(dir, sub, file);
  for (let n = 1; existsSync(target); n++) target = join(dir, sub, `${file}.${n}`);
  renameSync(join(dir, file), target);
}

/**
 * Reads an EMR's acknowledgement files (HL7 ACKs: MSA-1 the code, MSA-2 the MSH-10 of the
 * imported message, MSA-3 the text), oldest name first. Each acknowledgement is handed to
 * `onAck` and only then moved to `<dir>/processed/`, so a crash never loses one (it is handed over
 * again after a restart — `onAck` is idempotent); unreadable files go to `<dir>/error/`.
 */
export async function scanAckFiles(dir: string, options: ScanAckFilesOptions): Promise<ScanAckFilesResult> {
  const pattern = options.pattern ?? /\.ack$/i;
  const result: ScanAckFilesResult = { acks: [], unreadable: [] };
  if (!existsSync(dir)) return result;
  for (const file of readdirSync(dir).sort()) {
    if (!pattern.test(file)) continue;
    let event: AckFileEvent;
    try {
      const ack = parseMessage(readFileSync(join(dir, file)));
      const controlId = ack.get('MSA-2');
      const code = ack.get('MSA-1');
      if (!code || !controlId) throw new Error('no MSA segment with MSA-1 and MSA-2');
      event = { file, code, controlId, text: ack.get('MSA-3') ?? '' };
    } catch (error) {
      moveAside(dir, 'error', file);
      result.unreadable.push({ file, reason: (error as Error).message });
      continue;
    }
    await options.onAck(event);
    moveAside(dir, 'processed', file);
    result.acks.push(event);
  }
  return result;
}
