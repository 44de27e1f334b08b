/** Builds searchset Bundles with paging links and `_include`d resources. */
import { relativeReference, SEARCH_PARAMS } from './search-params.js';
import type { DirectoryType, Resource } from './search-params.js';
import type { ParsedQuery } from './parse-query.js';
import type { DirectoryStore, SearchPage } from '../storage/types.js';

function pageUrl(base: string, type: string, search: URLSearchParams, offset: number): string {
  const params = new URLSearchParams();
  for (const [k, v] of search) if (k !== '_offset') params.append(k, v);
  if (offset > 0) params.append('_offset', String(offset));
  const query = params.toString();
  return `${base}/${type}${query ? `?${query}` : ''}`;
}

/** The searchset Bundle for a page: matches, `_include`d resources, self/first/previous/next links. */
export async function searchBundle(store: DirectoryStore, base: string, parsed: ParsedQuery, page: SearchPage, search: URLSearchParams, selfUrl: string): Promise<Resource> {
  const { query } = parsed;
  const link = [{ relation: 'self', url: selfUrl }];
  if (query.offset > 0) {
    link.push({ relation: 'first', url: pageUrl(base, query.type, search, 0) });
    link.push({ relation: 'previous', url: pageUrl(base, query.type, search, Math.max(0, query.offset - query.count)) });
  }
  if (page.more) link.push({ relation: 'next', url: pageUrl(base, query.type, search, query.offset + query.count) });

  const seen = new Set(page.resources.map((r) => `${r.resourceType}/${r.id}`));
  const wanted: { type: DirectoryType; id: string }[] = [];
  for (const include of parsed.includes) {
    const def = SEARCH_PARAMS[include.source][include.param]!;
    for (const resource of page.resources) {
      for (const term of def.extract(resource)) {
        const ref = relativeReference(term.value);
        if (ref === undefined || seen.has(ref)) continue;
        const [type, id] = ref.split('/') as [DirectoryType, string];
        if (!def.targets?.includes(type)) continue;
        seen.add(ref);
        wanted.push({ type, id });
      }
    }
  }
  const included = wanted.length ? await store.getMany(wanted) : [];
  const entry = [
    ...page.resources.map((resource) => ({ fullUrl: `${base}/${resource.resourceType}/${resource.id}`, resource, search: { mode: 'match' } })),
    ...included.map((resource) => ({ fullUrl: `${base}/${resource.resourceType}/${resource.id}`, resource, search: { mode: 'include' } })),
  ];
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(page.total !== undefined ? { total: page.total } : {}),
    link,
    entry,
  };
}

/** An OperationOutcome with one issue. */
export function operationOutcome(code: string, diagnostics: string, severity: 'error' | 'fatal' = 'error'): Resource {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, diagnostics }] };
}
