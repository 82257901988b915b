import { InvalidInputError } from '../../common/errors.js';
import { cellText, sqlIdentifier, sqlString, type DataEngine, type DataFormat } from '../duckdb.js';
import type { DedupeConfig, SplitConfig, SqlConfig } from './kinds.js';

/**
 * The data steps' work, as SQL over views named after the step's inputs. Results are written with
 * COPY in a fixed row order so that the same inputs give byte-identical outputs.
 */

export interface TransformContext {
  engine: DataEngine;
  inputs: readonly string[];
  outputs: Record<string, string>;
}

/** Output name → rows written. */
export type Written = Record<string, number>;

export async function runSql(context: TransformContext, config: SqlConfig): Promise<Written> {
  const output = pickOne('output', config.output, Object.keys(context.outputs));
  return { [output]: await copyTo(context.engine, config.query, context.outputs[output]!, config.format) };
}

export async function runDedupe(context: TransformContext, config: DedupeConfig): Promise<Written> {
  const input = pickOne('input', config.input, context.inputs);
  const output = pickOne('output', config.output, Object.keys(context.outputs));
  const columns = await columnsOf(context.engine, input);
  requireColumns(columns, [...config.keys, ...(config.latest_by ? [config.latest_by] : [])], input);
  const order = [
    ...(config.latest_by ? [`${sqlIdentifier(config.latest_by)} DESC NULLS LAST`] : []),
    ...columns.map((column) => sqlIdentifier(column)),
  ].join(', ');
  const query =
    `SELECT * FROM ${sqlIdentifier(input)} ` +
    `QUALIFY row_number() OVER (PARTITION BY ${config.keys.map(sqlIdentifier).join(', ')} ORDER BY ${order}) = 1 ` +
    `ORDER BY ${columns.map(sqlIdentifier).join(', ')}`;
  return { [output]: await copyTo(context.engine, query, context.outputs[output]!, config.format) };
}

export async function runSplit(context: TransformContext, config: SplitConfig): Promise<Written> {
  const input = pickOne('input', config.input, context.inputs);
  const columns = await columnsOf(context.engine, input);
  requireColumns(columns, [...config.key, ...(config.stratify ? [config.stratify] : [])], input);
  const missing = Object.keys(config.ratios).filter((name) => !Object.hasOwn(context.outputs, name));
  if (missing.length > 0) {
    throw new InvalidInputError(`split parts ${missing.join(', ')} are not outputs of the step`, {
      where: 'ratios',
      hint: `declare them under outputs; the step's outputs: ${Object.keys(context.outputs).join(', ') || 'none'}`,
    });
  }
  const hash = `hash(${[String(config.seed), ...config.key.map(sqlIdentifier)].join(', ')})`;
  // A row's place in [0, 1): its rank by hash within its stratum over the stratum's size (so every
  // stratum is cut in the same proportions), or without strata the hash itself, scaled.
  const stratum = `PARTITION BY ${sqlIdentifier(config.stratify ?? '')}`;
  const position = config.stratify
    ? `(row_number() OVER (${stratum} ORDER BY ${hash}, ${config.key.map(sqlIdentifier).join(', ')}) - 1) ` +
      `/ count(*) OVER (${stratum})`
    : `(${hash} % 1000000) / 1000000.0`;
  await context.engine.run(
    `CREATE TEMP TABLE ciclo_split AS SELECT *, ${position} AS ciclo_position FROM ${sqlIdentifier(input)}`,
  );
  const written: Written = {};
  let lower = 0;
  // Cut in name order, not written order: definitions are stored as canonical JSON (sorted keys).
  const parts = Object.entries(config.ratios).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [index, [name, share]] of parts.entries()) {
    const upper = index === parts.length - 1 ? Number.POSITIVE_INFINITY : lower + share;
    const range = Number.isFinite(upper)
      ? `ciclo_position >= ${lower} AND ciclo_position < ${upper}`
      : `ciclo_position >= ${lower}`;
    const query =
      `SELECT * EXCLUDE (ciclo_position) FROM ciclo_split WHERE ${range} ` +
      `ORDER BY ${columns.map(sqlIdentifier).join(', ')}`;
    written[name] = await copyTo(context.engine, query, context.outputs[name]!, config.format);
    lower = upper;
  }
  return written;
}

async function copyTo(engine: DataEngine, query: string, file: string, format: DataFormat): Promise<number> {
  const options =
    format === 'parquet' ? 'FORMAT parquet' : format === 'csv' ? 'FORMAT csv, HEADER true' : 'FORMAT json';
  const rows = await engine.all(`COPY (${query}) TO ${sqlString(file)} (${options})`);
  return Number(rows[0]?.Count ?? 0);
}

async function columnsOf(engine: DataEngine, table: string): Promise<string[]> {
  return (await engine.all(`DESCRIBE ${sqlIdentifier(table)}`)).map((row) => cellText(row.column_name));
}

function requireColumns(columns: readonly string[], wanted: readonly string[], table: string): void {
  const unknown = wanted.filter((column) => !columns.includes(column));
  if (unknown.length > 0) {
    throw new InvalidInputError(`input "${table}" has no column ${unknown.map((c) => `"${c}"`).join(', ')}`, {
      hint: `its columns: ${columns.join(', ')}`,
    });
  }
}

/** The named one, or the only one there is. */
export function pickOne(what: 'input' | 'output', named: string | undefined, names: readonly string[]): string {
  if (named !== undefined) {
    if (names.includes(named)) return named;
    throw new InvalidInputError(`the step has no ${what} "${named}"`, {
      where: what,
      hint: `its ${what}s: ${names.join(', ')}`,
    });
  }
  if (names.length === 1) return names[0]!;
  throw new InvalidInputError(`the step has ${names.length} ${what}s; name the one to use`, {
    where: what,
    hint: `set ${what}: one of ${names.join(', ') || '(none)'}`,
  });
}
