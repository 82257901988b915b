import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidInputError, NotFoundError } from '../common/errors.js';
import { formatOf, readFilesSql, sqlIdentifier, sqlString, type DataEngine, type Row } from '../data/index.js';
import { describe, EVENT_TIME, CREATED_TIME, SOURCE_ROW, timestampSql, type PreparedView } from './view.js';

/**
 * Point-in-time-correct training data: for each entity row (keys + a timestamp), the latest row of
 * each feature view whose event time is at or before the entity row's timestamp (never after), and
 * no older than the view's TTL. No eligible row → the features are null; the entity row stays.
 *
 * How: one DuckDB `ASOF LEFT JOIN … ON keys AND e.ts >= f.event_time` per view. The join looks at
 * event time only, so a row that arrived late (ingested after later rows, or after an earlier
 * materialization) is still placed by when it happened, never by when it was written. Rows of one
 * entity at the same event time are deduplicated first: the greatest `created_time` wins, then the
 * row that comes last in the source (a correction appended later wins).
 */

export type EntitySource = { file: string } | { sql: string };

export interface HistoricalRequest {
  entities: EntitySource;
  /** The entity rows' timestamp column; `event_timestamp` when not given. */
  timestampColumn?: string;
  views: PreparedView[];
  /**
   * Features to return: `feature` or `view:feature`; all features of every view when not given.
   */
  features?: string[];
  /** Also return each view's matched event time as `<view>__event_time`. */
  includeEventTimes?: boolean;
}

export const DEFAULT_TIMESTAMP_COLUMN = 'event_timestamp';

/** A built query and the columns it returns, to read (`getHistorical`) or COPY to a file (`writeHistorical`). */
export interface HistoricalQuery {
  sql: string;
  columns: string[];
}

export async function buildHistoricalQuery(engine: DataEngine, request: HistoricalRequest): Promise<HistoricalQuery> {
  if (request.views.length === 0) throw new InvalidInputError('name at least one feature view', { where: '--view' });
  const names = new Set<string>();
  for (const prepared of request.views) {
    if (names.has(prepared.view.name))
      throw new InvalidInputError(`feature view "${prepared.view.name}" is named twice`, { where: '--view' });
    names.add(prepared.view.name);
  }
  const { relation: entityRelation, where } = entityRelationOf(request.entities);
  const entityColumns = await describe(engine, `SELECT * FROM ${entityRelation}`, where);
  const entityTypes = new Map(entityColumns.map((column) => [column.name, column.type]));
  const tsColumn = request.timestampColumn ?? DEFAULT_TIMESTAMP_COLUMN;
  const tsType = entityTypes.get(tsColumn);
  const listed = entityColumns.map((column) => column.name).join(', ');
  if (tsType === undefined) {
    throw new InvalidInputError(`the entity rows have no timestamp column "${tsColumn}"`, {
      where,
      hint: `add the column, or name the one to use with --timestamp-column (the rows have: ${listed})`,
    });
  }
  const tsSql = timestampSql(`e0.${sqlIdentifier(tsColumn)}`, tsType);
  if (tsSql === undefined)
    throw new InvalidInputError(`the entity timestamp column "${tsColumn}" is ${tsType}, not a time`, { where });

  const selection = selectFeatures(request.views, request.features);
  const outputNames = new Set(entityColumns.map((column) => column.name));
  const ctes = [
    `__e AS (SELECT e0.*, row_number() OVER () AS __ciclo_row, ${tsSql} AS __ciclo_ts FROM ${entityRelation} e0)`,
  ];
  const joins: string[] = [];
  const projections: string[] = [];
  const columns = entityColumns.map((column) => column.name);
  request.views.forEach((prepared, index) => {
    const { view } = prepared;
    for (const key of view.entities) {
      if (!entityTypes.has(key)) {
        throw new InvalidInputError(
          `the entity rows have no key column "${key}" that feature view "${view.name}" is keyed by`,
          {
            where,
            hint: `the entity rows need every entity key of the views asked for (the rows have: ${listed})`,
          },
        );
      }
    }
    const wanted = selection.get(view.name) ?? [];
    const f = `__f${index}`;
    const j = `__j${index}`;
    const partition = view.entities.map(sqlIdentifier).join(', ');
    const featureList = wanted.map(sqlIdentifier);
    // One row per (entity, event time): ASOF would pick among equal event times arbitrarily.
    ctes.push(
      `${f} AS (SELECT ${partition}, ${EVENT_TIME}${featureList.map((c) => `, ${c}`).join('')} ` +
        `FROM ${prepared.relation} ` +
        `WHERE ${EVENT_TIME} IS NOT NULL ` +
        `QUALIFY row_number() OVER (PARTITION BY ${partition}, ${EVENT_TIME} ` +
        `ORDER BY ${CREATED_TIME} DESC NULLS LAST, ${SOURCE_ROW} DESC) = 1)`,
    );
    const on = view.entities
      .map(
        (key) =>
          `TRY_CAST(__e.${sqlIdentifier(key)} AS ${prepared.columnTypes[key] ?? 'VARCHAR'}) ` +
          `= ${f}.${sqlIdentifier(key)}`,
      )
      .join(' AND ');
    ctes.push(
      `${j} AS (SELECT __e.__ciclo_row, ${f}.${EVENT_TIME} AS __et${featureList.map((c) => `, ${f}.${c}`).join('')} ` +
        `FROM __e ASOF LEFT JOIN ${f} ON ${on} AND __e.__ciclo_ts >= ${f}.${EVENT_TIME})`,
    );
    joins.push(`LEFT JOIN ${j} ON ${j}.__ciclo_row = __e.__ciclo_row`);
    // TTL nulls the values; it never drops the entity row.
    const fresh =
      view.ttlMs === undefined
        ? `${j}.__et IS NOT NULL`
        : `${j}.__et >= __e.__ciclo_ts - to_milliseconds(${view.ttlMs})`;
    for (const feature of wanted) {
      const output = outputNames.has(feature) ? `${view.name}__${feature}` : feature;
      if (outputNames.has(output)) {
        throw new InvalidInputError(`two output columns would be named "${output}"`, {
          where: `--view ${view.name}`,
          hint: 'rename the entity file column, or ask for fewer features with --features',
        });
      }
      outputNames.add(output);
      columns.push(output);
      projections.push(`CASE WHEN ${fresh} THEN ${j}.${sqlIdentifier(feature)} END AS ${sqlIdentifier(output)}`);
    }
    if (request.includeEventTimes) {
      const output = `${view.name}__event_time`;
      outputNames.add(output);
      columns.push(output);
      projections.push(`CASE WHEN ${fresh} THEN ${j}.__et END AS ${sqlIdentifier(output)}`);
    }
  });
  const entityList = entityColumns.map((column) => `__e.${sqlIdentifier(column.name)}`);
  const sql =
    `WITH ${ctes.join(',\n')}\n` +
    `SELECT ${[...entityList, ...projections].join(', ')} FROM __e ${joins.join(' ')} ORDER BY __e.__ciclo_row`;
  return { sql, columns };
}

/** The rows, in the entity rows' order, with the entity columns first and then each view's features. */
export async function getHistorical(engine: DataEngine, request: HistoricalRequest): Promise<Row[]> {
  const query = await buildHistoricalQuery(engine, request);
  return engine.all(query.sql);
}

/** Writes the rows to a Parquet or CSV file (by extension); returns how many. */
export async function writeHistorical(engine: DataEngine, request: HistoricalRequest, out: string): Promise<number> {
  const query = await buildHistoricalQuery(engine, request);
  const lower = out.toLowerCase();
  const format =
    lower.endsWith('.parquet') || lower.endsWith('.pq')
      ? 'PARQUET'
      : lower.endsWith('.csv')
        ? 'CSV, HEADER'
        : undefined;
  if (!format)
    throw new InvalidInputError(`cannot tell the output format of ${out}`, {
      where: '--out',
      hint: 'end the file name in .parquet or .csv',
    });
  // COPY answers with the number of rows it wrote: the join runs once.
  const [row] = await engine.all(`COPY (${query.sql}) TO ${sqlString(resolve(out))} (FORMAT ${format})`);
  return Number(row?.Count ?? 0);
}

function entityRelationOf(entities: EntitySource): { relation: string; where: string } {
  if ('sql' in entities) return { relation: `(${entities.sql.trim().replace(/;+\s*$/, '')})`, where: 'entities' };
  const file = resolve(entities.file);
  if (!existsSync(file))
    throw new NotFoundError(`entity file ${entities.file} does not exist`, { where: entities.file });
  return { relation: `(SELECT * FROM ${readFilesSql([file], formatOf(file))})`, where: entities.file };
}

/** Which features of which view: every one by default; `feature` or `view:feature` otherwise. */
function selectFeatures(views: PreparedView[], features: string[] | undefined): Map<string, string[]> {
  const selection = new Map<string, string[]>();
  if (features === undefined) {
    for (const { view } of views)
      selection.set(
        view.name,
        view.features.map((feature) => feature.name),
      );
    return selection;
  }
  for (const { view } of views) selection.set(view.name, []);
  for (const reference of features) {
    const colon = reference.indexOf(':');
    const viewName = colon < 0 ? undefined : reference.slice(0, colon);
    const name = colon < 0 ? reference : reference.slice(colon + 1);
    const owners = views.filter(
      ({ view }) => (viewName === undefined || view.name === viewName) && view.features.some((f) => f.name === name),
    );
    if (owners.length === 0) {
      const known = views.flatMap(({ view }) => view.features.map((f) => `${view.name}:${f.name}`)).join(', ');
      throw new InvalidInputError(`unknown feature "${reference}"`, {
        where: '--features',
        hint: `the views have: ${known}`,
      });
    }
    if (owners.length > 1) {
      throw new InvalidInputError(`feature "${reference}" is in more than one view`, {
        where: '--features',
        hint: `write it as ${owners.map(({ view }) => `${view.name}:${name}`).join(' or ')}`,
      });
    }
    const list = selection.get(owners[0]!.view.name)!;
    if (!list.includes(name)) list.push(name);
  }
  return selection;
}
