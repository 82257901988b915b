import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sqlIdentifier, sqlString, type DataEngine } from '../../data/index.js';
import type { CaptureFile, CaptureStore, Feedback } from '../../serving/index.js';
import type { FeatureSpec } from '../types.js';

const HOUR_MS = 3_600_000;

/** Which captured rows a monitor run reads: a time span, or the last N rows before `end`. */
export type WindowSpan =
  { kind: 'time'; start: number; end: number } | { kind: 'rows'; rows: number; end: number; skip: number };

/** The columns a window table holds besides `request_id`, `row`, `time` and `version`. */
export interface WindowColumns {
  features: readonly FeatureSpec[];
  /** Output column watched for prediction drift and scored against feedback (a number). */
  prediction?: string;
  /** Input columns kept as text for segments, sensitive groups and custom SQL. */
  groups: readonly string[];
}

export interface LoadedWindow {
  table: string;
  rows: number;
  /** Rows with feedback joined (the `label` column not null). */
  labelled: number;
  start: number;
  end: number;
  files: string[];
}

/**
 * Loads captured rows of one deployment and version into a DuckDB table `name`: one row per scored row, each
 * watched input typed (numeric → DOUBLE, categorical → VARCHAR, from the captured JSON), the prediction, and the
 * feedback's label joined by request id (`label`, DOUBLE: 1/0 for true/false; a label per row when the feedback
 * is a list). The table is materialized once because drift, data quality, model quality and custom SQL all scan
 * it, and because custom SQL then runs with DuckDB's file access switched off (monitor-run.ts).
 */
export async function loadWindow(
  engine: DataEngine,
  name: string,
  source: { captures: CaptureStore; deployment: string; version: number; tempDir: string },
  span: WindowSpan,
  columns: WindowColumns,
): Promise<LoadedWindow> {
  const files = await filesFor(source.captures, source.deployment, span);
  const table = sqlIdentifier(name);
  const selected = [
    'request_id',
    '"row"',
    'time',
    'version',
    ...columns.features.map((feature) => typedInput(feature)),
    ...columns.groups
      .filter((group) => !columns.features.some((feature) => feature.name === group))
      .map((group) => `json_extract_string(inputs, ${jsonPath(group)}) AS ${sqlIdentifier(group)}`),
    ...(columns.prediction === undefined
      ? []
      : [`${numberOf(outputCell(columns.prediction))} AS ${sqlIdentifier(columns.prediction)}`]),
  ];
  if (files.length === 0) {
    await engine.run(`CREATE OR REPLACE TABLE ${table} AS SELECT ${selected.join(', ')}, NULL::DOUBLE AS label
      FROM (SELECT NULL::VARCHAR AS request_id, NULL::INTEGER AS "row", NULL::TIMESTAMP AS time,
                   NULL::INTEGER AS version,
                   NULL::VARCHAR AS inputs, NULL::VARCHAR AS outputs) WHERE false`);
    return { table: name, rows: 0, labelled: 0, start: spanStart(span), end: span.end, files: [] };
  }
  const paths = await Promise.all(files.map((file) => source.captures.localFile(file)));
  const feedbackFile = join(source.tempDir, `feedback-${randomUUID()}.jsonl`);
  await writeFeedback(feedbackFile, await source.captures.feedback(source.deployment));
  try {
    const scan = `read_parquet([${paths.map(sqlString).join(', ')}])`;
    const versionFilter = `version = ${Number(source.version)}`;
    const rows =
      span.kind === 'time'
        ? `SELECT * FROM ${scan}
           WHERE ${versionFilter} AND time >= epoch_ms(${span.start}) AND time < epoch_ms(${span.end})`
        : `SELECT * FROM ${scan} WHERE ${versionFilter} AND time < epoch_ms(${span.end})
           ORDER BY time DESC, request_id, "row" LIMIT ${span.rows} OFFSET ${span.skip}`;
    await engine.run(`CREATE OR REPLACE TABLE ${table} AS
      WITH captured AS (${rows}),
           feedback AS (SELECT request_id, label FROM read_json(${sqlString(feedbackFile)},
             format = 'newline_delimited', columns = {request_id: 'VARCHAR', label: 'VARCHAR'}))
      SELECT ${selected.join(', ')}, ${labelOf('feedback.label', 'captured."row"')} AS label
      FROM captured LEFT JOIN feedback USING (request_id)`);
    const [stats] = await engine.all(
      `SELECT count(*) AS n, count(label) AS labelled, epoch_ms(min(time)) AS first, epoch_ms(max(time)) AS last
       FROM ${table}`,
    );
    const count = Number(stats?.n ?? 0);
    return {
      table: name,
      rows: count,
      labelled: Number(stats?.labelled ?? 0),
      start: span.kind === 'time' || count === 0 ? spanStart(span) : Number(stats?.first),
      end: span.kind === 'time' || count === 0 ? span.end : Number(stats?.last) + 1,
      files: files.map((file) => file.path),
    };
  } finally {
    await rm(feedbackFile, { force: true });
  }
}

function spanStart(span: WindowSpan): number {
  return span.kind === 'time' ? span.start : span.end;
}

/**
 * The capture files that can hold the span's rows: by hour for a time span; for the last N rows, the newest
 * files until they hold N (plus the rows to skip), as the files' row counts say.
 */
async function filesFor(captures: CaptureStore, deployment: string, span: WindowSpan): Promise<CaptureFile[]> {
  if (span.kind === 'time') {
    return captures.files(deployment, { from: Math.floor(span.start / HOUR_MS) * HOUR_MS, to: span.end });
  }
  const all = await captures.files(deployment, { to: span.end });
  const chosen: CaptureFile[] = [];
  let rows = 0;
  for (let index = all.length - 1; index >= 0 && rows < span.rows + span.skip; index--) {
    chosen.push(all[index]!);
    rows += all[index]!.rows;
  }
  return chosen.reverse();
}

function typedInput(feature: FeatureSpec): string {
  const cell = `json_extract(inputs, ${jsonPath(feature.name)})`;
  const typed = feature.kind === 'numeric' ? numberOf(cell) : `${cell} ->> '$'`;
  return `${typed} AS ${sqlIdentifier(feature.name)}`;
}

/** A cell as a number: a scalar, or the one item of a `[1]`-shaped tensor cell (`[N, 1]` outputs). */
function numberOf(cell: string): string {
  return `COALESCE(TRY_CAST(${cell} ->> '$' AS DOUBLE), TRY_CAST(${cell} ->> '$[0]' AS DOUBLE))`;
}

function outputCell(column: string): string {
  return `json_extract(outputs, ${jsonPath(column)})`;
}

/** A JSON path naming one key, quoted so any column name works. */
function jsonPath(key: string): string {
  return sqlString(`$."${key.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`);
}

/** The label of one row: the feedback's value, or its `row`-th item when it is a list; true/false as 1/0. */
function labelOf(label: string, row: string): string {
  const item = `CASE WHEN json_type(${label}) = 'ARRAY' THEN json_extract(${label}, '$[' || ${row} || ']')
    ELSE ${label}::JSON END`;
  return `CASE json_type(${item}) WHEN 'BOOLEAN' THEN (${item} ->> '$')::BOOLEAN::DOUBLE
    ELSE TRY_CAST(${item} ->> '$' AS DOUBLE) END`;
}

async function writeFeedback(file: string, feedback: readonly Feedback[]): Promise<void> {
  await writeFile(
    file,
    feedback
      .map((entry) => JSON.stringify({ request_id: entry.requestId, label: JSON.stringify(entry.label) }))
      .join('\n'),
  );
}
