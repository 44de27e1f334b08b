import type { CharIndex } from './char-index.js';

/**
 * Finds segment boundaries in `text[from, to)`. A segment ends at CR or LF; a run of CR/LF
 * characters is one terminator (so `\r`, `\n`, `\r\n` and blank lines all work, mixed), and is kept
 * in the text for byte-exact output. Each boundary search is a native indexOf, and each of the two
 * searches is re-run only when passed, so the scan is linear even for a 10 MB segment. With an
 * `index` whose slots 0 and 1 are CR and LF, the searches use it instead of scanning the text.
 */
export function scanSegments(text: string, from: number, to: number, index?: CharIndex): { starts: number[]; ends: number[] } {
  const starts: number[] = [];
  const ends: number[] = [];
  let pos = from;
  let nextCr = -2;
  let nextLf = -2;
  while (pos < to) {
    if (nextCr !== -1 && nextCr < pos) nextCr = index ? index.indexOf(0, pos, to) : text.indexOf('\r', pos);
    if (nextLf !== -1 && nextLf < pos) nextLf = index ? index.indexOf(1, pos, to) : text.indexOf('\n', pos);
    let end = nextCr === -1 ? nextLf : nextLf === -1 ? nextCr : Math.min(nextCr, nextLf);
    if (end === -1 || end > to) end = to;
    starts.push(pos);
    ends.push(end);
    pos = end;
    while (pos < to) {
      const c = text.charCodeAt(pos);
      if (c !== 13 && c !== 10) break;
      pos++;
    }
  }
  return { starts, ends };
}
