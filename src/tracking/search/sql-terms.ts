/**
 * SQL pieces shared by the runs and experiments searches. Values are always bound parameters;
 * only operators from the fixed comparator set reach the SQL text.
 */
import { expressionBuilder, sql, type Expression, type OrderByItemBuilder, type SqlBool } from 'kysely';
import type { DialectName } from '../../store/index.js';
import type { ListComparison, NumericComparator, SortDirection, StringComparison } from './ast.js';
import { ilike, like } from './sql-dialect.js';

const eb = expressionBuilder();

export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

/** The lifecycle_stage a view shows, or undefined for ALL. */
export function lifecycleStageOf(viewType: ViewType | undefined): 'active' | 'deleted' | undefined {
  if (viewType === 'ALL') return undefined;
  return viewType === 'DELETED_ONLY' ? 'deleted' : 'active';
}

export function sortDirection(item: OrderByItemBuilder, direction: SortDirection): OrderByItemBuilder {
  return direction === 'DESC' ? item.desc() : item.asc();
}

export function numberCondition(
  column: Expression<number | null>,
  comparator: NumericComparator,
  value: number,
): Expression<SqlBool> {
  return eb(column, comparator, value);
}

/**
 * Integer columns (epoch millis) compare against the bound number directly, so PostgreSQL can use
 * their indexes; a fractional or huge number would not parse as a bigint parameter, so the column
 * is compared as a double instead.
 */
export function integerColumnCondition(
  column: Expression<number | null>,
  comparator: NumericComparator,
  value: number,
): Expression<SqlBool> {
  if (Number.isSafeInteger(value)) return eb(column, comparator, value);
  return eb(sql<number>`cast(${column} as double precision)`, comparator, value);
}

export function stringCondition(
  column: Expression<string | null>,
  condition: StringComparison<unknown> | ListComparison<unknown>,
  dialect: DialectName,
): Expression<SqlBool> {
  switch (condition.comparator) {
    case '=':
    case '!=':
      return eb(column, condition.comparator, condition.value);
    case 'LIKE':
      return like(column, condition.value);
    case 'ILIKE':
      return ilike(dialect, column, condition.value);
    case 'IN':
      return eb(column, 'in', condition.values);
    case 'NOT IN':
      return eb(column, 'not in', condition.values);
  }
}
