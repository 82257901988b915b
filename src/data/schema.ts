import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InvalidInputError, NotFoundError } from '../common/errors.js';
import { parseInput } from '../common/validation.js';
import type { StoredColumn } from './dataset-store.js';
import { cellText, sqlIdentifier, type DataEngine } from './duckdb.js';

/**
 * A version's columns: inferred by DuckDB, or declared in a file the data must then match, and
 * which of them are tagged sensitive.
 */

/** `name: TYPE` or `name: { type, nullable }` under `columns:`; a list of `{ name, type, nullable }` works too. */
const TypeName = z
  .string()
  .trim()
  .regex(
    /^[A-Za-z][A-Za-z0-9_ ]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?(\[\])?$/,
    'must be a DuckDB type name such as BIGINT, DOUBLE, VARCHAR, DATE, DECIMAL(10,2)',
  );
const ColumnSpec = z.union([TypeName, z.object({ type: TypeName, nullable: z.boolean().default(true) }).strict()]);
const DeclaredFile = z
  .object({
    columns: z.union([
      z.record(z.string().min(1), ColumnSpec),
      z.array(z.object({ name: z.string().min(1), type: TypeName, nullable: z.boolean().default(true) }).strict()),
    ]),
  })
  .strict();

/** Reads a declared schema (YAML or JSON) and names its types the way DuckDB does (`int` → INTEGER). */
export async function loadDeclaredSchema(file: string, engine: DataEngine): Promise<StoredColumn[]> {
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new NotFoundError(`schema file ${file} does not exist`, { where: file });
    throw error;
  });
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new InvalidInputError(`${file} is not valid YAML or JSON: ${(error as Error).message}`, { where: file });
  }
  const parsed = parseInput(DeclaredFile, raw, file);
  const columns = Array.isArray(parsed.columns)
    ? parsed.columns
    : Object.entries(parsed.columns).map(([name, spec]) =>
        typeof spec === 'string' ? { name, type: spec, nullable: true } : { name, ...spec },
      );
  const seen = new Set<string>();
  const declared: StoredColumn[] = [];
  for (const column of columns) {
    if (seen.has(column.name))
      throw new InvalidInputError(`${file} declares column ${column.name} twice`, {
        where: `${file}: columns.${column.name}`,
      });
    seen.add(column.name);
    declared.push({
      name: column.name,
      type: await canonicalType(engine, column.type, `${file}: columns.${column.name}`),
      nullable: column.nullable,
    });
  }
  if (declared.length === 0) throw new InvalidInputError(`${file} declares no columns`, { where: `${file}: columns` });
  return declared;
}

async function canonicalType(engine: DataEngine, type: string, where: string): Promise<string> {
  try {
    const [row] = await engine.all(`SELECT typeof(CAST(NULL AS ${type})) AS t`);
    return cellText(row?.t);
  } catch {
    throw new InvalidInputError(`unknown type ${type}`, {
      where,
      hint: 'use a DuckDB type: BIGINT, INTEGER, DOUBLE, DECIMAL(p,s), VARCHAR, BOOLEAN, DATE, TIMESTAMP',
    });
  }
}

/** What DuckDB infers from the data; `nullable` says whether a null was seen. */
export async function inferSchema(engine: DataEngine, source: string): Promise<Array<{ name: string; type: string }>> {
  const rows = await engine.all(`DESCRIBE SELECT * FROM ${source}`);
  return rows.map((row) => ({ name: cellText(row.column_name), type: cellText(row.column_type) }));
}

/**
 * Fails unless the data has exactly the declared columns and every value of each is representable in
 * its declared type without change (a cast there and back gives it back: 1.5 is not a BIGINT, "007"
 * is not an INTEGER), and columns declared not nullable hold no null. One scan for all columns.
 */
export async function checkDeclaredSchema(
  engine: DataEngine,
  source: string,
  inferred: ReadonlyArray<{ name: string; type: string }>,
  declared: readonly StoredColumn[],
  where: string,
): Promise<void> {
  const inferredByName = new Map(inferred.map((column) => [column.name, column.type]));
  const declaredNames = new Set(declared.map((column) => column.name));
  const problems: Array<{ column: string; reason: string }> = [];
  for (const column of declared) {
    if (!inferredByName.has(column.name))
      problems.push({ column: column.name, reason: 'declared but not in the data' });
  }
  for (const column of inferred) {
    if (!declaredNames.has(column.name))
      problems.push({ column: column.name, reason: `in the data (${column.type}) but not declared` });
  }
  const checks: string[] = [];
  const checked = declared.filter((column) => inferredByName.has(column.name));
  checked.forEach((column, i) => {
    const ref = sqlIdentifier(column.name);
    const actual = inferredByName.get(column.name)!;
    checks.push(
      actual === column.type
        ? `0 AS bad${i}`
        : `count(*) FILTER (WHERE ${ref} IS NOT NULL ` +
            `AND CAST(TRY_CAST(${ref} AS ${column.type}) AS ${actual}) IS DISTINCT FROM ${ref}) AS bad${i}`,
      `count(*) FILTER (WHERE ${ref} IS NULL) AS null${i}`,
    );
  });
  if (checks.length > 0) {
    const [counts = {}] = await engine.all(`SELECT ${checks.join(', ')} FROM ${source}`);
    checked.forEach((column, i) => {
      const bad = Number(counts[`bad${i}`] ?? 0);
      const nulls = Number(counts[`null${i}`] ?? 0);
      if (bad > 0)
        problems.push({
          column: column.name,
          reason: `${bad} value(s) are not ${column.type} (the data reads as ${inferredByName.get(column.name)})`,
        });
      if (nulls > 0 && !column.nullable)
        problems.push({ column: column.name, reason: `${nulls} null(s), declared not nullable` });
    });
  }
  if (problems.length === 0) return;
  const columns = [...new Set(problems.map((problem) => problem.column))];
  const described = problems.map((problem) => `  ${problem.column}: ${problem.reason}`).join('\n');
  throw new InvalidInputError(`the data does not match the declared schema:\n${described}`, {
    where: `${where}: ${columns.join(', ')}`,
    hint: 'fix the data or the schema file; nothing was registered',
  });
}

/** The sensitive tags, each a column of the schema. */
export function checkSensitive(columns: ReadonlyArray<{ name: string }>, sensitive: readonly string[]): string[] {
  const names = new Set(columns.map((column) => column.name));
  const unknown = sensitive.filter((name) => !names.has(name));
  if (unknown.length > 0) {
    throw new InvalidInputError(`unknown sensitive column${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, {
      where: '--sensitive',
      hint: `the columns are: ${[...names].join(', ')}`,
    });
  }
  return [...new Set(sensitive)];
}
