import { sql, type Expression, type SqlBool } from 'kysely';
import type { DialectName } from '../../store/index.js';

/**
 * The few places where search SQL differs between SQLite and PostgreSQL.
 *
 * Pattern semantics are MLflow's on both engines: LIKE is case-sensitive (the SQLite connection
 * runs with `PRAGMA case_sensitive_like = ON`), ILIKE is not, and `\` escapes `%` and `_` (the
 * PostgreSQL default, made explicit so SQLite agrees).
 */
export function like(column: Expression<unknown>, pattern: string): Expression<SqlBool> {
  return sql<SqlBool>`${column} like ${pattern} escape '\\'`;
}

export function ilike(dialect: DialectName, column: Expression<unknown>, pattern: string): Expression<SqlBool> {
  if (dialect === 'postgres') return sql<SqlBool>`${column} ilike ${pattern} escape '\\'`;
  // SQLite's lower() folds ASCII only; PostgreSQL's ILIKE folds all of Unicode.
  return sql<SqlBool>`lower(${column}) like lower(${pattern}) escape '\\'`;
}

/** Byte-order string sorting on both engines, whatever collation the PostgreSQL database uses. */
export function binaryCollation(dialect: DialectName): string {
  return dialect === 'postgres' ? 'C' : 'binary';
}
