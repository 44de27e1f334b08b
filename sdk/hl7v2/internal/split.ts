/**
 * Splitting helpers. `String.prototype.split` goes through a runtime call and a results cache on
 * every use; for the many short strings of a message, a loop over char codes is 3-6x faster, and
 * for long ones (an embedded document) native `indexOf` is. Measured in bench/ (full walk).
 */

/** `text.split(separator)` for a one-character separator, by indexOf. */
export function splitOn(text: string, separator: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const end = text.indexOf(separator, start);
    if (end === -1) {
      out.push(start === 0 ? text : text.slice(start));
      return out;
    }
    out.push(text.slice(start, end));
    start = end + 1;
  }
}

/** Short fields are split in one pass over their char codes; longer ones level by level with indexOf. */
const LOOP_LIMIT = 512;

/**
 * Splits one field into repetitions → components → subcomponents, in one pass for short fields.
 * The same result as nested `split` calls.
 */
export function splitField(text: string, repetition: string, component: string, subcomponent: string): string[][][] {
  if (text.length > LOOP_LIMIT) {
    const reps = splitOn(text, repetition);
    const out = new Array<string[][]>(reps.length);
    for (let r = 0; r < reps.length; r++) {
      const comps = splitOn(reps[r]!, component);
      const rep = new Array<string[]>(comps.length);
      for (let c = 0; c < comps.length; c++) rep[c] = splitOn(comps[c]!, subcomponent);
      out[r] = rep;
    }
    return out;
  }
  const rc = repetition.charCodeAt(0);
  const cc = component.charCodeAt(0);
  const sc = subcomponent.charCodeAt(0);
  const out: string[][][] = [];
  let rep: string[][] = [];
  let comp: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === sc) {
      comp.push(text.slice(start, i));
      start = i + 1;
    } else if (c === cc) {
      comp.push(text.slice(start, i));
      rep.push(comp);
      comp = [];
      start = i + 1;
    } else if (c === rc) {
      comp.push(text.slice(start, i));
      rep.push(comp);
      out.push(rep);
      rep = [];
      comp = [];
      start = i + 1;
    }
  }
  comp.push(start === 0 ? text : text.slice(start));
  rep.push(comp);
  out.push(rep);
  return out;
}
