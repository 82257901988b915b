import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type Dialect } from 'kysely';
import pg from 'pg';
import type { Schema } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

/** Where the metadata lives: a PostgreSQL URL, or a SQLite file path. */
export type DatabaseLocation = { dialect: 'postgres'; url: string } | { dialect: 'sqlite'; file: string };

const PG_INT8 = 20;
const PG_NUMERIC = 1700;

/**
 * The only place that knows how each engine is opened. Everything else speaks Kysely.
 * PostgreSQL returns bigint as strings by default; our bigints are epoch millis and steps, which fit
 * in a double, so they are parsed to numbers here (per pool, never globally).
 */
export function createDialect(location: DatabaseLocation): Dialect {
  if (location.dialect === 'postgres') {
    const pool = new pg.Pool({
      connectionString: location.url,
      max: 10,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
          if (oid === PG_INT8 || oid === PG_NUMERIC) return (value: string) => Number(value);
          return pg.types.getTypeParser(oid, format);
        }) as typeof pg.types.getTypeParser,
      },
    });
    // An idle connection the server closes (restart, dropped database) must not crash the process;
    // the pool replaces it, and the next query reports any real outage.
    pool.on('error', () => undefined);
    return new PostgresDialect({ pool });
  }
  const sqlite = new SQLite(location.file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  // MLflow's LIKE is case-sensitive and ILIKE is not; SQLite's LIKE is case-insensitive unless told.
  sqlite.pragma('case_sensitive_like = ON');
  return new SqliteDialect({ database: sqlite });
}

export function openKysely(location: DatabaseLocation): Kysely<Schema> {
  return new Kysely<Schema>({ dialect: createDialect(location) });
}

export function parseDatabaseLocation(url: string | undefined, defaultSqliteFile: string): DatabaseLocation {
  if (!url) return { dialect: 'sqlite', file: defaultSqliteFile };
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { dialect: 'postgres', url };
  if (url.startsWith('sqlite:')) return { dialect: 'sqlite', file: url.slice('sqlite:'.length).replace(/^\/\//, '') };
  throw new Error(
    `CICLO_DATABASE_URL must start with postgres://, postgresql:// or sqlite: (got "${url.split(':')[0]}:…")`,
  );
}
