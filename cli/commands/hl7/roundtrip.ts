import type { Hl7Message } from '@sealpost/sdk/hl7v2';
import type { CliIo } from '../../io.js';
import { UsageError } from '../../io.js';
import { failureLine, readMessages } from './shared.js';

/**
 * Serialises a message from its text, not from the bytes it was read from: the text is encoded
 * again in the message's charset, so a decode/encode asymmetry (a lost BOM, a replaced byte, a
 * normalised line ending) shows up. Charsets other than UTF-8, ISO-8859-1 and ASCII use the
 * SDK's own encoder.
 */
function serialise(message: Hl7Message): Uint8Array {
  const text = message.toString();
  if (message.charset === 'utf-8') return new TextEncoder().encode(text);
  if (message.charset === 'latin1' || message.charset === 'ascii') {
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
    return bytes;
  }
  return message.toBytes();
}

/** First differing index of two byte arrays, or -1 when equal. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/**
 * `sealpost hl7 roundtrip FILE…`: exit 0 only when every message, serialised again, reproduces its
 * original bytes exactly; otherwise prints the first differing byte offset (in the file).
 */
export async function roundtrip(args: string[], io: CliIo): Promise<number> {
  if (args.length === 0) throw new UsageError('roundtrip needs at least one FILE');
  const option = args.find((arg) => arg.startsWith('-'));
  if (option) throw new UsageError(`unknown option '${option}'`);
  let failed = false;
  for (const file of args) {
    const content = await readMessages(file, io);
    for (const problem of content.problems) {
      failed = true;
      io.stderr(failureLine(file, problem));
    }
    let same = 0;
    for (const entry of content.messages) {
      if (entry.error) {
        failed = true;
        io.stderr(failureLine(file, entry.error));
        continue;
      }
      const out = serialise(entry.message);
      const at = firstDifference(out, entry.bytes);
      if (at === -1) {
        same++;
        continue;
      }
      failed = true;
      io.stdout(`${file}: message ${entry.index}: differs at byte ${entry.byteOffset + at} (original ${entry.bytes.length} bytes, serialised ${out.length})\n`);
    }
    if (same === content.messages.length && content.messages.length > 0 && content.problems.length === 0) {
      io.stdout(`${file}: ${same} message${same === 1 ? '' : 's'} round-trip byte for byte\n`);
    }
  }
  return failed ? 1 : 0;
}
