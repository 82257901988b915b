import { parse as parseCsv } from 'csv-parse/sync';
import { InvalidInputError } from '../../common/errors.js';
import type { ColumnType } from '../column-types.js';
import { frameOf, type Cell, type Frame } from '../frame.js';

/**
 * The request bodies of MLflow's scoring server (`POST /invocations`), read into a frame: JSON with
 * exactly one of `dataframe_split`, `dataframe_records`, `instances` or `inputs` (an optional
 * `params` is accepted and not used), or CSV with a header row. The frame then goes through the
 * signature check like every other protocol's.
 */
const FORMATS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;

export function frameOfInvocation(body: unknown, types: readonly ColumnType[]): Frame {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw bad('the body must be a JSON object', '', formatsHint());
  }
  const fields = Object.keys(body).filter((key) => key !== 'params');
  const unknown = fields.filter((key) => !(FORMATS as readonly string[]).includes(key));
  if (unknown.length > 0)
    throw bad(`unknown field ${unknown.map((key) => `'${key}'`).join(', ')}`, unknown[0]!, formatsHint());
  if (fields.length !== 1) throw bad(`the body must hold exactly one of ${FORMATS.join(', ')}`, '', formatsHint());
  const format = fields[0] as (typeof FORMATS)[number];
  const value = (body as Record<string, unknown>)[format];
  switch (format) {
    case 'dataframe_split':
      return fromSplit(value);
    case 'dataframe_records':
      return fromRecords(value, format);
    case 'instances':
    case 'inputs':
      return fromTensorStyle(value, format, types);
  }
}

/** CSV with a header row; each cell is read as the signature's column type wants (a number, a boolean, text). */
export function frameOfCsv(text: string, types: readonly ColumnType[]): Frame {
  let records: string[][];
  try {
    records = parseCsv(text, { skip_empty_lines: true });
  } catch (error) {
    const { message, lines } = error as { message: string; lines?: number };
    throw bad(
      `the CSV body is malformed: ${message}`,
      lines === undefined ? 'body' : `body:${lines}`,
      'Send a header row, then one record per line, every record with as many fields as the header.',
    );
  }
  const [header, ...rows] = records;
  if (header === undefined)
    throw bad('the CSV body is empty', 'body', 'Send a header row naming the columns, then the rows.');
  const byName = new Map(types.map((type) => [type.name, type]));
  const columns = header.map((name, column): [string, Cell[]] => [
    name,
    rows.map((row, i) => cellOfText(row[column]!, byName.get(name), `${name}[${i}]`, i + 2)),
  ]);
  return frameOf(rows.length, columns);
}

function fromSplit(value: unknown): Frame {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw bad('dataframe_split must be an object {columns, data}', 'dataframe_split', formatsHint());
  }
  const { columns, data } = value as { columns?: unknown; data?: unknown };
  if (!Array.isArray(columns) || !columns.every((name) => typeof name === 'string')) {
    throw bad('dataframe_split.columns must be a list of column names', 'dataframe_split.columns', formatsHint());
  }
  if (!Array.isArray(data))
    throw bad('dataframe_split.data must be a list of rows', 'dataframe_split.data', formatsHint());
  data.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== columns.length) {
      throw bad(
        `dataframe_split.data[${i}] must be a list of ${columns.length} values, one per column`,
        `dataframe_split.data[${i}]`,
        formatsHint(),
      );
    }
  });
  const rows = data as Cell[][];
  return frameOf(
    rows.length,
    columns.map((name, column): [string, Cell[]] => [name, rows.map((row) => row[column]!)]),
  );
}

function fromRecords(value: unknown, field: string): Frame {
  if (!Array.isArray(value)) throw bad(`${field} must be a list of records`, field, formatsHint());
  const names = new Set<string>();
  value.forEach((record, i) => {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw bad(`${field}[${i}] must be an object {column: value}`, `${field}[${i}]`, formatsHint());
    }
    for (const name of Object.keys(record as object)) names.add(name);
  });
  const records = value as Record<string, Cell>[];
  // A record without a column is a missing value there, as pandas reads records.
  return frameOf(
    records.length,
    [...names].map((name): [string, Cell[]] => [name, records.map((record) => record[name] ?? null)]),
  );
}

/**
 * TensorFlow Serving's forms, as MLflow takes them: `{column: [values]}` (columns), a list of
 * records, or a list of values for a model with one input (each value one row of it).
 */
function fromTensorStyle(value: unknown, field: string, types: readonly ColumnType[]): Frame {
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((item) => typeof item === 'object' && item !== null && !Array.isArray(item))) {
      return fromRecords(value, field);
    }
    if (types.length !== 1) {
      throw bad(
        `${field} as a list of values needs a model with exactly one input (this one has ${types.length})`,
        field,
        `Send ${field} as {column: [values]} or as a list of records.`,
      );
    }
    return frameOf(value.length, [[types[0]!.name, value as Cell[]]]);
  }
  if (typeof value !== 'object' || value === null)
    throw bad(`${field} must be a list or an object`, field, formatsHint());
  const columns = Object.entries(value as Record<string, unknown>);
  let rows: number | undefined;
  for (const [name, cells] of columns) {
    if (!Array.isArray(cells))
      throw bad(`${field}.${name} must be a list of values, one per row`, `${field}.${name}`, formatsHint());
    rows ??= cells.length;
    if (cells.length !== rows) {
      throw bad(
        `${field}.${name} has ${cells.length} values, but ${columns[0]![0]} has ${rows}`,
        `${field}.${name}`,
        'Send as many values in every column.',
      );
    }
  }
  return frameOf(rows ?? 0, columns as [string, Cell[]][]);
}

/** A CSV field as the column's type reads it; empty is null. Columns the signature does not know stay text. */
function cellOfText(text: string, type: ColumnType | undefined, where: string, line: number): Cell {
  if (text === '') return null;
  if (type === undefined || type.cellShape.length > 0) return text;
  switch (type.kind) {
    case 'number':
    case 'integer': {
      const number = Number(text);
      if (Number.isNaN(number))
        throw bad(
          `line ${line}: ${where} is "${text.slice(0, 50)}", not a number`,
          where,
          `Write a number in column '${type.name}'.`,
        );
      return number;
    }
    case 'boolean':
      if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
      throw bad(
        `line ${line}: ${where} is "${text.slice(0, 50)}", not true or false`,
        where,
        `Write true or false in column '${type.name}'.`,
      );
    default:
      return text;
  }
}

function formatsHint(): string {
  return (
    'Send {"dataframe_split": {"columns": [...], "data": [[...]]}}, {"dataframe_records": [{...}]}, ' +
    '{"instances": [...]} or {"inputs": {...}} (docs/serving.md).'
  );
}

function bad(message: string, where: string, hint: string): InvalidInputError {
  return new InvalidInputError(message, { where: where === '' ? 'body' : where, hint });
}
