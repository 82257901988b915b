import { sqlIdentifier, sqlString } from '../duckdb.js';
import type { ColumnSchema } from '../types.js';
import type { Bound, Expectation, SetValue } from './suite.js';

/**
 * The SQL of each column check: the predicate a failing row matches and the aggregate items that
 * decide it, so that `run.ts` can put every check's items in one `SELECT … FROM data` scan.
 */

/** One output of the shared aggregate query: `expression AS alias`. */
export interface AggregateItem {
  alias: string;
  expression: string;
}

/** Kinds decided by the shared aggregate scan. */
export type AggregateExpectation = Extract<
  Expectation,
  { kind: 'not_null' | 'unique' | 'between' | 'in_set' | 'regex' | 'row_count' | 'fresh_within' }
>;

export function isAggregate(expectation: Expectation): expectation is AggregateExpectation {
  return ['not_null', 'unique', 'between', 'in_set', 'regex', 'row_count', 'fresh_within'].includes(expectation.kind);
}

/** The alias every item of expectation `index` starts with, so results map back without guessing. */
export const itemAlias = (index: number, what: string) => `e${index}_${what}`;

/** `WHERE` text matching the rows that fail a row-level check (nulls only ever fail `not_null`). */
export function failingPredicate(expectation: AggregateExpectation): string | undefined {
  if (expectation.kind === 'row_count' || expectation.kind === 'fresh_within' || expectation.kind === 'unique')
    return undefined;
  const column = sqlIdentifier(expectation.column);
  switch (expectation.kind) {
    case 'not_null':
      return `${column} IS NULL`;
    case 'between': {
      const outside = [
        ...(expectation.min === undefined ? [] : [`${column} < ${sqlLiteral(expectation.min)}`]),
        ...(expectation.max === undefined ? [] : [`${column} > ${sqlLiteral(expectation.max)}`]),
      ];
      return `${column} IS NOT NULL AND (${outside.join(' OR ')})`;
    }
    case 'in_set':
      return `${column} IS NOT NULL AND ${column} NOT IN (${expectation.values.map(sqlLiteral).join(', ')})`;
    case 'regex':
      // Search semantics (like grep): the suite anchors with ^…$ when it means the whole value.
      return (
        `${column} IS NOT NULL AND ` +
        `NOT regexp_matches(CAST(${column} AS VARCHAR), ${sqlString(expectation.pattern)})`
      );
  }
}

/** The aggregate items deciding one expectation, aliased by its index. */
export function aggregateItems(
  expectation: AggregateExpectation,
  index: number,
  schema: ColumnSchema[],
): AggregateItem[] {
  const item = (what: string, expression: string) => ({ alias: itemAlias(index, what), expression });
  if (expectation.kind === 'row_count') return [item('rows', 'count(*)')];
  const column = sqlIdentifier(expectation.column);
  switch (expectation.kind) {
    case 'unique':
      // Rows repeating an earlier value: the count a GROUP BY would give, without one.
      return [
        item('failing', `count(${column}) - count(DISTINCT ${column})`),
        item('distinct', `count(DISTINCT ${column})`),
      ];
    case 'between':
      return [
        item('failing', `count(*) FILTER (WHERE ${failingPredicate(expectation)})`),
        item('min', `min(${column})`),
        item('max', `max(${column})`),
      ];
    case 'fresh_within': {
      const type = schema.find((entry) => entry.name === expectation.column)?.type.toUpperCase() ?? '';
      // A TIMESTAMPTZ is an instant already; anything else is cast, and a naive timestamp reads as UTC.
      const instant = type.includes('TIME ZONE') ? `max(${column})` : `CAST(max(${column}) AS TIMESTAMP)`;
      return [item('max', `max(${column})`), item('max_ms', `epoch_ms(${instant})`)];
    }
    default:
      return [item('failing', `count(*) FILTER (WHERE ${failingPredicate(expectation)})`)];
  }
}

/** A literal for a suite value; numbers and booleans stay typed so DuckDB compares them as such. */
export function sqlLiteral(value: Bound | SetValue): string {
  if (typeof value === 'string') return sqlString(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  return String(value);
}

const TYPE_ALIASES: Record<string, string> = {
  INT: 'INTEGER',
  INT4: 'INTEGER',
  SIGNED: 'INTEGER',
  INT8: 'BIGINT',
  LONG: 'BIGINT',
  INT2: 'SMALLINT',
  SHORT: 'SMALLINT',
  INT1: 'TINYINT',
  STRING: 'VARCHAR',
  TEXT: 'VARCHAR',
  CHAR: 'VARCHAR',
  BPCHAR: 'VARCHAR',
  FLOAT8: 'DOUBLE',
  FLOAT4: 'FLOAT',
  REAL: 'FLOAT',
  BOOL: 'BOOLEAN',
  LOGICAL: 'BOOLEAN',
  DATETIME: 'TIMESTAMP',
  TIMESTAMPTZ: 'TIMESTAMP WITH TIME ZONE',
};

/** DuckDB's name for a type as people write it (`int`, `text`, `varchar(20)` → INTEGER, VARCHAR, VARCHAR). */
export function canonicalType(type: string): string {
  const upper = type.trim().toUpperCase().replace(/\s+/g, ' ');
  const withoutLength = /^(VARCHAR|CHAR|BPCHAR|STRING|TEXT)\s*\(\s*\d+\s*\)$/.exec(upper)?.[1] ?? upper;
  return TYPE_ALIASES[withoutLength] ?? withoutLength;
}

const NUMERIC = /^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|FLOAT|DOUBLE|DECIMAL(\(.*\))?)$/;
const TEMPORAL = /^(DATE|TIMESTAMP.*)$/;

export const isNumericType = (type: string) => NUMERIC.test(canonicalType(type));
export const isTemporalType = (type: string) => TEMPORAL.test(canonicalType(type));
