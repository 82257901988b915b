import { cellText, columnKind, sqlIdentifier, type DataEngine } from '../../data/index.js';

/** A relation's columns by name → DuckDB type (`DOUBLE`, `VARCHAR`, …), from DESCRIBE. */
export async function describeRelation(engine: DataEngine, relation: string): Promise<Map<string, string>> {
  const rows = await engine.all(`DESCRIBE SELECT * FROM ${relation}`);
  return new Map(rows.map((row) => [cellText(row.column_name), cellText(row.column_type)]));
}

/**
 * Drift compares numbers as DOUBLE: integers, decimals and floats qualify, and so do booleans
 * (as 0/1); dates or text declared numeric do not.
 */
export function isNumericType(type: string): boolean {
  return columnKind(type) === 'numeric' || type.toUpperCase() === 'BOOLEAN';
}

/** The SELECT list that renames the given columns to positional aliases `"0"`, `"1"`, … with a cast. */
export function castColumns(names: readonly string[], type: 'DOUBLE' | 'VARCHAR'): string {
  return names.map((name, index) => `CAST(${sqlIdentifier(name)} AS ${type}) AS "${index}"`).join(', ');
}

/**
 * Both relations as one long relation (feature, value, r, c): one row per non-null cell, r = 1 for
 * the reference's and c = 1 for the current's. UNPIVOT drops nulls, which is what drift wants.
 */
export function unpivotBoth(
  reference: string,
  current: string,
  names: readonly string[],
  type: 'DOUBLE' | 'VARCHAR',
): string {
  const columns = castColumns(names, type);
  const on = names.map((_, index) => `"${index}"`).join(', ');
  const side = (relation: string, r: number, c: number) =>
    `SELECT feature::INTEGER AS feature, value, ${r} AS r, ${c} AS c FROM ` +
    `(UNPIVOT (SELECT ${columns} FROM ${relation}) ON ${on} INTO NAME feature VALUE value)`;
  return `${side(reference, 1, 0)} UNION ALL ${side(current, 0, 1)}`;
}
