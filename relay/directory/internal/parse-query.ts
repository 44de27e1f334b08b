/**
 * Turns a FHIR search query string into a store query. Strict: an unknown parameter or modifier is
 * refused (400) instead of silently widening the answer, which a caller could mistake for a match.
 */
import { normaliseText, paramKind, relativeReference, SEARCH_PARAMS } from './search-params.js';
import type { DirectoryType } from './search-params.js';
import type { Filter, SearchQuery } from '../storage/types.js';

/** Page size without `_count`. */
export const DEFAULT_COUNT = 20;
/** Largest `_count` served (larger values are lowered to it). */
export const MAX_COUNT = 500;
/** Deepest offset served: paging through more is an export, not a search. */
export const MAX_OFFSET = 10_000;

/** A search the directory refuses (answered 400 with an OperationOutcome). */
export class QueryError extends Error {
  readonly code = 'ERR_DIRECTORY_QUERY';
}

/** A parsed search: the store query and the `_include`s to add. */
export interface ParsedQuery {
  query: SearchQuery;
  /** `_include` values as given, e.g. `PractitionerRole:organization`. */
  includes: { source: DirectoryType; param: string }[];
}

const IGNORED = new Set(['_format', '_pretty']);

function integer(name: string, value: string, min: number, max: number): number {
  if (!/^\d{1,9}$/.test(value)) throw new QueryError(`${name} must be a non-negative integer`);
  return Math.min(Math.max(Number(value), min), max);
}

/** Splits on commas not escaped with a backslash (FHIR search escaping). */
function splitOr(value: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && i + 1 < value.length) {
      current += value[++i];
    } else if (c === ',') {
      out.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  out.push(current);
  return out;
}

/** Parses a search query string for `type`; throws QueryError for what the directory does not support. */
export function parseQuery(type: DirectoryType, search: URLSearchParams): ParsedQuery {
  const filters: Filter[] = [];
  const includes: ParsedQuery['includes'] = [];
  let count = DEFAULT_COUNT;
  let offset = 0;
  let total = false;
  for (const [key, raw] of search) {
    if (IGNORED.has(key)) continue;
    if (key === '_count') {
      count = integer('_count', raw, 1, MAX_COUNT);
      continue;
    }
    if (key === '_offset') {
      offset = integer('_offset', raw, 0, Number.MAX_SAFE_INTEGER);
      if (offset > MAX_OFFSET) throw new QueryError(`_offset beyond ${MAX_OFFSET}: narrow the search`);
      continue;
    }
    if (key === '_total') {
      if (raw !== 'accurate' && raw !== 'none' && raw !== 'estimate') throw new QueryError('_total must be none, estimate or accurate');
      total = raw === 'accurate';
      continue;
    }
    if (key === '_include') {
      const [source, param] = raw.split(':');
      if (source !== type || param === undefined || SEARCH_PARAMS[type][param]?.kind !== 'reference') {
        throw new QueryError(`_include=${raw} is not supported on ${type} (use ${type}:<reference parameter>)`);
      }
      includes.push({ source: type, param });
      continue;
    }
    if (key === '_id') {
      filters.push({ param: '_id', match: 'exact', alternatives: splitOr(raw).map((value) => ({ value })) });
      continue;
    }
    const colon = key.indexOf(':');
    const param = colon === -1 ? key : key.slice(0, colon);
    const modifier = colon === -1 ? undefined : key.slice(colon + 1);
    const kind = paramKind(type, param);
    if (kind === undefined) throw new QueryError(`unknown search parameter '${param}' for ${type}`);
    const values = splitOr(raw);
    if (kind === 'string') {
      if (modifier !== undefined && modifier !== 'contains' && modifier !== 'exact') throw new QueryError(`modifier :${modifier} is not supported on ${param}`);
      const postcode = param.endsWith('address-postalcode');
      const alternatives = values.map((v) => {
        const norm = postcode ? normaliseText(v).replace(/ /g, '') : normaliseText(v);
        if (norm === '') throw new QueryError(`${key} needs at least one letter or digit`);
        // :exact compares whole values (system '' rows), not the word suffixes the index also holds.
        return modifier === 'exact' ? { value: norm, system: '' } : { value: norm };
      });
      filters.push({ param, match: modifier === 'contains' ? 'contains' : modifier === 'exact' ? 'exact' : 'prefix', alternatives });
    } else if (kind === 'token') {
      if (modifier !== undefined) throw new QueryError(`modifier :${modifier} is not supported on ${param}`);
      const alternatives = values.map((v) => {
        const bar = v.indexOf('|');
        if (bar === -1) {
          if (v === '') throw new QueryError(`${key} is empty`);
          return { value: v };
        }
        const system = v.slice(0, bar);
        const code = v.slice(bar + 1);
        if (code === '') return { system };
        return { value: code, system };
      });
      filters.push({ param, match: 'exact', alternatives });
    } else {
      if (modifier !== undefined && !/^[A-Z][A-Za-z]+$/.test(modifier)) throw new QueryError(`modifier :${modifier} is not supported on ${param}`);
      const target = modifier ?? SEARCH_PARAMS[type][param]?.targets?.[0];
      const alternatives = values.map((v) => {
        const ref = v.includes('/') ? relativeReference(v) : target ? `${target}/${v}` : undefined;
        if (ref === undefined || !/^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(ref)) throw new QueryError(`${key}=${v} is not a reference`);
        return { value: ref };
      });
      filters.push({ param, match: 'exact', alternatives });
    }
  }
  return { query: { type, filters, count, offset, total }, includes };
}
