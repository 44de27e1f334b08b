/**
 * Where the structural characters of a large message are, found in one cache-friendly sweep.
 *
 * Reading one value of a message with a 10 MB embedded document means knowing that none of seven
 * characters (CR, LF, the four delimiters and the escape character) occurs inside the document.
 * Native `indexOf` is the fastest search JavaScript has (memchr), but seven separate passes over
 * 14 MB each stream the text from memory again. This index looks for all seven in one 8 KiB chunk
 * at a time, while the chunk is in the CPU cache, and records the first position of each character
 * per chunk; later searches skip chunks that do not hold the character. Measured on the bench's
 * 14 MB message (AMD EPYC, 7 Dec): 7 whole-text passes 1.2 ms, this index 0.80 ms, and every later
 * search is then nearly free (bench/README.md, hl7 section).
 */

/**
 * Chunk size as a power of two. Best of 15 rounds on the 14 MB bench message: 4 KiB 1.53 ms, 8 KiB
 * 0.98 ms, 16 KiB 0.80 ms, 32 KiB 0.78 ms, 64 KiB 1.02 ms. Small chunks pay the per-call cost of
 * `indexOf` seven times each; a chunk that outgrows the L1 data cache (32 KiB on many cores) is
 * streamed from L2 for every character after the first. 16 KiB leaves room in a 32 KiB L1.
 */
const CHUNK_BITS = 14;

/** Messages at least this long are indexed; below it plain `indexOf` passes over the text are cheap. */
export const INDEX_MIN_LENGTH = 256 * 1024;

/**
 * First occurrence of each of a few characters in every chunk of a text. Positions are offsets in
 * `text`; a search is bounded by `[from, to)`.
 */
export class CharIndex {
  /** The indexed text. */
  readonly text: string;
  readonly #chars: string[];
  readonly #bits: number;
  /** `first[chunk * chars.length + slot]`: first position of that character in the chunk, or -1. */
  readonly #first: Int32Array;

  /**
   * Indexes `chars` (one-character strings; duplicates allowed) in `text`. `chunkBits` is for
   * tests, which use tiny chunks to put boundaries everywhere.
   */
  constructor(text: string, chars: readonly string[], chunkBits = CHUNK_BITS) {
    this.text = text;
    this.#chars = chars.slice();
    this.#bits = chunkBits;
    const size = 1 << chunkBits;
    const k = chars.length;
    const chunks = Math.ceil(text.length / size);
    const first = new Int32Array(chunks * k);
    for (let c = 0; c < chunks; c++) {
      const start = c * size;
      // A slice of a long string is a view in V8 (no copy); indexOf on it stops at its end.
      const chunk = text.slice(start, Math.min(start + size, text.length));
      for (let s = 0; s < k; s++) {
        const at = chunk.indexOf(chars[s]!);
        first[c * k + s] = at === -1 ? -1 : start + at;
      }
    }
    this.#first = first;
  }

  /** Slot of a character in this index, or -1 when it is not indexed. */
  slot(char: string): number {
    return this.#chars.indexOf(char);
  }

  /** Position of the first character of `slot` in `[from, to)`, or -1. */
  indexOf(slot: number, from: number, to: number): number {
    if (from < 0) from = 0;
    if (to > this.text.length) to = this.text.length;
    if (from >= to) return -1;
    const k = this.#chars.length;
    const bits = this.#bits;
    const first = this.#first;
    const last = (to - 1) >> bits;
    for (let c = from >> bits; c <= last; c++) {
      const at = first[c * k + slot]!;
      if (at === -1) continue;
      if (at >= from) return at < to ? at : -1;
      // The chunk holds the character, but before `from`: search the rest of this chunk only.
      const end = Math.min((c + 1) << bits, to);
      const found = this.text.slice(from, end).indexOf(this.#chars[slot]!);
      if (found !== -1) return from + found;
    }
    return -1;
  }

  /** Start offsets of the parts of `[from, to)` split at the character of `slot` (ends: next start - 1, last: `to`). */
  splitStarts(slot: number, from: number, to: number): number[] {
    const starts = [from];
    let at = this.indexOf(slot, from, to);
    while (at !== -1) {
      starts.push(at + 1);
      at = this.indexOf(slot, at + 1, to);
    }
    return starts;
  }
}

/** Slots of a message index built by {@link indexMessageText}. */
export const SLOT_CR = 0;
export const SLOT_LF = 1;
export const SLOT_FIELD = 2;
export const SLOT_COMPONENT = 3;
export const SLOT_REPETITION = 4;
export const SLOT_ESCAPE = 5;
export const SLOT_SUBCOMPONENT = 6;

/**
 * Index of a message text that starts with MSH: CR, LF, then the characters MSH-1 and MSH-2 declare
 * (field, component, repetition, escape, subcomponent: the slots above). `undefined` for texts
 * shorter than {@link INDEX_MIN_LENGTH}. The header is not validated here: when it is malformed,
 * reading the delimiters fails before the index is used.
 */
export function indexMessageText(text: string, minLength = INDEX_MIN_LENGTH): CharIndex | undefined {
  if (text.length < minLength || text.length < 8) return undefined;
  return new CharIndex(text, ['\r', '\n', text[3]!, text[4]!, text[5]!, text[6]!, text[7]!]);
}
