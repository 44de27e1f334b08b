/**
 * The delimiters a message declares in MSH-1 and MSH-2 (or FHS/BHS). `truncation` is the fifth
 * encoding character introduced in HL7 v2.7 (usually `#`); absent in earlier versions.
 */
export interface Delimiters {
  readonly field: string;
  readonly component: string;
  readonly repetition: string;
  readonly escape: string;
  readonly subcomponent: string;
  readonly truncation?: string;
}

/** `|^~\&`, the delimiters nearly every message uses (HL7 v2.5.1 §2.5.4). */
export const DEFAULT_DELIMITERS: Delimiters = Object.freeze({
  field: '|',
  component: '^',
  repetition: '~',
  escape: '\\',
  subcomponent: '&',
});

/** The MSH-2 text for a set of delimiters: component, repetition, escape, subcomponent[, truncation]. */
export function encodingCharacters(delimiters: Delimiters): string {
  return delimiters.component + delimiters.repetition + delimiters.escape + delimiters.subcomponent + (delimiters.truncation ?? '');
}
