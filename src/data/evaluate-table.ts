import { existsSync } from 'node:fs';
import { InvalidInputError, NotFoundError } from '../common/errors.js';
import { evaluatePredictions, type EvaluationConfig, type EvaluationReport } from '../evaluation/index.js';
import { checkCsvFile } from './csv-check.js';
import { cellText, dataReadError, formatOf, readFilesSql, sqlIdentifier, type DataEngine } from './duckdb.js';

/**
 * `ciclo evaluate FILE`: a predictions file checked as a dataset's would be (a malformed CSV line is named with
 * its `file:line`, unreadable data is bad input), then evaluated.
 */
export async function evaluateFile(
  engine: DataEngine,
  file: string,
  config: EvaluationConfig,
): Promise<EvaluationReport> {
  if (!existsSync(file)) {
    throw new NotFoundError(`no file ${file}`, { where: 'predictions', hint: 'give the path of a predictions file' });
  }
  const format = formatOf(file);
  try {
    if (format === 'csv') await checkCsvFile(engine, file);
    return await evaluateTable(engine, readFilesSql([file], format), config);
  } catch (error) {
    throw dataReadError(error, file);
  }
}

/**
 * Evaluates a table of predictions (a `read_*` call or a view) through DuckDB, for the `evaluate` step kind and
 * `ciclo evaluate`: only the columns the config names are read, and a missing one is named before any row is.
 */
export async function evaluateTable(
  engine: DataEngine,
  relationSql: string,
  config: EvaluationConfig,
): Promise<EvaluationReport> {
  const columns = (await engine.all(`DESCRIBE SELECT * FROM ${relationSql}`)).map((row) => cellText(row.column_name));
  const wanted = [config.label, config.score, ...(config.champion ? [config.champion] : []), ...config.sensitive];
  const unknown = wanted.filter((column) => !columns.includes(column));
  if (unknown.length > 0) {
    throw new InvalidInputError(`the predictions have no column ${unknown.map((c) => `"${c}"`).join(', ')}`, {
      hint: `their columns: ${columns.join(', ')}`,
    });
  }
  const rows = await engine.all(`SELECT ${[...new Set(wanted)].map(sqlIdentifier).join(', ')} FROM ${relationSql}`);
  return evaluatePredictions(rows, config);
}
