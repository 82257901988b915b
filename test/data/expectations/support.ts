import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cellText, DataEngine, readFilesSql, type DataFormat, type Row } from '../../../src/data/duckdb.js';
import type { ColumnSchema } from '../../../src/data/types.js';
import type { QueryEngine } from '../../../src/data/expectations/index.js';

export const HEADER = 'customer_id,email,tenure_months,contract,monthly_charges,total_charges,signup_date';
const CONTRACTS = ['month-to-month', 'one-year', 'two-year'];

/** Twelve customers that pass every expectation of the test suites. */
export function goodRows(): string[][] {
  return Array.from({ length: 12 }, (_, index) => {
    const i = index + 1;
    const monthly = 20 + i;
    return [
      `c${i}`,
      `user${i}@example.com`,
      String(i * 5),
      CONTRACTS[i % 3]!,
      String(monthly),
      String(monthly * i),
      `2024-05-${String(10 + i)}`,
    ];
  });
}

/**
 * The same customers, broken on purpose: 2 null emails, 1 malformed email, 1 duplicated id,
 * 7 tenures out of range, 2 unknown contracts, 3 totals below the monthly charge.
 */
export function badRows(): string[][] {
  const rows = goodRows();
  const set = (row: number, column: number, value: string) => (rows[row - 1]![column] = value);
  set(1, 1, '');
  set(2, 1, '');
  set(3, 1, 'not-an-email');
  set(4, 0, 'c5');
  for (let row = 6; row <= 12; row += 1) set(row, 2, String(200 + row));
  set(1, 3, 'weekly');
  set(3, 3, 'weekly');
  for (const row of [2, 4, 6]) set(row, 5, String(Number(rows[row - 1]![4]) - 1));
  return rows;
}

/** Writes the rows as CSV, then (through DuckDB) as JSON Lines or Parquet; returns the file. */
export async function writeData(
  engine: DataEngine,
  dir: string,
  name: string,
  rows: string[][],
  format: DataFormat,
): Promise<string> {
  const csv = join(dir, `${name}.csv`);
  writeFileSync(csv, [HEADER, ...rows.map((row) => row.join(','))].join('\n') + '\n');
  if (format === 'csv') return csv;
  const file = join(dir, `${name}.${format}`);
  const copyFormat = format === 'parquet' ? 'parquet' : 'json';
  await engine.run(`COPY (SELECT * FROM ${readFilesSql([csv], 'csv')}) TO '${file}' (FORMAT ${copyFormat})`);
  return file;
}

/** The relation's schema as DuckDB reads it, the way dataset registration records it. */
export async function schemaOf(engine: DataEngine, relationSql: string): Promise<ColumnSchema[]> {
  const rows = await engine.all(`DESCRIBE SELECT * FROM ${relationSql}`);
  return rows.map((row) => ({
    name: cellText(row.column_name),
    type: cellText(row.column_type),
    nullable: row.null === 'YES',
    sensitive: false,
  }));
}

/** The engine seen through `all` only, remembering every statement it was handed. */
export function countingEngine(engine: DataEngine): QueryEngine & { statements: string[] } {
  const statements: string[] = [];
  return {
    statements,
    all: (sql: string): Promise<Row[]> => {
      statements.push(sql);
      return engine.all(sql);
    },
  };
}
