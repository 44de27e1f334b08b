/**
 * Directory schema versions, applied in order, each in its own transaction. Never edit a shipped
 * migration; append a new one. `{{C}}` is replaced by the binary collation clause (PostgreSQL
 * needs `COLLATE "C"` for prefix range scans on a btree; SQLite compares bytes already).
 *
 * dir_index holds one row per (resource, parameter, value): names normalised and split into word
 * suffixes, tokens with their system, references as `Type/id`, and chained copies (`practitioner.name`).
 * Its primary access path (type, param, value, id) serves prefix typeahead, exact tokens and
 * reference lookups as one range scan.
 */
export const DIRECTORY_MIGRATIONS: string[] = [
  `CREATE TABLE dir_resources (type TEXT NOT NULL, id TEXT NOT NULL, version_id INTEGER NOT NULL, last_updated TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (type, id));
   CREATE TABLE dir_index (type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL, value TEXT {{C}} NOT NULL, system TEXT NOT NULL);
   CREATE INDEX dir_index_search ON dir_index (type, param, value, id);
   CREATE INDEX dir_index_owner ON dir_index (type, id);`,
  // The second filter of a search is an EXISTS probe per candidate: with (type, id, param, value)
  // it is one seek. On (type, id) alone the planners preferred the search index's value range
  // instead, scanning every "smith" row for each candidate (name + suburb p95 0.3-0.5 s at 500k roles).
  `DROP INDEX dir_index_owner;
   CREATE INDEX dir_index_owner ON dir_index (type, id, param, value);`,
];
