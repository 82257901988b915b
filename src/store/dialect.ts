import SQLite from 'better-sqlite3';
import {
  Kysely,
  PostgresAdapter,
  PostgresDialect,
  SqliteAdapter,
  SqliteDialect,
  type Dialect,
  type SqliteDatabase,
  type SqliteStatement,
} from 'kysely';
import type pg from 'pg';
import type { Schema } from './schema.js';
import type { DatabaseLocation, DialectName } from '../common/database-location.js';
import { translatingStoreErrors } from './storage-errors.js';
import { requireOnFirstUse } from '../common/on-first-use.js';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';

export type { DatabaseLocation, DialectName } from '../common/database-location.js';

const SQLITE_BUSY_TIMEOUT_MS = 5000;

const PG_INT8 = 20;
const PG_NUMERIC = 1700;

/**
 * The only place that knows how each engine is opened. Everything else speaks Kysely.
 * PostgreSQL returns bigint as strings by default; our bigints are epoch millis and steps, which fit
 * in a double, so they are parsed to numbers here (per pool, never globally).
 */
export function createDialect(location: DatabaseLocation): Dialect {
  return translatingStoreErrors(engineDialect(location));
}

function engineDialect(location: DatabaseLocation): Dialect {
  if (location.dialect === 'postgres') {
    // Loaded only for a PostgreSQL store: an embedded one never pays for it.
    const { Pool, types } = requireOnFirstUse('pg') as typeof pg;
    const pool = new Pool({
      connectionString: location.url,
      max: 10,
      ...(location.lockTimeoutMs === undefined ? {} : { lock_timeout: location.lockTimeoutMs }),
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
          if (oid === PG_INT8 || oid === PG_NUMERIC) return (value: string) => Number(value);
          return types.getTypeParser(oid, format) as (value: string) => unknown;
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
  sqlite.pragma(`busy_timeout = ${Math.trunc(location.lockTimeoutMs ?? SQLITE_BUSY_TIMEOUT_MS)}`);
  // MLflow's LIKE is case-sensitive and ILIKE is not; SQLite's LIKE is case-insensitive unless told.
  sqlite.pragma('case_sensitive_like = ON');
  // Checkpoints run on a thread of their own, past the same 1,000 frames (sqlite-checkpointer.ts); the writer's
  // own would run inside commits, on the event loop. Raised rather than turned off: if that thread falls behind
  // or cannot open the file, the WAL still stops growing at ~80 MB.
  sqlite.pragma('wal_autocheckpoint = 20000');
  const checkpointer = new SqliteCheckpointer(location.file, () => sqlite.pragma('wal_autocheckpoint = 1000'));
  return new SqliteDialect({ database: cachingStatements(sqlite, checkpointer) });
}

const STATEMENT_CACHE_SIZE = 256;

/**
 * Stands for ROLLBACK when SQLite has already rolled the transaction back by itself, as it does
 * after SQLITE_FULL and some I/O errors: a real ROLLBACK would then fail with "cannot rollback -
 * no transaction is active", and Kysely would throw that instead of the error that mattered.
 */
const ALREADY_ROLLED_BACK: SqliteStatement = {
  reader: false,
  all: () => [],
  run: () => ({ changes: 0, lastInsertRowid: 0 }),
  iterate: () => [][Symbol.iterator](),
};

/**
 * Kysely prepares every query anew; SQLite's prepare is a real cost for the same statements run
 * thousands of times (a 1000-row metric insert is one of them). Statements are reused by SQL text,
 * except one still being iterated, which SQLite cannot run twice at once.
 */
function cachingStatements(database: SQLite.Database, checkpointer: SqliteCheckpointer): SqliteDatabase {
  const cache = new Map<string, SqliteStatement & { readonly busy: boolean }>();
  return {
    close: () => {
      checkpointer.close();
      database.close();
    },
    prepare(text: string) {
      // Kysely opens transactions with a plain (deferred) BEGIN. In WAL mode a deferred transaction
      // that reads and then writes fails at once with SQLITE_BUSY when another process (a pipeline
      // step logging to the same file) committed in between: busy_timeout does not apply to that
      // upgrade. BEGIN IMMEDIATE takes the write lock up front, where busy_timeout waits.
      if (text === 'rollback' && !database.inTransaction) return ALREADY_ROLLED_BACK;
      const sqlText = text === 'begin' ? 'begin immediate' : text;
      const cached = cache.get(sqlText);
      if (cached && !cached.busy) {
        cache.delete(sqlText);
        cache.set(sqlText, cached);
        return cached;
      }
      const statement = notifyingCommits(database, database.prepare(sqlText), checkpointer);
      cache.set(sqlText, statement);
      if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      return statement;
    },
  };
}

/** A statement that tells the checkpointer when its write is committed (COMMIT, or a write outside a transaction). */
function notifyingCommits(
  database: SQLite.Database,
  statement: SQLite.Statement,
  checkpointer: SqliteCheckpointer,
): SqliteStatement & { readonly busy: boolean } {
  if (statement.reader) return statement;
  return {
    reader: false,
    get busy() {
      return statement.busy;
    },
    all: (parameters) => statement.all(parameters),
    iterate: (parameters) => statement.iterate(parameters),
    run: (parameters) => {
      const result = statement.run(parameters);
      if (!database.inTransaction) checkpointer.committed();
      return result;
    },
  };
}

export function openKysely(location: DatabaseLocation): Kysely<Schema> {
  return new Kysely<Schema>({ dialect: createDialect(location) });
}

export { parseDatabaseLocation } from '../common/database-location.js';

/** Which engine a Kysely instance (or transaction) talks to, for the few queries that differ. */
export function dialectOf<DB>(db: Kysely<DB>): DialectName {
  // Kysely exposes the adapter only through getExecutor(); it is the one reliable signal.
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) return 'postgres';
  if (adapter instanceof SqliteAdapter) return 'sqlite';
  throw new Error(`Ciclo supports SQLite and PostgreSQL, not ${adapter.constructor.name}`);
}
