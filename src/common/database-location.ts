/**
 * Where the metadata store is, as configuration names it. It lives in common/ because the
 * configuration reads it; the store (src/store/dialect.ts) is the one place that opens it.
 */
export type DialectName = 'sqlite' | 'postgres';

/**
 * Where the metadata lives: a PostgreSQL URL, or a SQLite file path. `lockTimeoutMs`: how long a
 * statement waits for another writer's lock before failing with STORE_BUSY (SQLite's busy_timeout,
 * default 5 s; PostgreSQL's lock_timeout, default none: it waits).
 */
export type DatabaseLocation =
  | { dialect: 'postgres'; url: string; lockTimeoutMs?: number }
  | { dialect: 'sqlite'; file: string; lockTimeoutMs?: number };

/** CICLO_DATABASE_URL (`postgres://…`, `sqlite:PATH`) or, when unset, the SQLite file in the home. */
export function parseDatabaseLocation(url: string | undefined, defaultSqliteFile: string): DatabaseLocation {
  if (!url) return { dialect: 'sqlite', file: defaultSqliteFile };
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { dialect: 'postgres', url };
  if (url.startsWith('sqlite:')) return { dialect: 'sqlite', file: url.slice('sqlite:'.length).replace(/^\/\//, '') };
  throw new Error(
    `CICLO_DATABASE_URL must start with postgres://, postgresql:// or sqlite: (got "${url.split(':')[0]}:…")`,
  );
}
