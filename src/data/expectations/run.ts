import { sqlIdentifier, sqlString, type Cell, type DataEngine, type Row } from '../duckdb.js';
import type { ColumnSchema } from '../types.js';
import {
  aggregateItems,
  canonicalType,
  failingPredicate,
  isAggregate,
  isNumericType,
  isTemporalType,
  itemAlias,
  type AggregateExpectation,
  type AggregateItem,
} from './checks.js';
import { suiteProblemError, type Expectation, type ExpectationKind, type Severity, type Suite } from './suite.js';

/** What a suite runs against. */
export interface SuiteInput {
  /** Anything that can follow FROM: `readFilesSql(version.files, version.format)`, a table, `(SELECT …)`. */
  relationSql: string;
  /** The relation's columns; column checks are validated against it before anything runs. */
  schema: ColumnSchema[];
  /** The previous version's schema, for `schema_unchanged`; absent for a first version. */
  previousSchema?: ColumnSchema[];
  /** Columns whose values never appear in the report (with those the schema tags sensitive). */
  sensitive: string[];
  /** The clock for `fresh_within`; tests fix it. */
  now?: Date;
}

export interface ExpectationResult {
  name: string;
  kind: ExpectationKind;
  column?: string;
  severity: Severity;
  passed: boolean;
  /** Rows failing a row-level check (for `unique`: rows repeating an earlier value; for `sql`: rows returned). */
  failingRows?: number;
  /** Up to 5 failing rows, sensitive values as `'***'`; fetched only for a failing check. */
  samples: Row[];
  /** What was found: actual min/max, row count, max timestamp, schema differences… */
  observed?: Cell;
  /** Why there is nothing to compare (no previous schema, no non-null timestamps). */
  note?: string;
  /** A standalone query deciding this expectation alone, for debugging (the run shared one scan). */
  sql?: string;
  /** The query that fetched the samples. */
  samplesSql?: string;
}

export interface SuiteReport {
  suite: string;
  /** No failing expectation of severity error. */
  passed: boolean;
  /** Failing expectations of severity error. */
  errors: number;
  /** Failing expectations of severity warn. */
  warnings: number;
  results: ExpectationResult[];
  /** Every statement issued, in order. */
  queries: string[];
}

/** Only `all` is needed, so a test (or a pipeline step) can hand in a wrapper that counts queries. */
export type QueryEngine = Pick<DataEngine, 'all'>;

export const SAMPLE_LIMIT = 5;
export const MASK = '***';

/**
 * Checks a suite against a relation. Every problem in the suite itself (an unknown column, a
 * freshness check on a non-time column, custom SQL that does not parse) is an InvalidInputError
 * before any scan; a data problem is a failed expectation. The per-column checks and `row_count`
 * are decided by ONE aggregate scan (`count(*) FILTER (WHERE …)` per check); samples are fetched
 * afterwards, only for failing checks; each custom SQL check is one more query.
 */
export async function runSuite(engine: QueryEngine, input: SuiteInput, suite: Suite): Promise<SuiteReport> {
  checkColumns(input, suite);
  const queries: string[] = [];
  const query = async (sql: string) => {
    queries.push(sql);
    return engine.all(sql);
  };
  const from = `FROM ${input.relationSql} AS data`;
  const withData = `WITH data AS (SELECT * FROM ${input.relationSql} AS data)`;
  await checkCustomSql(query, withData, suite);

  const isSensitive = sensitivity(input);
  const mask = (row: Row) => maskRow(row, isSensitive);
  const maskValue = (column: string, value: Cell) => (value !== null && isSensitive(column) ? MASK : value);

  const aggregates = suite.expectations.flatMap((expectation, index) =>
    isAggregate(expectation) ? [{ expectation, index, items: aggregateItems(expectation, index, input.schema) }] : [],
  );
  const values = aggregates.length === 0 ? {} : await runAggregate(query, from, aggregates, suite);

  const now = (input.now ?? new Date()).getTime();
  const results: ExpectationResult[] = [];
  for (const [index, expectation] of suite.expectations.entries()) {
    const head = {
      name: expectation.name,
      kind: expectation.kind,
      ...('column' in expectation ? { column: expectation.column } : {}),
      severity: expectation.severity,
    };
    if (expectation.kind === 'exists') {
      results.push({ ...head, ...existsOutcome(expectation, input.schema), samples: [] });
    } else if (expectation.kind === 'schema_unchanged') {
      results.push({ ...head, ...schemaOutcome(input.schema, input.previousSchema), samples: [] });
    } else if (expectation.kind === 'sql') {
      // The window count rides along with the first rows: count and samples in one query. Samples
      // are masked by column name, so a sensitive column renamed by the query is not recognised.
      const sql =
        `${withData}\nSELECT *, count(*) OVER () AS __ciclo_failing ` +
        `FROM (${userSql(expectation.sql)}) AS failing LIMIT ${SAMPLE_LIMIT}`;
      const rows = await query(sql);
      const failingRows = Number(rows[0]?.__ciclo_failing ?? 0);
      const samples = rows.map(({ __ciclo_failing: _, ...row }) => mask(row));
      results.push({ ...head, passed: failingRows === 0, failingRows, samples, sql });
    } else {
      const item = (what: string) => values[itemAlias(index, what)] ?? null;
      const items = aggregates.find((entry) => entry.index === index)!.items;
      const sql = `SELECT ${items.map(selectItem).join(', ')} ${from}`;
      const outcome = aggregateOutcome(expectation, item, now, maskValue);
      const result: ExpectationResult = { ...head, ...outcome, samples: [], sql };
      if (!result.passed && outcome.failingRows !== undefined) {
        const samplesSql = samplesQuery(expectation, from);
        if (samplesSql) {
          result.samples = (await query(samplesSql)).map(mask);
          result.samplesSql = samplesSql;
        }
        if (expectation.kind === 'in_set') {
          // The most common values outside the set say more than any count: a typo, a new category.
          const column = sqlIdentifier(expectation.column);
          const unexpectedSql =
            `SELECT ${column} AS value, count(*) AS rows ${from} WHERE ${failingPredicate(expectation)} ` +
            `GROUP BY ${column} ORDER BY rows DESC, value LIMIT ${SAMPLE_LIMIT}`;
          const unexpected = await query(unexpectedSql);
          result.observed = {
            unexpected: unexpected.map((row) => ({
              value: maskValue(expectation.column, row.value ?? null),
              rows: row.rows ?? 0,
            })),
          };
        }
      }
      results.push(result);
    }
  }

  const failed = results.filter((result) => !result.passed);
  const errors = failed.filter((result) => result.severity === 'error').length;
  return { suite: suite.name, passed: errors === 0, errors, warnings: failed.length - errors, results, queries };
}

type Query = (sql: string) => Promise<Row[]>;

/** Unknown columns and checks that cannot apply to a column's type are the suite's mistake, not the data's. */
function checkColumns(input: SuiteInput, suite: Suite): void {
  const columns = new Map(input.schema.map((column) => [column.name, column]));
  const listed = input.schema.map((column) => column.name).join(', ');
  for (const [index, expectation] of suite.expectations.entries()) {
    // `exists` is how a suite asks whether a column is there, so a missing one is its failure.
    if (!('column' in expectation) || expectation.kind === 'exists') continue;
    const path = ['expectations', index, 'column'];
    const column = columns.get(expectation.column);
    if (!column) {
      throw suiteProblemError(suite, {
        path,
        message: `unknown column "${expectation.column}"`,
        hint: `the relation's columns are: ${listed || '(none)'}`,
      });
    }
    if (expectation.kind === 'fresh_within' && !isTemporalType(column.type)) {
      throw suiteProblemError(suite, {
        path,
        message: `fresh_within needs a DATE or TIMESTAMP column, but "${column.name}" is ${column.type}`,
        hint: 'point it at a date/time column, or cast the column in the relation',
      });
    }
    if (
      expectation.kind === 'between' &&
      !isNumericType(column.type) &&
      [expectation.min, expectation.max].some((bound) => typeof bound === 'number')
    ) {
      throw suiteProblemError(suite, {
        path,
        message: `between with numeric bounds needs a numeric column, but "${column.name}" is ${column.type}`,
        hint: 'quote the bounds to compare as text or dates, or cast the column in the relation',
      });
    }
  }
}

/** Binds each custom query without running it, so a typo is reported before any scan. */
async function checkCustomSql(query: Query, withData: string, suite: Suite): Promise<void> {
  for (const [index, expectation] of suite.expectations.entries()) {
    if (expectation.kind !== 'sql') continue;
    try {
      await query(`DESCRIBE ${withData}\nSELECT * FROM (${userSql(expectation.sql)}) AS failing`);
    } catch (error) {
      throw suiteProblemError(suite, {
        path: ['expectations', index, 'sql'],
        message: `the query does not run: ${(error as Error).message}`,
        hint: 'write one SELECT over the view `data` that returns the failing rows',
      });
    }
  }
}

/** A trailing `;` is habit, not a second statement; anything else stays for DuckDB to judge. */
const userSql = (sql: string) => sql.trim().replace(/;+\s*$/, '');

async function runAggregate(
  query: Query,
  from: string,
  aggregates: { expectation: AggregateExpectation; index: number; items: AggregateItem[] }[],
  suite: Suite,
): Promise<Row> {
  const sql = `SELECT ${aggregates
    .flatMap((entry) => entry.items)
    .map(selectItem)
    .join(',\n  ')}\n${from}`;
  try {
    return (await query(sql))[0] ?? {};
  } catch (error) {
    // DuckDB compiles a constant pattern while binding, so a bad regex fails the whole scan before
    // it reads a row; name the expectation that holds it.
    for (const { expectation, index } of aggregates) {
      if (expectation.kind !== 'regex') continue;
      try {
        await query(`SELECT regexp_matches('', ${sqlString(expectation.pattern)})`);
      } catch (patternError) {
        throw suiteProblemError(suite, {
          path: ['expectations', index, 'regex'],
          message: `invalid pattern: ${(patternError as Error).message}`,
          hint: 'patterns are RE2 syntax (no lookaround or backreferences)',
        });
      }
    }
    throw error;
  }
}

const selectItem = (item: AggregateItem) => `${item.expression} AS ${sqlIdentifier(item.alias)}`;

type Outcome = Pick<ExpectationResult, 'passed' | 'failingRows' | 'observed' | 'note'>;

function aggregateOutcome(
  expectation: AggregateExpectation,
  item: (what: string) => Cell,
  now: number,
  maskValue: (column: string, value: Cell) => Cell,
): Outcome {
  switch (expectation.kind) {
    case 'row_count': {
      const rows = Number(item('rows'));
      const passed =
        (expectation.min === undefined || rows >= expectation.min) &&
        (expectation.max === undefined || rows <= expectation.max);
      return { passed, observed: { rows } };
    }
    case 'fresh_within': {
      const maxMs = item('max_ms');
      const threshold = new Date(now - expectation.withinMs).toISOString();
      const observed = { max: maskValue(expectation.column, item('max')), threshold };
      if (maxMs === null) return { passed: false, observed, note: 'the column has no non-null values' };
      return { passed: Number(maxMs) >= now - expectation.withinMs, observed };
    }
    default: {
      const failingRows = Number(item('failing'));
      const observed: Cell | undefined =
        expectation.kind === 'between'
          ? { min: maskValue(expectation.column, item('min')), max: maskValue(expectation.column, item('max')) }
          : expectation.kind === 'unique'
            ? { distinct: item('distinct') }
            : undefined;
      return { passed: failingRows === 0, failingRows, ...(observed === undefined ? {} : { observed }) };
    }
  }
}

function samplesQuery(expectation: AggregateExpectation, from: string): string | undefined {
  if (expectation.kind === 'unique') {
    const column = sqlIdentifier(expectation.column);
    // Rows of duplicated values, grouped together so the pairs are visible side by side.
    return (
      `SELECT * ${from} WHERE ${column} IS NOT NULL ` +
      `QUALIFY count(*) OVER (PARTITION BY ${column}) > 1 ORDER BY ${column} LIMIT ${SAMPLE_LIMIT}`
    );
  }
  const predicate = failingPredicate(expectation);
  return predicate === undefined ? undefined : `SELECT * ${from} WHERE ${predicate} LIMIT ${SAMPLE_LIMIT}`;
}

function existsOutcome(expectation: Extract<Expectation, { kind: 'exists' }>, schema: ColumnSchema[]): Outcome {
  const column = schema.find((entry) => entry.name === expectation.column);
  if (!column) {
    return {
      passed: false,
      observed: { present: false },
      note: `columns: ${schema.map((entry) => entry.name).join(', ')}`,
    };
  }
  const passed = expectation.type === undefined || canonicalType(expectation.type) === canonicalType(column.type);
  return { passed, observed: { present: true, type: column.type } };
}

function schemaOutcome(schema: ColumnSchema[], previous: ColumnSchema[] | undefined): Outcome {
  if (previous === undefined) return { passed: true, note: 'no previous version to compare with' };
  const before = new Map(previous.map((column) => [column.name, column]));
  const after = new Map(schema.map((column) => [column.name, column]));
  const added = schema.filter((column) => !before.has(column.name)).map(({ name, type }) => ({ name, type }));
  const removed = previous.filter((column) => !after.has(column.name)).map(({ name, type }) => ({ name, type }));
  const retyped = schema.flatMap((column) => {
    const old = before.get(column.name);
    return old && canonicalType(old.type) !== canonicalType(column.type)
      ? [{ name: column.name, from: old.type, to: column.type }]
      : [];
  });
  const passed = added.length === 0 && removed.length === 0 && retyped.length === 0;
  return { passed, observed: { added, removed, retyped } };
}

/** Sensitive by the caller's list or the schema's tag; DuckDB names are case-insensitive, so is this. */
function sensitivity(input: SuiteInput): (column: string) => boolean {
  const names = new Set(
    [...input.sensitive, ...input.schema.filter((column) => column.sensitive).map((column) => column.name)].map(
      (name) => name.toLowerCase(),
    ),
  );
  return (column) => names.has(column.toLowerCase());
}

/** Values become `'***'`; a null stays null, since that a value is missing is what `not_null` reports. */
function maskRow(row: Row, isSensitive: (column: string) => boolean): Row {
  const out: Row = {};
  for (const [key, value] of Object.entries(row)) out[key] = value !== null && isSensitive(key) ? MASK : value;
  return out;
}
