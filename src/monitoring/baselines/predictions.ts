import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobStore } from '../../artifacts/index.js';
import {
  cellText,
  QUANTILES,
  readFilesSql,
  sqlIdentifier,
  sqlString,
  type DataEngine,
  type DatasetVersion,
  type Row,
} from '../../data/index.js';
import { frameOf, type Cell, type ServedModel } from '../../serving/index.js';
import type { PredictionSummary } from './types.js';

/** Rows per call to the model: large enough to amortize a call, small enough to keep a batch's frame small. */
export const BATCH_ROWS = 1000;
/**
 * The most evaluation rows scored at registration: the distribution of predictions is well described
 * by this many, and registering must not wait on scoring a huge table.
 */
export const DEFAULT_MAX_ROWS = 100_000;
/** The prediction's column in the Parquet file, unless the evaluation set has a column of that name. */
const PREDICTION_COLUMN = 'prediction';
const ROW_ID = '__ciclo_row';

export interface ScoredEvaluation {
  summary: PredictionSummary;
  digest: string;
}

/**
 * Scores the evaluation dataset version's rows (the first `maxRows`) with `model`, `batchRows` at a
 * time, and stores them with their predictions as one Parquet blob (DuckDB writes it, as the capture
 * does): the rows a monitor compares production predictions with.
 */
export async function scoreEvaluationSet(
  engine: DataEngine,
  blobs: BlobStore,
  model: ServedModel,
  dataset: DatasetVersion,
  options: { batchRows?: number; maxRows?: number } = {},
): Promise<ScoredEvaluation> {
  const batchRows = options.batchRows ?? BATCH_ROWS;
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  const table = 'ciclo_baseline_evaluation';
  const source = readFilesSql(dataset.files, dataset.format);
  await engine.run(
    `CREATE OR REPLACE TEMP TABLE ${table} AS
     SELECT row_number() OVER () - 1 AS ${ROW_ID}, * FROM (SELECT * FROM ${source} LIMIT ${maxRows})`,
  );
  const output = predictionOutput(model);
  const columns = dataset.schema.map((column) => column.name);
  const column = columns.includes(PREDICTION_COLUMN) ? `ciclo_${PREDICTION_COLUMN}` : PREDICTION_COLUMN;
  const dir = await mkdtemp(join(tmpdir(), 'ciclo-baseline-'));
  try {
    const predictions: (number | string | null)[] = [];
    for (let start = 0; ; start += batchRows) {
      const rows = await engine.all(
        `SELECT * EXCLUDE (${ROW_ID}) FROM ${table} WHERE ${ROW_ID} >= ${start} AND ${ROW_ID} < ${start + batchRows}
         ORDER BY ${ROW_ID}`,
      );
      if (rows.length === 0) break;
      const scored = await model.score(frameOfRows(rows, model, columns));
      const cells = scored.columns.get(output);
      if (cells === undefined || cells.length !== rows.length) {
        throw new Error(`the model answered no '${output}' for each of ${rows.length} rows`);
      }
      for (const cell of cells) predictions.push(predictionValue(cell));
    }
    const numeric = predictions.every((value) => value === null || typeof value === 'number');
    const lines = predictions.map((value, row) =>
      JSON.stringify({ n: row, prediction: numeric || value === null ? value : String(value) }),
    );
    const jsonl = join(dir, 'predictions.jsonl');
    const parquet = join(dir, 'predictions.parquet');
    await writeFile(jsonl, lines.join('\n'));
    await engine.run(
      `COPY (SELECT e.* EXCLUDE (${ROW_ID}), p.prediction AS ${sqlIdentifier(column)}
             FROM ${table} e JOIN read_json(${sqlString(jsonl)}, format = 'newline_delimited',
               columns = {n: 'BIGINT', prediction: '${numeric ? 'DOUBLE' : 'VARCHAR'}'}) p ON p.n = e.${ROW_ID}
             ORDER BY e.${ROW_ID})
       TO ${sqlString(parquet)} (FORMAT PARQUET)`,
    );
    const summary = await summarize(engine, parquet, column, numeric);
    const blob = await blobs.put(createReadStream(parquet));
    return {
      digest: blob.digest,
      summary: {
        dataset: `${dataset.name}@${dataset.version}`,
        output,
        column,
        kind: numeric ? 'numeric' : 'categorical',
        skippedRows: Math.max(0, dataset.rowCount - predictions.length),
        ...summary,
      },
    };
  } finally {
    await engine.run(`DROP TABLE IF EXISTS ${table}`);
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The output read as the prediction: the first whose name says it is a probability or a score (a
 * classifier's `probabilities` beside its `label`), else the first; `predictions` when the signature
 * names none (the python runtime's one column).
 */
export function predictionOutput(model: ServedModel): string {
  const names = model.outputs.map((output) => output.name);
  return names.find((name) => /prob|score/i.test(name)) ?? names[0] ?? 'predictions';
}

/** The signature's input columns of the rows (every column when it names none); structs as JSON text. */
export function frameOfRows(rows: readonly Row[], model: ServedModel, columns: readonly string[]) {
  const names = model.inputs.length > 0 ? model.inputs.map((input) => input.name) : columns;
  return frameOf(
    rows.length,
    names.map((name): [string, Cell[]] => [name, rows.map((row) => servingCell(row[name]))]),
  );
}

function servingCell(cell: Row[string] | undefined): Cell {
  if (cell === undefined || cell === null) return null;
  if (Array.isArray(cell)) return cell.map(servingCell);
  return typeof cell === 'object' ? JSON.stringify(cell) : cell;
}

/**
 * One row's prediction as a value: a number or label as it is; a row of two class probabilities →
 * the probability of class 1; a one-element row → its element; anything else as JSON text.
 */
export function predictionValue(cell: Cell): number | string | null {
  if (typeof cell === 'boolean') return cell ? 1 : 0;
  if (!Array.isArray(cell)) return cell as number | string | null;
  const values = cell as readonly Cell[];
  if (values.length === 2 && values.every((value) => typeof value === 'number')) return values[1] as number;
  if (values.length === 1) return predictionValue(values[0]!);
  return JSON.stringify(values);
}

async function summarize(
  engine: DataEngine,
  parquet: string,
  column: string,
  numeric: boolean,
): Promise<Pick<PredictionSummary, 'rows' | 'nulls' | 'mean' | 'std' | 'min' | 'max' | 'quantiles' | 'topValues'>> {
  const from = `read_parquet(${sqlString(parquet)})`;
  const value = sqlIdentifier(column);
  if (!numeric) {
    const [counts] = await engine.all(`SELECT count(*) AS rows, count(*) - count(${value}) AS nulls FROM ${from}`);
    const top = await engine.all(
      `SELECT ${value} AS value, count(*) AS count FROM ${from} WHERE ${value} IS NOT NULL
       GROUP BY ALL ORDER BY count DESC, value LIMIT 10`,
    );
    return {
      rows: Number(counts?.rows ?? 0),
      nulls: Number(counts?.nulls ?? 0),
      topValues: top.map((row) => ({ value: cellText(row.value), count: Number(row.count) })),
    };
  }
  const points = QUANTILES.map(([, point]) => point).join(', ');
  const [stats] = await engine.all(
    `SELECT count(*) AS rows, count(*) - count(${value}) AS nulls, avg(${value}) AS mean, stddev_samp(${value}) AS std,
            min(${value}) AS min, max(${value}) AS max, quantile_cont(${value}, [${points}]) AS quantiles
     FROM ${from}`,
  );
  const quantiles = Array.isArray(stats?.quantiles) ? stats.quantiles : [];
  return {
    rows: Number(stats?.rows ?? 0),
    nulls: Number(stats?.nulls ?? 0),
    mean: numberOrNull(stats?.mean),
    std: numberOrNull(stats?.std),
    min: numberOrNull(stats?.min),
    max: numberOrNull(stats?.max),
    quantiles: Object.fromEntries(
      QUANTILES.flatMap(([name], i) => (typeof quantiles[i] === 'number' ? [[name, quantiles[i]]] : [])),
    ),
  };
}

function numberOrNull(cell: Row[string] | undefined): number | null {
  return typeof cell === 'number' && Number.isFinite(cell) ? cell : null;
}
