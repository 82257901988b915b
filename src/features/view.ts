import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseYamlWithSource, type FieldPath } from '../common/yaml-source.js';
import { z } from 'zod';
import { InvalidInputError, NotFoundError } from '../common/errors.js';
import { formatPath } from '../common/validation.js';
import {
  cellText,
  formatOf,
  readFilesSql,
  sqlIdentifier,
  type DataEngine,
  type DatasetResolver,
} from '../data/index.js';
import { DEFAULT_PROJECT, ProjectNameSchema } from '../governance/index.js';

/**
 * A feature view: which columns of which source are features of which entity, stamped by which
 * event-time column, valid for how long (TTL). Written in YAML:
 *
 * ```yaml
 * name: customer_stats
 * project: risk                      # optional; who may look it up online (default: default)
 * entities: [customer_id]
 * event_time: event_ts
 * source: { dataset: orders@3 }        # or { path: stats.csv } or { sql: "SELECT … FROM {{ dataset:orders }}" }
 * features: [total_spend, { name: n_orders, type: BIGINT, description: orders so far }]
 * ttl: 30d
 * ```
 */

export type { FieldPath } from '../common/yaml-source.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
export const TTL_PATTERN = /^(\d+)(ms|s|m|h|d|w)$/;
const TTL_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

const ColumnName = z.string().min(1, 'must not be empty');

const FeatureSpecSchema = z.union([
  ColumnName,
  z.strictObject({
    name: ColumnName,
    /** A DuckDB type the column is cast to (BIGINT, DOUBLE, VARCHAR, …). */
    type: z.string().min(1).optional(),
    description: z.string().optional(),
  }),
]);

const SourceSchema = z.union(
  [
    z.strictObject({ dataset: z.string().min(1, 'must name a dataset: NAME, NAME@3 or NAME@sha256:…') }),
    z.strictObject({ path: z.string().min(1, 'must name a file') }),
    z.strictObject({ sql: z.string().min(1, 'must be a query') }),
  ],
  { error: 'source must be one of {dataset: NAME[@version]}, {path: FILE} or {sql: QUERY}' },
);

export const FeatureViewSchema = z.strictObject({
  name: z.string().regex(NAME, 'must start with a letter or "_" and hold letters, digits, "_" or "-"'),
  /** The project the view belongs to: online lookups are judged there. */
  project: ProjectNameSchema.default(DEFAULT_PROJECT),
  description: z.string().optional(),
  entities: z.array(ColumnName).min(1, 'must name at least one entity key column'),
  event_time: ColumnName,
  /** Ingestion time: breaks ties between rows of one entity at the same event time (the later wins). */
  created_time: ColumnName.optional(),
  source: SourceSchema,
  features: z.array(FeatureSpecSchema).min(1, 'must name at least one feature column'),
  ttl: z
    .string()
    .regex(TTL_PATTERN, 'must be a whole number and a unit: ms, s, m, h, d or w (e.g. 30d, 12h)')
    .optional(),
});

export type FeatureViewInput = z.input<typeof FeatureViewSchema>;

export interface FeatureSpec {
  name: string;
  type?: string;
  description?: string;
}

export type ViewSource = { dataset: string } | { path: string } | { sql: string };

/** A view whose YAML is valid; its columns are checked against the source by `prepareView`. */
export interface FeatureView {
  name: string;
  /** Its project (default `default`): `POST /features/online` needs read access there. */
  project: string;
  description?: string;
  entities: string[];
  eventTime: string;
  createdTime?: string;
  source: ViewSource;
  features: FeatureSpec[];
  /** The TTL in milliseconds; absent means features never expire. */
  ttlMs?: number;
  ttl?: string;
  /** Relative `path:` sources (and `{{ path:… }}` placeholders) resolve against this folder. */
  baseDir: string;
  /** Where a field was written (`file:line:col`), or its field path when the view came from code. */
  locate(path: FieldPath, target?: 'key' | 'value'): string;
}

/** `30d` → milliseconds; an InvalidInputError naming `where` otherwise. */
export function parseTtl(text: string, where = 'ttl'): number {
  const match = TTL_PATTERN.exec(text.trim());
  if (!match) {
    throw new InvalidInputError(`ttl "${text}" is not a duration`, {
      where,
      hint: 'write a whole number and a unit: ms, s, m, h, d or w (e.g. 30d, 12h)',
    });
  }
  const ms = Number(match[1]) * TTL_UNIT_MS[match[2]!]!;
  if (ms <= 0)
    throw new InvalidInputError(`ttl "${text}" must be longer than zero`, {
      where,
      hint: 'leave ttl out for features that never expire',
    });
  return ms;
}

/** Validates a view given as data (code, JSON); errors name the field path. */
export function defineFeatureView(input: unknown, baseDir = process.cwd()): FeatureView {
  return buildView(input, baseDir, (path) => formatPath('', path) || 'view');
}

/** Parses a feature view YAML file's text; every error names `file:line:col`. */
export function loadFeatureViewYaml(text: string, fileName: string): FeatureView {
  const { value, source } = parseYamlWithSource(text, fileName);
  return buildView(value, dirname(resolve(fileName)), (path, target = 'value') => source.locate(path, target));
}

export async function loadFeatureViewFile(file: string): Promise<FeatureView> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new NotFoundError(`feature view file ${file} does not exist`);
  }
  return loadFeatureViewYaml(text, file);
}

type Locate = (path: FieldPath, target?: 'key' | 'value') => string;

function buildView(input: unknown, baseDir: string, locate: Locate): FeatureView {
  const parsed = FeatureViewSchema.safeParse(input ?? {}, {
    error: (issue) =>
      issue.code === 'invalid_type' && issue.input === undefined
        ? `missing required field (${issue.expected})`
        : undefined,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path as (string | number)[];
    if (issue.code === 'unrecognized_keys') {
      const keyPath = [...path, issue.keys[0]!];
      throw viewError(locate, keyPath, `unknown field "${issue.keys[0]}"`, 'key');
    }
    const hint = path[0] === 'ttl' ? 'e.g. ttl: 30d' : undefined;
    throw viewError(locate, path, issue.message, 'value', hint);
  }
  const spec = parsed.data;
  const features = spec.features.map((feature) => (typeof feature === 'string' ? { name: feature } : feature));
  const seen = new Map<string, FieldPath>();
  const claim = (name: string, path: FieldPath, role: string) => {
    if (seen.has(name))
      throw viewError(
        locate,
        path,
        `column "${name}" is named twice (${role})`,
        'value',
        'each column plays one role: entity key, event time, created time or feature',
      );
    seen.set(name, path);
  };
  spec.entities.forEach((name, index) => claim(name, ['entities', index], 'entity key'));
  claim(spec.event_time, ['event_time'], 'event time');
  if (spec.created_time !== undefined) claim(spec.created_time, ['created_time'], 'created time');
  features.forEach((feature, index) =>
    claim(
      feature.name,
      typeof spec.features[index] === 'string' ? ['features', index] : ['features', index, 'name'],
      'feature',
    ),
  );
  return {
    name: spec.name,
    project: spec.project,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    entities: spec.entities,
    eventTime: spec.event_time,
    ...(spec.created_time === undefined ? {} : { createdTime: spec.created_time }),
    source: spec.source,
    features,
    ...(spec.ttl === undefined ? {} : { ttl: spec.ttl, ttlMs: parseTtl(spec.ttl, locate(['ttl'])) }),
    baseDir,
    locate,
  };
}

function viewError(
  locate: Locate,
  path: FieldPath,
  message: string,
  target: 'key' | 'value' = 'value',
  hint?: string,
): InvalidInputError {
  const field = formatPath('', path) || 'view';
  return new InvalidInputError(`${field}: ${message}`, { where: locate(path, target), ...(hint ? { hint } : {}) });
}

/**
 * A view checked against its source: the relation SQL that reads it, with the event time
 * normalized to a UTC `TIMESTAMP` in `__ciclo_event_time`, the created time (if any) in
 * `__ciclo_created_time`, the source order in `__ciclo_source_row`, and each feature cast to its
 * declared type.
 */
export interface PreparedView {
  view: FeatureView;
  /** A parenthesized subquery, usable in FROM. */
  relation: string;
  /** DuckDB types of the entity keys and features, as read (after casts). */
  columnTypes: Record<string, string>;
  /** The dataset version the source read, when it named one (`dataset:` or `{{ dataset:… }}`). */
  datasets: { reference: string; name: string; version: number; digest: string }[];
}

export interface PrepareOptions {
  /** Resolves `dataset:` sources and `{{ dataset:… }}` placeholders. */
  resolver?: DatasetResolver;
}

export const EVENT_TIME = '__ciclo_event_time';
export const CREATED_TIME = '__ciclo_created_time';
export const SOURCE_ROW = '__ciclo_source_row';

/** Resolves the source, DESCRIBEs it and checks every named column; nothing has run on the data yet. */
export async function prepareView(
  engine: DataEngine,
  view: FeatureView,
  options: PrepareOptions = {},
): Promise<PreparedView> {
  const datasets: PreparedView['datasets'] = [];
  const sourceSql = await sourceRelation(view, options.resolver, datasets);
  const columns = await describe(engine, `SELECT * FROM ${sourceSql}`, view.locate(['source']));
  const typeOf = new Map(columns.map((column) => [column.name, column.type]));
  const available = columns.map((column) => column.name).join(', ');
  const requireColumn = (name: string, path: FieldPath) => {
    const type = typeOf.get(name);
    if (type === undefined) {
      throw viewError(
        view.locate,
        path,
        `unknown column "${name}": the source has no such column`,
        'value',
        `the source's columns are: ${available}`,
      );
    }
    return type;
  };
  view.entities.forEach((name, index) => requireColumn(name, ['entities', index]));
  const eventType = requireColumn(view.eventTime, ['event_time']);
  const eventSql = timestampSql(sqlIdentifier(view.eventTime), eventType);
  if (eventSql === undefined) {
    throw viewError(
      view.locate,
      ['event_time'],
      `column "${view.eventTime}" is ${eventType}, not a time`,
      'value',
      'event_time must be a TIMESTAMP, DATE, an ISO-8601 string or epoch milliseconds',
    );
  }
  if (eventType.toUpperCase() === 'VARCHAR')
    await checkTimeText(engine, sourceSql, view, view.eventTime, ['event_time']);
  let createdSql = 'NULL::TIMESTAMP';
  if (view.createdTime !== undefined) {
    const createdType = requireColumn(view.createdTime, ['created_time']);
    const sql = timestampSql(sqlIdentifier(view.createdTime), createdType);
    if (sql === undefined)
      throw viewError(view.locate, ['created_time'], `column "${view.createdTime}" is ${createdType}, not a time`);
    createdSql = sql;
  }
  const featureSql = view.features.map((feature, index) => {
    const path: FieldPath =
      feature.type === undefined && feature.description === undefined
        ? ['features', index]
        : ['features', index, 'name'];
    requireColumn(feature.name, path);
    const column = sqlIdentifier(feature.name);
    return feature.type === undefined ? column : `CAST(${column} AS ${feature.type}) AS ${column}`;
  });
  const relation =
    `(SELECT ${view.entities.map(sqlIdentifier).join(', ')}, ${eventSql} AS ${EVENT_TIME}, ` +
    `${createdSql} AS ${CREATED_TIME}, ` +
    `row_number() OVER () AS ${SOURCE_ROW}, ${featureSql.join(', ')} FROM ${sourceSql})`;
  // A declared type DuckDB does not know, or a cast the values do not take, fails here and names the feature.
  let projected: { name: string; type: string }[];
  try {
    projected = await describe(engine, `SELECT * FROM ${relation}`, view.locate(['features']));
  } catch (error) {
    const typed = view.features.findIndex((feature) => feature.type !== undefined);
    if (typed < 0) throw error;
    throw viewError(
      view.locate,
      ['features', typed, 'type'],
      `a declared feature type is not valid: ${(error as Error).message}`,
    );
  }
  const columnTypes = Object.fromEntries(projected.map((column) => [column.name, column.type]));
  return { view, relation, columnTypes, datasets };
}

/** The column's value as a UTC TIMESTAMP, or undefined when the type is not a time. */
export function timestampSql(column: string, type: string): string | undefined {
  const upper = type.toUpperCase();
  if (upper === 'TIMESTAMP WITH TIME ZONE' || upper === 'TIMESTAMPTZ') return `make_timestamp(epoch_us(${column}))`;
  if (upper.startsWith('TIMESTAMP') || upper === 'DATE' || upper === 'VARCHAR') return `CAST(${column} AS TIMESTAMP)`;
  if (['BIGINT', 'INTEGER', 'HUGEINT', 'UBIGINT', 'UINTEGER', 'DOUBLE'].includes(upper))
    return `make_timestamp(CAST(${column} AS BIGINT) * 1000)`;
  return undefined;
}

/** Text event times must all read as times: one bad value fails here, naming itself, not mid-join. */
async function checkTimeText(
  engine: DataEngine,
  sourceSql: string,
  view: FeatureView,
  column: string,
  path: FieldPath,
): Promise<void> {
  const name = sqlIdentifier(column);
  const [bad] = await engine.all(
    `SELECT ${name} AS value FROM ${sourceSql} ` +
      `WHERE ${name} IS NOT NULL AND TRY_CAST(${name} AS TIMESTAMP) IS NULL LIMIT 1`,
  );
  if (bad) {
    throw viewError(
      view.locate,
      path,
      `column "${column}" holds "${cellText(bad.value)}", not a time`,
      'value',
      'event_time must be a TIMESTAMP, DATE, an ISO-8601 string or epoch milliseconds',
    );
  }
}

export async function describe(
  engine: DataEngine,
  query: string,
  where: string,
): Promise<{ name: string; type: string }[]> {
  let rows;
  try {
    rows = await engine.all(`DESCRIBE ${query}`);
  } catch (error) {
    throw new InvalidInputError(`cannot read the source: ${(error as Error).message}`, { where });
  }
  return rows.map((row) => ({ name: cellText(row.column_name), type: cellText(row.column_type) }));
}

const PLACEHOLDER = /\{\{\s*(dataset|path)\s*:\s*([^}]+?)\s*\}\}/g;

/**
 * The source as a parenthesized subquery. In `sql:` sources, `{{ dataset:NAME[@version] }}` becomes
 * a read of that dataset version's files and `{{ path:FILE }}` a read of that file.
 */
async function sourceRelation(
  view: FeatureView,
  resolver: DatasetResolver | undefined,
  datasets: PreparedView['datasets'],
): Promise<string> {
  const source = view.source;
  if ('path' in source) return `(SELECT * FROM ${fileRead(view, source.path, ['source', 'path'])})`;
  if ('dataset' in source)
    return `(SELECT * FROM ${await datasetRead(view, source.dataset, resolver, ['source', 'dataset'], datasets)})`;
  const replacements = new Map<string, string>();
  for (const match of source.sql.matchAll(PLACEHOLDER)) {
    const [text, kind, reference] = match as unknown as [string, string, string];
    if (replacements.has(text)) continue;
    const read =
      kind === 'path'
        ? fileRead(view, reference, ['source', 'sql'])
        : await datasetRead(view, reference, resolver, ['source', 'sql'], datasets);
    replacements.set(text, `(SELECT * FROM ${read})`);
  }
  const sql = source.sql
    .replace(PLACEHOLDER, (text) => replacements.get(text)!)
    .trim()
    .replace(/;+\s*$/, '');
  return `(${sql})`;
}

function fileRead(view: FeatureView, file: string, path: FieldPath): string {
  const absolute = isAbsolute(file) ? file : resolve(view.baseDir, file);
  let format;
  try {
    format = formatOf(absolute);
  } catch (error) {
    throw new InvalidInputError((error as Error).message, {
      where: view.locate(path),
      hint: (error as InvalidInputError).details?.hint ?? '',
    });
  }
  return readFilesSql([absolute], format);
}

async function datasetRead(
  view: FeatureView,
  reference: string,
  resolver: DatasetResolver | undefined,
  path: FieldPath,
  datasets: PreparedView['datasets'],
): Promise<string> {
  if (!resolver) {
    throw new InvalidInputError(`dataset "${reference}" cannot be resolved here: no dataset store is available`, {
      where: view.locate(path),
      hint: 'use a path: source (or {{ path:FILE }} in sql:) for a local file',
    });
  }
  const version = await resolver.resolve(reference);
  datasets.push({ reference, name: version.name, version: version.version, digest: version.digest });
  return readFilesSql(version.files, version.format);
}
