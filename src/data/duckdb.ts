import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { CicloError, InvalidInputError } from '../common/errors.js';

/**
 * The data engine seam: every dataset read, profile, expectation, transform and point-in-time join
 * goes through DuckDB here. One in-memory DuckDB per `DataEngine`; files are read in place.
 */

export type DataFormat = 'csv' | 'parquet' | 'jsonl';

/** A plain JS value of a result cell: bigints that fit a double become numbers, dates/timestamps ISO strings. */
export type Cell = string | number | boolean | null | Cell[] | { [key: string]: Cell };
export type Row = Record<string, Cell>;

/** A cell as text: VARCHAR cells (column names, types, file paths) as they are, lists and structs as JSON. */
export function cellText(cell: Cell | undefined): string {
  return typeof cell === 'object' && cell !== null ? JSON.stringify(cell) : String(cell);
}

/**
 * DuckDB's messages quote the statement after the cause (`\n\nLINE 1: SELECT … read_csv([...` and a caret):
 * our SQL, which means nothing to a user and must not reach one. The cause stays; the original is kept as `cause`.
 */
function rethrowWithoutSql(error: unknown): never {
  if (!(error instanceof Error)) throw error;
  const quoted = error.message.search(/\n\s*LINE \d+:/);
  if (quoted === -1) throw error;
  throw new Error(error.message.slice(0, quoted).trim(), { cause: error });
}

export class DataEngine {
  readonly #instance: DuckDBInstance;
  readonly #connection: DuckDBConnection;

  private constructor(instance: DuckDBInstance, connection: DuckDBConnection) {
    this.#instance = instance;
    this.#connection = connection;
  }

  /** An in-memory DuckDB; `threads` defaults to DuckDB's own (the machine's cores). */
  static async open(options: { threads?: number } = {}): Promise<DataEngine> {
    // Imported on first use: its native library and its modules cost ~40 ms that commands on the
    // metadata store alone need not pay.
    const { DuckDBInstance: Instance } = await import('@duckdb/node-api');
    const instance = await Instance.create(':memory:', {
      ...(options.threads === undefined ? {} : { threads: String(options.threads) }),
    });
    return new DataEngine(instance, await instance.connect());
  }

  /** Runs a statement and returns every row as plain values. */
  async all(sql: string, values?: DuckDBValue[]): Promise<Row[]> {
    const reader = await this.#connection.runAndReadAll(sql, values).catch(rethrowWithoutSql);
    return reader.getRowObjectsJS().map((row) => normalizeRow(row as Record<string, unknown>));
  }

  /** Runs a statement for its effect (CREATE VIEW, COPY …). */
  async run(sql: string, values?: DuckDBValue[]): Promise<void> {
    await this.#connection.run(sql, values).catch(rethrowWithoutSql);
  }

  /** The underlying connection, for what `all`/`run` do not cover (appenders, streaming reads). */
  get raw(): DuckDBConnection {
    return this.#connection;
  }

  close(): void {
    this.#connection.closeSync();
    this.#instance.closeSync();
  }
}

function normalizeRow(row: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [key, value] of Object.entries(row)) out[key] = normalizeCell(value);
  return out;
}

function normalizeCell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(normalizeCell);
  if (typeof value === 'object') return normalizeRow(value as Record<string, unknown>);
  return value as Cell;
}

/** A SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** A quoted SQL identifier (a column or table name as the user wrote it). */
export function sqlIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

const FORMAT_BY_EXTENSION: Record<string, DataFormat> = {
  '.csv': 'csv',
  '.parquet': 'parquet',
  '.pq': 'parquet',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.json': 'jsonl',
};

/** The format of a data file from its extension, or a clear error naming the accepted ones. */
export function formatOf(file: string): DataFormat {
  const extension = /\.[^./\\]+$/.exec(file.toLowerCase())?.[0] ?? '';
  const format = FORMAT_BY_EXTENSION[extension];
  if (!format) {
    throw new InvalidInputError(`cannot tell the format of ${file}`, {
      where: file,
      hint: 'data files end in .csv, .parquet (.pq) or .jsonl (.ndjson, .json: one JSON object per line)',
    });
  }
  return format;
}

/**
 * The table function that reads these files (all of one format) as one relation, for use in FROM.
 * CSV is read strictly (comma, double quotes, a header row): a ragged or badly quoted file is an
 * error, not a silently re-sniffed single column.
 */
export function readFilesSql(files: readonly string[], format: DataFormat): string {
  const list = `[${files.map(sqlString).join(', ')}]`;
  switch (format) {
    case 'csv':
      return `read_csv(${list}, header = true, delim = ',', quote = '"', escape = '"', union_by_name = true)`;
    case 'parquet':
      return `read_parquet(${list}, union_by_name = true)`;
    case 'jsonl':
      return `read_json(${list}, format = 'newline_delimited', union_by_name = true)`;
  }
}

/** DuckDB's own reading errors (conversion, malformed JSON, corrupt Parquet) are the data's fault: bad input. */
export function dataReadError(error: unknown, where: string): unknown {
  if (error instanceof CicloError || !(error instanceof Error)) return error;
  const message = error.message
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(0, 6)
    .join('\n');
  return new InvalidInputError(`cannot read ${where}: ${message}`, {
    where,
    hint: 'check the files are well-formed data of their format',
  });
}
