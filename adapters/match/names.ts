/** Name normalisation and variants for demographic matching. */

// Common English given-name variants seen in Australian and UK registers. Each group is one person's
// possible names; a match inside a group counts as a variant, never as exact.
const GROUPS = [
  ['william', 'bill', 'billy', 'will', 'willy', 'liam'],
  ['robert', 'bob', 'bobby', 'rob', 'robbie', 'bert'],
  ['elizabeth', 'liz', 'lizzie', 'beth', 'betty', 'eliza', 'libby'],
  ['katherine', 'catherine', 'kathryn', 'kate', 'kathy', 'cathy', 'kath', 'katie', 'cath'],
  ['margaret', 'maggie', 'meg', 'peggy', 'marg', 'margie'],
  ['james', 'jim', 'jimmy', 'jamie'],
  ['john', 'jack', 'johnny', 'jon'],
  ['jonathan', 'jon', 'jonny'],
  ['michael', 'mike', 'mick', 'mickey'],
  ['richard', 'rick', 'ricky', 'dick', 'rich'],
  ['thomas', 'tom', 'tommy'],
  ['jennifer', 'jenny', 'jen'],
  ['alexander', 'alex', 'sandy', 'xander'],
  ['alexandra', 'alex', 'sandra', 'lexie'],
  ['christopher', 'chris', 'kit'],
  ['christine', 'chris', 'chrissy', 'tina'],
  ['stephen', 'steven', 'steve'],
  ['anthony', 'tony'],
  ['patricia', 'pat', 'trish', 'patty'],
  ['patrick', 'pat', 'paddy'],
  ['deborah', 'debra', 'debbie', 'deb'],
  ['susan', 'sue', 'susie', 'suzanne'],
  ['daniel', 'dan', 'danny'],
  ['matthew', 'matt'],
  ['nicholas', 'nick', 'nicky'],
  ['joseph', 'joe', 'joey'],
  ['edward', 'ed', 'eddie', 'ted', 'ned'],
  ['andrew', 'andy', 'drew'],
  ['benjamin', 'ben', 'benny'],
  ['samuel', 'sam', 'sammy'],
  ['samantha', 'sam', 'sammy'],
  ['rebecca', 'becky', 'bec'],
  ['jessica', 'jess', 'jessie'],
  ['victoria', 'vicky', 'tori'],
  ['charles', 'charlie', 'chuck'],
  ['david', 'dave', 'davey'],
  ['peter', 'pete'],
  ['timothy', 'tim'],
];

const VARIANTS = new Map<string, Set<string>>();
for (const group of GROUPS) {
  for (const name of group) {
    const set = VARIANTS.get(name) ?? new Set<string>();
    for (const other of group) set.add(other);
    VARIANTS.set(name, set);
  }
}

/** Lower case, accents removed, only letters kept ("O'Brien" → "obrien", "Zoë" → "zoe"). */
export function normalizeName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z]/g, '');
}

/** Levenshtein distance, stopping early above `limit`. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      row.push(v);
      best = Math.min(best, v);
    }
    if (best > limit) return limit + 1;
    prev = row;
  }
  return prev[b.length]!;
}

/** How two family names compare: `exact`, `variant` (Mc/Mac, a part of a double-barrelled name, one typo in a long name) or `none`. */
export function compareFamily(a: string, b: string): 'exact' | 'variant' | 'none' {
  const x = normalizeName(a);
  const y = normalizeName(b);
  if (!x || !y) return 'none';
  if (x === y) return 'exact';
  const mac = (s: string): string => s.replace(/^mac/, 'mc');
  if (mac(x) === mac(y)) return 'variant';
  const parts = (s: string): string[] => s.toLowerCase().split(/[\s-]+/).map(normalizeName).filter(Boolean);
  const px = parts(a);
  const py = parts(b);
  if ((px.length > 1 || py.length > 1) && px.some((p) => py.includes(p))) return 'variant';
  if (Math.min(x.length, y.length) >= 5 && distance(x, y, 1) <= 1) return 'variant';
  return 'none';
}

/** How two given names compare: `exact`, `variant` (a known nickname, one typo) , `initial` (one is the other's initial) or `none`. */
export function compareGiven(a: string, b: string): 'exact' | 'variant' | 'initial' | 'none' {
  const x = normalizeName(a);
  const y = normalizeName(b);
  if (!x || !y) return 'none';
  if (x === y) return 'exact';
  if (VARIANTS.get(x)?.has(y)) return 'variant';
  if (Math.min(x.length, y.length) >= 5 && distance(x, y, 1) <= 1) return 'variant';
  if ((x.length === 1 && y.startsWith(x)) || (y.length === 1 && x.startsWith(y))) return 'initial';
  return 'none';
}
