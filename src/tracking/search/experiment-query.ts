import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import type { DialectName, Schema } from '../../store/index.js';
import type { ExperimentCondition, ExperimentOrderTerm } from './ast.js';
import { parseExperimentOrderBy } from './order-by.js';
import { pageWindow, takePage } from './paging.js';
import { parseExperimentFilter } from './parser.js';
import { dialectOf } from '../../store/index.js';
import { binaryCollation } from './sql-dialect.js';
import {
  integerColumnCondition,
  lifecycleStageOf,
  sortDirection,
  stringCondition,
  type ViewType,
} from './sql-terms.js';

export interface SearchExperimentsRequest {
  filter?: string | undefined;
  orderBy?: readonly string[] | undefined;
  /** 1 to 50000; 1000 when absent. */
  maxResults?: number | undefined;
  pageToken?: string | undefined;
  /** ACTIVE_ONLY when absent. */
  viewType?: ViewType | undefined;
  /** Only these projects' experiments; absent: every project. */
  projects?: readonly string[] | undefined;
}

export interface SearchExperimentsResult {
  experimentIds: number[];
  nextPageToken?: string;
}

const DEFAULT_ORDER: readonly ExperimentOrderTerm[] = [
  { field: { entity: 'attribute', name: 'last_update_time' }, direction: 'DESC' },
];

/**
 * MLflow's search_experiments, answered with experiment ids in order. Order: the order_by terms
 * (`last_update_time DESC` when none), then `experiment_id ASC` so pages are stable.
 */
export async function searchExperimentIds(
  db: Kysely<Schema>,
  request: SearchExperimentsRequest = {},
): Promise<SearchExperimentsResult> {
  const filter = parseExperimentFilter(request.filter);
  const requestedOrder = parseExperimentOrderBy(request.orderBy);
  const window = pageWindow(request);
  const dialect = dialectOf(db);

  let query = db.selectFrom('experiments').select('experiments.experiment_id');
  const stage = lifecycleStageOf(request.viewType);
  if (stage) query = query.where('experiments.lifecycle_stage', '=', stage);
  if (request.projects !== undefined) {
    if (request.projects.length === 0) return { experimentIds: [] };
    query = query.where('experiments.project', 'in', request.projects);
  }
  for (const condition of filter.conditions) {
    query = query.where((eb) => experimentCondition(eb, condition, dialect));
  }

  const collation = binaryCollation(dialect);
  for (const { field, direction } of requestedOrder.length > 0 ? requestedOrder : DEFAULT_ORDER) {
    query = query.orderBy(`experiments.${field.name}`, (ob) =>
      sortDirection(field.name === 'name' ? ob.collate(collation) : ob, direction),
    );
  }
  if (!requestedOrder.some((term) => term.field.name === 'experiment_id')) {
    query = query.orderBy('experiments.experiment_id', 'asc');
  }

  const rows = await query
    .limit(window.limit + 1)
    .offset(window.offset)
    .execute();
  const page = takePage(
    rows.map((row) => row.experiment_id),
    window,
  );
  return page.nextPageToken
    ? { experimentIds: page.items, nextPageToken: page.nextPageToken }
    : { experimentIds: page.items };
}

function experimentCondition(
  eb: ExpressionBuilder<Schema, 'experiments'>,
  condition: ExperimentCondition,
  dialect: DialectName,
): Expression<SqlBool> {
  if (condition.kind === 'number') {
    const column = sql.ref<number>(`experiments.${condition.field.name}`);
    return integerColumnCondition(column, condition.comparator, condition.value);
  }
  const field = condition.field;
  if (field.entity === 'attribute') return stringCondition(sql.ref<string>('experiments.name'), condition, dialect);
  const tagged = eb
    .selectFrom('experiment_tags')
    .select('experiment_tags.experiment_id')
    .where('experiment_tags.key', '=', field.key)
    .where(stringCondition(sql.ref<string>('experiment_tags.value'), condition, dialect));
  return eb('experiments.experiment_id', 'in', tagged);
}
