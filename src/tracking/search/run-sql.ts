import { sql, type Expression, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { DialectName, Schema } from '../../store/index.js';
import type { RunCondition, RunFilter, RunOrderTerm, SortDirection, StringRunAttribute } from './ast.js';
import { binaryCollation } from './sql-dialect.js';
import {
  integerColumnCondition,
  lifecycleStageOf,
  numberCondition,
  sortDirection,
  stringCondition,
  type ViewType,
} from './sql-terms.js';

/** What a runs search asks for, parsed. */
export interface RunSearch {
  db: Kysely<Schema>;
  dialect: DialectName;
  experimentIds: readonly number[];
  viewType: ViewType | undefined;
  filter: RunFilter;
  orderBy: RunOrderTerm[];
}

export type KeyValueTable = 'latest_metrics' | 'params' | 'tags';

/** Only rows up to `value` in the scan direction; undefined when the scan is not bounded. */
export interface ScanBound<V> {
  direction: SortDirection;
  value: V | undefined;
}

/**
 * The table the query starts from. SQLite's planner often starts from runs and sorts everything
 * even when an index could give the page directly, so the search picks the start itself and
 * writes every other table as a CROSS JOIN, whose written order SQLite keeps (PostgreSQL still
 * plans it freely). `startTime` bounds a scan of runs in start_time order; `ordered` makes the
 * query read the key's rows (non-NaN, for a metric) in value order, bounded or not.
 */
export type Driver =
  | { table: 'runs'; startTime?: ScanBound<number> }
  | { table: KeyValueTable; key: string; ordered?: ScanBound<number | string> };

type RunsQuery = SelectQueryBuilder<Schema, 'runs', { run_uuid: string }>;

const STRING_ATTRIBUTE_COLUMNS = {
  run_id: 'runs.run_uuid',
  run_name: 'runs.run_name',
  status: 'runs.status',
  user_id: 'runs.user_id',
  artifact_uri: 'runs.artifact_uri',
} as const satisfies Record<StringRunAttribute, `runs.${string}`>;

const DATASET_COLUMNS = { name: 'dataset_name', digest: 'dataset_digest', context: 'context' } as const;

/**
 * One search as SQL, returning run ids in order. Each metric, param or tag that a condition or an
 * ordering names is joined once on (run_uuid, key), which is unique, so a join never repeats a
 * run. An ordering reuses a condition's join on the same key, else left-joins the key so runs
 * without it still appear (last). Keys and values are bound parameters; aliases are generated.
 */
export function buildRunQuery(search: RunSearch, driver: Driver): RunsQuery {
  const builder = new RunQueryBuilder(search, driver);
  for (const condition of search.filter.conditions) builder.where(condition);
  builder.orderBy(search.orderBy);
  return builder.query;
}

class RunQueryBuilder {
  query: RunsQuery;
  readonly #joins = new Map<string, string>();
  /**
   * Aliases whose row is known to exist (and, for a metric, not to be NaN) because a condition or
   * the driver requires it: ordering by them needs no NaN or missing-key handling, which keeps the
   * ORDER BY a plain index order.
   */
  readonly #presentAliases = new Set<string>();
  readonly #search: RunSearch;

  constructor(search: RunSearch, driver: Driver) {
    this.#search = search;
    const { db } = search;
    const { ref } = db.dynamic;
    let query: RunsQuery;
    if (driver.table === 'runs') {
      query = db.selectFrom('runs').select('runs.run_uuid');
      const bound = driver.startTime;
      if (bound?.value !== undefined) {
        query = query.where('runs.start_time', bound.direction === 'DESC' ? '>=' : '<=', bound.value);
      }
    } else {
      const alias = this.#alias(driver.table, driver.key);
      this.#presentAliases.add(alias);
      query = db
        .selectFrom(db.dynamic.table(driver.table).as(alias))
        .crossJoin('runs')
        .select('runs.run_uuid')
        .whereRef(ref(`${alias}.run_uuid`), '=', 'runs.run_uuid')
        .where(ref(`${alias}.key`), '=', driver.key);
      const bound = driver.ordered;
      if (bound && driver.table === 'latest_metrics') query = query.where(ref(`${alias}.is_nan`), '=', 0);
      if (bound?.value !== undefined) {
        // Compared as the ORDER BY sorts: numbers as numbers, strings in byte order.
        const value =
          typeof bound.value === 'number' ? sql.ref(`${alias}.value`) : this.#binary(sql.ref(`${alias}.value`));
        query = query.where(value, bound.direction === 'DESC' ? '>=' : '<=', bound.value);
      }
    }
    query = query.where('runs.experiment_id', 'in', [...search.experimentIds]);
    const stage = lifecycleStageOf(search.viewType);
    this.query = stage ? query.where('runs.lifecycle_stage', '=', stage) : query;
  }

  where(condition: RunCondition): void {
    const { dialect, db } = this.#search;
    if (condition.kind === 'number') {
      const field = condition.field;
      if (field.entity === 'metric') {
        const alias = this.#join('latest_metrics', field.key, 'inner');
        // NaN is stored as 0 with is_nan = 1; it must not satisfy any numeric comparison.
        this.query = this.query
          .where(sql.ref(`${alias}.is_nan`), '=', 0)
          .where(numberCondition(sql.ref<number>(`${alias}.value`), condition.comparator, condition.value));
      } else {
        const column = sql.ref<number | null>(`runs.${field.name}`);
        this.query = this.query.where(integerColumnCondition(column, condition.comparator, condition.value));
      }
      return;
    }
    const field = condition.field;
    if (field.entity === 'param' || field.entity === 'tag') {
      const alias = this.#join(field.entity === 'param' ? 'params' : 'tags', field.key, 'inner');
      this.query = this.query.where(stringCondition(sql.ref<string>(`${alias}.value`), condition, dialect));
    } else if (field.entity === 'attribute') {
      const column = sql.ref<string>(STRING_ATTRIBUTE_COLUMNS[field.name]);
      this.query = this.query.where(stringCondition(column, condition, dialect));
    } else {
      // A run may log many datasets, so a join could repeat the run; a semi-join cannot.
      const column = sql.ref<string>(`run_inputs.${DATASET_COLUMNS[field.name]}`);
      const matching = db
        .selectFrom('run_inputs')
        .select('run_inputs.run_uuid')
        .where(stringCondition(column, condition, dialect));
      this.query = this.query.where('runs.run_uuid', 'in', matching);
    }
  }

  /** The order_by terms, then start_time DESC unless ordered by it, then run_uuid. */
  orderBy(terms: readonly RunOrderTerm[]): void {
    const collation = binaryCollation(this.#search.dialect);
    for (const { field, direction } of terms) {
      if (field.entity === 'metric') {
        const alias = this.#join('latest_metrics', field.key, 'left');
        if (!this.#presentAliases.has(alias)) {
          // Numbers first, then NaN (is_nan = 1), then runs without the metric (no row: 2).
          this.query = this.query.orderBy(sql`coalesce(${sql.ref(`${alias}.is_nan`)}, 2)`, 'asc');
        }
        this.query = this.query.orderBy(sql.ref(`${alias}.value`), (ob) => sortDirection(ob, direction));
      } else if (field.entity === 'param' || field.entity === 'tag') {
        const alias = this.#join(field.entity === 'param' ? 'params' : 'tags', field.key, 'left');
        const present = this.#presentAliases.has(alias);
        this.query = this.query.orderBy(sql.ref(`${alias}.value`), (ob) => {
          const item = sortDirection(ob.collate(collation), direction);
          return present ? item : item.nullsLast();
        });
      } else if (field.name === 'start_time' || field.name === 'end_time') {
        this.query = this.query.orderBy(`runs.${field.name}`, (ob) => sortDirection(ob, direction).nullsLast());
      } else {
        this.query = this.query.orderBy(STRING_ATTRIBUTE_COLUMNS[field.name], (ob) =>
          sortDirection(ob.collate(collation), direction),
        );
      }
    }
    if (!terms.some((term) => term.field.entity === 'attribute' && term.field.name === 'start_time')) {
      this.query = this.query.orderBy('runs.start_time', 'desc');
    }
    this.query = this.query.orderBy('runs.run_uuid', 'asc');
  }

  /**
   * The alias of `table` joined on (run, key); a key already joined keeps its join. Condition
   * joins are CROSS JOINs (see Driver); ordering joins are LEFT JOINs. Kysely's join types do not
   * follow dynamic aliases, so the builder keeps its runs-only type and reaches joined columns
   * through `ref`/`sql.ref` only.
   */
  #join(table: KeyValueTable, key: string, kind: 'inner' | 'left'): string {
    const existing = this.#joins.get(joinName(table, key));
    if (existing) return existing;
    const alias = this.#alias(table, key);
    const { table: dynamicTable, ref } = this.#search.db.dynamic;
    const source = dynamicTable(table).as(alias);
    if (kind === 'left') {
      this.query = this.query.leftJoin(source, (on) =>
        on.onRef(ref(`${alias}.run_uuid`), '=', 'runs.run_uuid').on(ref(`${alias}.key`), '=', key),
      );
    } else {
      this.#presentAliases.add(alias);
      const joined: RunsQuery = this.query.crossJoin(source);
      this.query = joined.whereRef(ref(`${alias}.run_uuid`), '=', 'runs.run_uuid').where(ref(`${alias}.key`), '=', key);
    }
    return alias;
  }

  #binary(value: Expression<unknown>): Expression<unknown> {
    return sql`${value} collate ${sql.id(binaryCollation(this.#search.dialect))}`;
  }

  #alias(table: KeyValueTable, key: string): string {
    const alias = `k${this.#joins.size}`;
    this.#joins.set(joinName(table, key), alias);
    return alias;
  }
}

function joinName(table: KeyValueTable, key: string): string {
  return `${table}\u0000${key}`;
}
