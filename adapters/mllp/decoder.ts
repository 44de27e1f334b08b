import { AdapterError } from '../errors.js';

/** Start block (VT, 0x0B), end block (FS, 0x1C) and the carriage return after it (HL7 v2.5.1 Appendix C, MLLP release 2). */
export const MLLP_START = 0x0b;
export const MLLP_END = 0x1c;
export const MLLP_CR = 0x0d;

/** Default largest frame payload, in bytes: 16 MiB (a referral with a scanned PDF fits). */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** Options of {@link createMllpDecoder}. */
export interface MllpDecoderOptions {
  /** Largest payload kept, in bytes (default {@link DEFAULT_MAX_FRAME_BYTES}). Buffering never exceeds it. */
  maxFrameBytes?: number;
}

/** One item out of the decoder: a complete frame's payload, or an error at a stream offset. */
export type MllpDecodeItem =
  | { kind: 'frame'; payload: Uint8Array; offset: number }
  | { kind: 'error'; error: AdapterError };

/** Incremental MLLP frame decoder: a pure function of the bytes pushed so far. */
export interface MllpDecoder {
  /**
   * Feeds the next bytes of the stream and returns the frames (and errors) they complete, in
   * stream order. The result depends only on the concatenation of all chunks, never on where they
   * were split. Bytes outside a frame are skipped and counted in {@link MllpDecoder.skipped}.
   *
   * Errors are returned, not thrown, so the stream resynchronises at the next start block:
   * `ERR_MLLP_FRAME_TOO_LARGE` (payload over `maxFrameBytes`: the rest of the frame is discarded
   * up to its end block), `ERR_MLLP_FRAME_INCOMPLETE` (a start block inside a frame: the peer gave
   * up on the previous frame).
   */
  push(chunk: Uint8Array): MllpDecodeItem[];
  /** Bytes currently buffered for an unfinished frame (at most `maxFrameBytes`). */
  readonly buffered: number;
  /** Whether a frame has started and not ended. */
  readonly inFrame: boolean;
  /** Bytes skipped outside frames so far (garbage, stray CR/LF). */
  readonly skipped: number;
}

const enum State {
  Outside,
  InFrame,
  Oversize,
}

/**
 * Creates an incremental MLLP decoder. A frame is `VT payload FS CR`; a frame ended by FS without
 * the CR is accepted too (some senders omit it), and the CR after FS is never counted as garbage.
 *
 * @example
 * const decoder = createMllpDecoder();
 * socket.on('data', (chunk) => { for (const item of decoder.push(chunk)) … });
 */
export function createMllpDecoder(options: MllpDecoderOptions = {}): MllpDecoder {
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 1) throw new RangeError('createMllpDecoder: maxFrameBytes must be a positive integer');
  let state = State.Outside;
  let parts: Uint8Array[] = [];
  let size = 0;
  let frameOffset = 0;
  let position = 0;
  let skipped = 0;
  // A CR right after an end block belongs to the frame trailer, even across a chunk boundary.
  let afterEnd = false;

  const take = (): Uint8Array => {
    const out = parts.length === 1 ? parts[0]! : concat(parts, size);
    parts = [];
    size = 0;
    return out;
  };

  const append = (chunk: Uint8Array, start: number, end: number, items: MllpDecodeItem[]): void => {
    if (end <= start) return;
    if (size + (end - start) > maxFrameBytes) {
      items.push({ kind: 'error', error: new AdapterError('ERR_MLLP_FRAME_TOO_LARGE', `MLLP frame at byte ${frameOffset} exceeds ${maxFrameBytes} bytes`, { offset: frameOffset }) });
      parts = [];
      size = 0;
      state = State.Oversize;
      return;
    }
    // Copy: the caller may reuse its chunk buffer (Node pools small socket reads).
    parts.push(chunk.slice(start, end));
    size += end - start;
  };

  return {
    push(chunk: Uint8Array): MllpDecodeItem[] {
      const items: MllpDecodeItem[] = [];
      let i = 0;
      const n = chunk.length;
      while (i < n) {
        if (afterEnd) {
          afterEnd = false;
          if (chunk[i] === MLLP_CR) {
            i++;
            continue;
          }
        }
        if (state === State.Outside) {
          const start = chunk.indexOf(MLLP_START, i);
          const stop = start < 0 ? n : start;
          skipped += stop - i;
          if (start < 0) {
            i = n;
            break;
          }
          state = State.InFrame;
          frameOffset = position + start;
          i = start + 1;
          continue;
        }
        // Inside a frame (or discarding an oversize one): look for the end block, or a new start block.
        let j = i;
        while (j < n && chunk[j] !== MLLP_END && chunk[j] !== MLLP_START) j++;
        if (state === State.InFrame) append(chunk, i, j, items);
        if (j === n) {
          i = n;
          break;
        }
        if (chunk[j] === MLLP_START) {
          if (state === State.InFrame) {
            items.push({ kind: 'error', error: new AdapterError('ERR_MLLP_FRAME_INCOMPLETE', `MLLP frame at byte ${frameOffset} was not ended before a new start block at byte ${position + j}`, { offset: frameOffset }) });
          }
          parts = [];
          size = 0;
          state = State.InFrame;
          frameOffset = position + j;
          i = j + 1;
          continue;
        }
        // End block.
        if (state === State.InFrame) items.push({ kind: 'frame', payload: take(), offset: frameOffset });
        state = State.Outside;
        afterEnd = true;
        i = j + 1;
      }
      position += n;
      return items;
    },
    get buffered() {
      return size;
    },
    get inFrame() {
      return state !== State.Outside;
    },
    get skipped() {
      return skipped;
    },
  };
}

/** Wraps a payload in an MLLP frame: `VT payload FS CR`. */
export function encodeMllpFrame(payload: Uint8Array | string): Uint8Array {
  const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  const out = new Uint8Array(bytes.length + 3);
  out[0] = MLLP_START;
  out.set(bytes, 1);
  out[bytes.length + 1] = MLLP_END;
  out[bytes.length + 2] = MLLP_CR;
  return out;
}

function concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
