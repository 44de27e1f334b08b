/**
 * DirectoryStore: the directory's own storage, separate from the relay's mailbox store (a directory
 * can be imported and served without any mailbox). SQLite and PostgreSQL implement it with the
 * same SQL (storage/sql-store.ts) over a small executor; test/directory/store-contract.ts runs one
 * contract suite against both.
 */
import type { DirectoryType, Resource } from '../internal/search-params.js';

/** How a string filter compares: prefix of any word (default), whole value, or substring. */
export type MatchMode = 'prefix' | 'exact' | 'contains';

/** One search parameter: any alternative matches (FHIR comma = OR). */
export interface Filter {
  /** Parameter name, possibly chained (`practitioner.name`). `_id` matches the resource id. */
  param: string;
  match: MatchMode;
  /** For tokens, `system` (when given) must match too; `value` undefined means "any value in system". */
  alternatives: { value?: string; system?: string }[];
}

/** A search as the store runs it (built by parseQuery from the FHIR query string). */
export interface SearchQuery {
  type: DirectoryType;
  /** All must match (FHIR: repeated parameters = AND). */
  filters: Filter[];
  /** Page size, 1..1000. */
  count: number;
  offset: number;
  /** Also count all matches (slower: every match is visited). */
  total?: boolean;
}

/** One page of matches. */
export interface SearchPage {
  resources: Resource[];
  /** True when more matches follow this page. */
  more: boolean;
  total?: number;
}

/** Storage of directory resources and their search index. */
export interface DirectoryStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies pending schema migrations (idempotent, safe from several processes on PostgreSQL). */
  migrate(): Promise<void>;
  /**
   * Creates or replaces resources (each needs `resourceType` and `id`), re-indexing them and the
   * chained copies held by resources that reference them. One transaction for the whole batch.
   * Sets `meta.versionId` / `meta.lastUpdated`. Returns the stored resources.
   */
  put(resources: Resource[]): Promise<Resource[]>;
  get(type: DirectoryType, id: string): Promise<Resource | undefined>;
  getMany(refs: { type: DirectoryType; id: string }[]): Promise<Resource[]>;
  delete(type: DirectoryType, id: string): Promise<boolean>;
  search(query: SearchQuery): Promise<SearchPage>;
  /** Number of resources of a type. */
  count(type: DirectoryType): Promise<number>;
  close(): Promise<void>;
}
