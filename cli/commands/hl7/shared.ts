import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Hl7ParseError, splitBatch } from '@sealpost/sdk/hl7v2';
import type { Hl7Message } from '@sealpost/sdk/hl7v2';
import { SealpostError } from '@sealpost/sdk';
import type { CliIo } from '../../io.js';

/** One message of a file: parsed, or the error that stopped it, with its position in the file. */
export type FileMessage =
  | { index: number; byteOffset: number; bytes: Uint8Array; message: Hl7Message; error?: undefined }
  | { index: number; byteOffset: number; bytes: Uint8Array; message?: undefined; error: Hl7ParseError };

/** What reading one file gave: its messages, and problems that belong to no message. */
export interface FileContent {
  file: string;
  bytes: Uint8Array;
  messages: FileMessage[];
  /** Problems outside any message (content before the first MSH, a bad envelope, no message at all). */
  problems: Error[];
}

/**
 * Reads a file and parses every message in it, batch envelopes and back-to-back messages included.
 * A message that fails does not stop the others. Never throws for bad HL7; an unreadable file is
 * reported as a problem too, so one missing file does not hide the rest.
 */
export async function readMessages(file: string, io: CliIo): Promise<FileContent> {
  let bytes: Uint8Array;
  try {
    const buffer = await readFile(resolve(io.cwd, file));
    bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : error instanceof Error ? error.message : String(error);
    return { file, bytes: new Uint8Array(0), messages: [], problems: [new Error(`cannot read file: ${reason}`)] };
  }
  const problems: Error[] = [];
  let split;
  try {
    split = splitBatch(bytes);
  } catch (error) {
    if (error instanceof SealpostError) return { file, bytes, messages: [], problems: [error] };
    throw error;
  }
  problems.push(...split.problems);
  const messages: FileMessage[] = split.messages.map((entry) => {
    const data = entry.data as Uint8Array;
    try {
      return { index: entry.index, byteOffset: entry.byteOffset, bytes: data, message: entry.parse() };
    } catch (error) {
      if (error instanceof Hl7ParseError) return { index: entry.index, byteOffset: entry.byteOffset, bytes: data, error };
      throw error;
    }
  });
  if (messages.length === 0 && problems.length === 0) problems.push(new Error('no HL7 message found (the file is empty or holds only blank lines)'));
  return { file, bytes, messages, problems };
}

/** `FILE: message N, segment M (XXX), field F: reason (byte B)` — the error's own message carries the location. */
export function failureLine(file: string, error: Error): string {
  return `${file}: ${error.message}\n`;
}

/** Error fields for --json output. */
export function errorJson(error: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { message: error.message };
  if (error instanceof SealpostError) out.code = error.code;
  if (error instanceof Hl7ParseError) {
    for (const key of ['messageIndex', 'segmentIndex', 'segmentName', 'field', 'byteOffset', 'reason'] as const) {
      if (error[key] !== undefined) out[key] = error[key];
    }
  }
  return out;
}

/** MSH-9 with its components joined by `^` whatever the message's own delimiters, decoded. */
export function messageTypeOf(message: Hl7Message): string {
  const msh = message.segmentAt(0);
  const parts: string[] = [];
  const count = Math.max(msh.componentCount(9), 1);
  // A malformed escape in MSH-9 is reported by check(); here it must not abort the listing, so
  // that component is shown as sent.
  for (let c = 1; c <= count; c++) {
    try {
      parts.push(msh.value(9, 1, c));
    } catch {
      parts.push(msh.raw(9, 1, c));
    }
  }
  while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts.join('^');
}

/**
 * MSH field `field` (first component) decoded, or as sent when it holds a malformed escape: a
 * listing must not stop at it; check() reports it with its location.
 */
export function headerValue(message: Hl7Message, field: number): string {
  const msh = message.segmentAt(0);
  try {
    return msh.value(field);
  } catch (error) {
    if (!(error instanceof Hl7ParseError)) throw error;
    return msh.raw(field, 1, 1, 1);
  }
}
