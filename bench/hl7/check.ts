/**
 * Answer checking: each library's read and walk answers are compared with the reference
 * (reference.ts), and every difference is reported by path with both values, shortened.
 */

const shorten = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 60)}…(${text.length} chars)` : text;
};

/** Every path where `actual` differs from `expected` (at most `limit`), e.g. `observations[27].value[1][0]: got "x", expected "y"`. */
export function differences(actual: unknown, expected: unknown, limit = 5, path = ''): string[] {
  const out: string[] = [];
  const visit = (a: unknown, e: unknown, at: string) => {
    if (out.length >= limit || Object.is(a, e)) return;
    if (Array.isArray(a) && Array.isArray(e)) {
      if (a.length !== e.length) out.push(`${at || '.'}: got ${a.length} items, expected ${e.length}: got ${shorten(a)}, expected ${shorten(e)}`);
      for (let i = 0; i < Math.min(a.length, e.length); i++) visit(a[i], e[i], `${at}[${i}]`);
      return;
    }
    if (a !== null && e !== null && typeof a === 'object' && typeof e === 'object' && !Array.isArray(a) && !Array.isArray(e)) {
      const keys = new Set([...Object.keys(a), ...Object.keys(e)]);
      for (const key of keys) visit((a as Record<string, unknown>)[key], (e as Record<string, unknown>)[key], at ? `${at}.${key}` : key);
      return;
    }
    out.push(`${at || '.'}: got ${shorten(a)}, expected ${shorten(e)}`);
  };
  visit(actual, expected, path);
  return out;
}
