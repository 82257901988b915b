import { sqlString, type DataEngine } from '../../src/data/duckdb.js';

/**
 * The drift benchmark's tables, written by DuckDB from `range()` with `hash()` (deterministic, unlike
 * `random()` across threads). `seed` tells the two sides' samples apart; `shift` > 0 makes the
 * "current" side: numbers moved and a category mix tilted, so the statistics have something to find.
 */

/** A uniform number in [0, 1) from row i and column k, as a SQL expression. */
function uniform(k: number, seed: number): string {
  return `(hash(i, ${k}, ${seed}) % 1000000007) / 1000000007.0`;
}

/**
 * 14 numeric columns (7 continuous doubles with ~1M distinct values, 7 discrete: integers and
 * 2-decimal amounts) and 6 categorical ones (3 to 40 categories), ~1% nulls in some.
 */
export async function writeMixedTable(
  engine: DataEngine,
  file: string,
  rows: number,
  shift: number,
  seed: number,
): Promise<void> {
  const columns: string[] = [];
  for (let k = 0; k < 7; k++) columns.push(`${uniform(k, seed)} * ${10 + k} + ${shift * (k + 1)} AS n${k}`);
  for (let k = 7; k < 14; k++) {
    const value =
      k % 2 === 0
        ? `floor(${uniform(k, seed)} * ${20 + 10 * k} + ${shift * 5})`
        : `round(${uniform(k, seed)} * 500 + ${shift * 20}, 2)`;
    columns.push(
      k === 9 ? `CASE WHEN hash(i, 99) % 100 = 0 THEN NULL ELSE ${value} END AS n${k}` : `${value} AS n${k}`,
    );
  }
  const sizes = [3, 5, 8, 12, 20, 40];
  sizes.forEach((size, c) => {
    // Tilted toward the low categories on the current side: index = floor(u^(1 + shift) · size).
    const index = `floor(pow(${uniform(20 + c, seed)}, ${1 + shift}) * ${size})::INTEGER`;
    columns.push(`'cat_' || ${index} AS c${c}`);
  });
  await engine.run(
    `COPY (SELECT ${columns.join(', ')} FROM range(${rows}) t(i)) TO ${sqlString(file)} (FORMAT parquet)`,
  );
}

/** `width` numeric columns of 2-decimal amounts in [0, 1000) (100,000 distinct values each). */
export async function writeWideTable(
  engine: DataEngine,
  file: string,
  rows: number,
  width: number,
  shift: number,
  seed: number,
): Promise<void> {
  const columns = Array.from(
    { length: width },
    (_, k) => `round(${uniform(k, seed)} * 1000 + ${shift * (k % 7)}, 2) AS w${k}`,
  );
  await engine.run(
    `COPY (SELECT ${columns.join(', ')} FROM range(${rows}) t(i)) TO ${sqlString(file)} (FORMAT parquet)`,
  );
}
