/**
 * The DirectoryStore logic, written once in the SQL both SQLite and PostgreSQL accept, over a
 * small executor (`?` placeholders; the PostgreSQL executor numbers them). The two engines differ
 * only in how they connect, lock and run a transaction (storage/sqlite.ts, storage/postgres.ts).
 */
import { CHAINS, indexTerms, isDirectoryType, SEARCH_PARAMS } from '../internal/search-params.js';
import type { DirectoryType, Resource } from '../internal/search-params.js';
import { DIRECTORY_MIGRATIONS } from './migrations.js';
import type { DirectoryStore, Filter, SearchPage, SearchQuery } from './types.js';

/** What the store needs from an engine: queries with `?` placeholders, transactions, scripts. */
export interface SqlExecutor {
  all<T>(sql: string, params?: unknown[]): Promise<T[]>;
  run(sql: string, params?: unknown[]): Promise<number>;
  /** Runs `fn` in one transaction on one connection; serialised against other transactions. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Runs a multi-statement script (migrations). */
  script(sql: string): Promise<void>;
  close(): Promise<void>;
}

// Largest code point: every string that starts with a prefix sorts below prefix + this (binary order).
const TOP = '\u{10FFFF}';
const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;
const ROWS_PER_INSERT = 100;
/** Rows counted per filter when choosing which filter drives a multi-parameter search. */
const ESTIMATE_CAP = 5000;

interface ChainOut {
  source: DirectoryType;
  refParam: string;
  params: string[];
}

/** For each target type, the (source type, reference parameter) pairs that copy its terms. */
const CHAINS_OUT = new Map<DirectoryType, ChainOut[]>();
for (const [source, chains] of Object.entries(CHAINS) as [DirectoryType, Record<string, { target: DirectoryType; params: string[] }>][]) {
  for (const [refParam, chain] of Object.entries(chains)) {
    const list = CHAINS_OUT.get(chain.target) ?? [];
    list.push({ source, refParam, params: chain.params });
    CHAINS_OUT.set(chain.target, list);
  }
}

const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

function condition(filter: Filter, alias: string, params: unknown[]): string {
  const parts: string[] = [];
  for (const alt of filter.alternatives) {
    const own: string[] = [];
    if (alt.value !== undefined) {
      if (filter.match === 'prefix') {
        own.push(`${alias}.value >= ? AND ${alias}.value < ?`);
        params.push(alt.value, alt.value + TOP);
      } else if (filter.match === 'contains') {
        // Normalised values hold only letters, digits and spaces: no LIKE wildcard to escape.
        own.push(`${alias}.value LIKE ?`);
        params.push(`%${alt.value}%`);
      } else {
        own.push(`${alias}.value = ?`);
        params.push(alt.value);
      }
    }
    if (alt.system !== undefined) {
      own.push(`${alias}.system = ?`);
      params.push(alt.system);
    }
    parts.push(own.length ? `(${own.join(' AND ')})` : '1 = 1');
  }
  return parts.length ? `(${parts.join(' OR ')})` : '1 = 0';
}

const selectivity = (filter: Filter): number => (filter.match === 'exact' ? 0 : filter.match === 'prefix' ? 1 : 2);

/** The DirectoryStore over an engine's executor (open it with openSqliteDirectoryStore / openPostgresDirectoryStore). */
export class SqlDirectoryStore implements DirectoryStore {
  readonly kind: 'sqlite' | 'postgres';
  readonly #db: SqlExecutor;
  readonly #collate: string;
  readonly #migrateLock: ((tx: SqlExecutor) => Promise<void>) | undefined;

  constructor(kind: 'sqlite' | 'postgres', db: SqlExecutor, options: { collate: string; migrateLock?: (tx: SqlExecutor) => Promise<void> }) {
    this.kind = kind;
    this.#db = db;
    this.#collate = options.collate;
    this.#migrateLock = options.migrateLock;
  }

  async migrate(): Promise<void> {
    await this.#db.script('CREATE TABLE IF NOT EXISTS dir_schema (version INTEGER NOT NULL)');
    for (let version = 1; version <= DIRECTORY_MIGRATIONS.length; version++) {
      await this.#db.transaction(async (tx) => {
        await this.#migrateLock?.(tx);
        const [row] = await tx.all<{ v: number | null }>('SELECT MAX(version) AS v FROM dir_schema');
        if (Number(row?.v ?? 0) >= version) return;
        await tx.script(DIRECTORY_MIGRATIONS[version - 1]!.replaceAll('{{C}}', this.#collate));
        await tx.run('INSERT INTO dir_schema (version) VALUES (?)', [version]);
      });
    }
  }

  async put(resources: Resource[]): Promise<Resource[]> {
    for (const resource of resources) {
      if (!isDirectoryType(resource.resourceType)) throw new RangeError(`the directory does not hold ${String(resource.resourceType)} resources`);
      if (typeof resource.id !== 'string' || !ID_PATTERN.test(resource.id)) throw new RangeError(`invalid resource id '${String(resource.id)}'`);
    }
    return this.#db.transaction(async (tx) => {
      const out: Resource[] = [];
      for (const resource of resources) out.push(await this.#putOne(tx, resource));
      return out;
    });
  }

  async #putOne(tx: SqlExecutor, input: Resource): Promise<Resource> {
    const type = input.resourceType as DirectoryType;
    const id = input.id!;
    const [existing] = await tx.all<{ version_id: number }>('SELECT version_id FROM dir_resources WHERE type = ? AND id = ?', [type, id]);
    const versionId = Number(existing?.version_id ?? 0) + 1;
    const lastUpdated = new Date().toISOString();
    const meta = typeof input.meta === 'object' && input.meta !== null ? (input.meta as Record<string, unknown>) : {};
    const resource: Resource = { ...input, meta: { ...meta, versionId: String(versionId), lastUpdated } };
    const body = JSON.stringify(resource);
    if (existing) {
      await tx.run('UPDATE dir_resources SET version_id = ?, last_updated = ?, body = ? WHERE type = ? AND id = ?', [versionId, lastUpdated, body, type, id]);
      await tx.run('DELETE FROM dir_index WHERE type = ? AND id = ?', [type, id]);
    } else {
      await tx.run('INSERT INTO dir_resources (type, id, version_id, last_updated, body) VALUES (?, ?, ?, ?, ?)', [type, id, versionId, lastUpdated, body]);
    }
    const terms = indexTerms(resource);
    for (let i = 0; i < terms.length; i += ROWS_PER_INSERT) {
      const slice = terms.slice(i, i + ROWS_PER_INSERT);
      const params: unknown[] = [];
      for (const { param, term } of slice) params.push(type, id, param, term.value, term.system);
      await tx.run(`INSERT INTO dir_index (type, id, param, value, system) VALUES ${slice.map(() => '(?, ?, ?, ?, ?)').join(', ')}`, params);
    }
    // Chained terms this resource copies from what it references.
    for (const [refParam, chain] of Object.entries(CHAINS[type] ?? {})) {
      for (const { param, term } of terms) {
        if (param !== refParam || !term.value.startsWith(`${chain.target}/`)) continue;
        await tx.run(
          `INSERT INTO dir_index (type, id, param, value, system) SELECT ?, ?, ? || t.param, t.value, t.system FROM dir_index t WHERE t.type = ? AND t.id = ? AND t.param IN (${placeholders(chain.params.length)})`,
          [type, id, `${refParam}.`, chain.target, term.value.slice(chain.target.length + 1), ...chain.params],
        );
      }
    }
    // Chained copies of this resource held by the resources that reference it.
    for (const out of CHAINS_OUT.get(type) ?? []) await this.#refreshChains(tx, out, type, id);
    return resource;
  }

  async #refreshChains(tx: SqlExecutor, out: ChainOut, type: DirectoryType, id: string): Promise<void> {
    const ref = `${type}/${id}`;
    const chained = out.params.map((p) => `${out.refParam}.${p}`);
    await tx.run(
      `DELETE FROM dir_index WHERE type = ? AND param IN (${placeholders(chained.length)}) AND id IN (SELECT s.id FROM dir_index s WHERE s.type = ? AND s.param = ? AND s.value = ?)`,
      [out.source, ...chained, out.source, out.refParam, ref],
    );
    await tx.run(
      `INSERT INTO dir_index (type, id, param, value, system) SELECT s.type, s.id, ? || t.param, t.value, t.system FROM dir_index s JOIN dir_index t ON t.type = ? AND t.id = ? AND t.param IN (${placeholders(out.params.length)}) WHERE s.type = ? AND s.param = ? AND s.value = ?`,
      [`${out.refParam}.`, type, id, ...out.params, out.source, out.refParam, ref],
    );
  }

  async get(type: DirectoryType, id: string): Promise<Resource | undefined> {
    const [row] = await this.#db.all<{ body: string }>('SELECT body FROM dir_resources WHERE type = ? AND id = ?', [type, id]);
    return row ? (JSON.parse(row.body) as Resource) : undefined;
  }

  async getMany(refs: { type: DirectoryType; id: string }[]): Promise<Resource[]> {
    const out: Resource[] = [];
    const byType = new Map<DirectoryType, string[]>();
    for (const ref of refs) byType.set(ref.type, [...(byType.get(ref.type) ?? []), ref.id]);
    for (const [type, ids] of byType) {
      const unique = [...new Set(ids)];
      for (let i = 0; i < unique.length; i += 500) {
        const slice = unique.slice(i, i + 500);
        const rows = await this.#db.all<{ id: string; body: string }>(`SELECT id, body FROM dir_resources WHERE type = ? AND id IN (${placeholders(slice.length)})`, [type, ...slice]);
        const found = new Map(rows.map((r) => [r.id, r.body]));
        for (const id of slice) {
          const body = found.get(id);
          if (body !== undefined) out.push(JSON.parse(body) as Resource);
        }
      }
    }
    return out;
  }

  async delete(type: DirectoryType, id: string): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const changes = await tx.run('DELETE FROM dir_resources WHERE type = ? AND id = ?', [type, id]);
      await tx.run('DELETE FROM dir_index WHERE type = ? AND id = ?', [type, id]);
      for (const out of CHAINS_OUT.get(type) ?? []) await this.#refreshChains(tx, out, type, id);
      return changes > 0;
    });
  }

  async count(type: DirectoryType): Promise<number> {
    const [row] = await this.#db.all<{ n: number | string }>('SELECT COUNT(*) AS n FROM dir_resources WHERE type = ?', [type]);
    return Number(row?.n ?? 0);
  }

  async search(query: SearchQuery): Promise<SearchPage> {
    const ids = query.filters.filter((f) => f.param === '_id');
    const indexed = query.filters.filter((f) => f.param !== '_id').sort((a, b) => selectivity(a) - selectivity(b));
    for (const f of indexed) {
      const base = f.param.split('.')[0]!;
      if (SEARCH_PARAMS[query.type][base] === undefined) throw new RangeError(`unknown search parameter ${f.param}`);
    }
    const idCondition = (alias: string, params: unknown[]): string => {
      const parts = ids.map((f) => {
        const values = f.alternatives.map((a) => a.value ?? '');
        params.push(...values);
        return `${alias}.id IN (${placeholders(values.length)})`;
      });
      return parts.length ? ` AND ${parts.join(' AND ')}` : '';
    };

    let orderedIds: string[];
    let more: boolean;
    let total: number | undefined;
    const want = query.offset + query.count + 1;
    // With several filters, drive the scan with the most selective one: count each filter's rows
    // up to a cap (a bounded index range read) and start from the smallest. "smi… in Kavelo"
    // then walks Kavelo's few hundred roles, not every Smith in the country.
    if (indexed.length > 1) {
      const estimates = new Map<Filter, number>();
      for (const f of indexed) {
        const params: unknown[] = [query.type, f.param];
        const cond = condition(f, 'i', params);
        const [row] = await this.#db.all<{ n: number | string }>(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM dir_index i WHERE i.type = ? AND i.param = ? AND ${cond} LIMIT ${ESTIMATE_CAP}) AS capped`, params);
        estimates.set(f, Number(row?.n ?? 0));
      }
      indexed.sort((a, b) => estimates.get(a)! - estimates.get(b)!);
    }
    const [driving, ...rest] = indexed;
    if (!driving) {
      const params: unknown[] = [query.type];
      const where = `r.type = ?${idCondition('r', params)}`;
      const rows = await this.#db.all<{ id: string }>(`SELECT r.id FROM dir_resources r WHERE ${where} ORDER BY r.id LIMIT ? OFFSET ?`, [...params, query.count + 1, query.offset]);
      orderedIds = rows.slice(0, query.count).map((r) => r.id);
      more = rows.length > query.count;
      if (query.total) {
        const [row] = await this.#db.all<{ n: number | string }>(`SELECT COUNT(*) AS n FROM dir_resources r WHERE ${where}`, params);
        total = Number(row?.n ?? 0);
      }
    } else {
      const params: unknown[] = [query.type, driving.param];
      let where = `i.type = ? AND i.param = ? AND ${condition(driving, 'i', params)}`;
      for (const f of rest) {
        params.push(f.param);
        where += ` AND EXISTS (SELECT 1 FROM dir_index j WHERE j.type = i.type AND j.id = i.id AND j.param = ? AND ${condition(f, 'j', params)})`;
      }
      where += idCondition('i', params);
      // One resource can match through several rows (word suffixes, several names): fetch rows in
      // index order, de-duplicate, and widen the window until the page (plus one) is full.
      let limit = want * 2 + 8;
      let unique: string[];
      for (;;) {
        const rows = await this.#db.all<{ id: string }>(`SELECT i.id FROM dir_index i WHERE ${where} ORDER BY i.value, i.id LIMIT ?`, [...params, limit]);
        unique = [...new Set(rows.map((r) => r.id))];
        if (unique.length >= want || rows.length < limit) break;
        limit *= 4;
      }
      orderedIds = unique.slice(query.offset, query.offset + query.count);
      more = unique.length > query.offset + query.count;
      if (query.total) {
        const [row] = await this.#db.all<{ n: number | string }>(`SELECT COUNT(DISTINCT i.id) AS n FROM dir_index i WHERE ${where}`, params);
        total = Number(row?.n ?? 0);
      }
    }
    const resources = await this.getMany(orderedIds.map((id) => ({ type: query.type, id })));
    return total === undefined ? { resources, more } : { resources, more, total };
  }

  close(): Promise<void> {
    return this.#db.close();
  }
}
