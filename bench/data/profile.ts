import { cellText, readFilesSql } from '../../src/data/duckdb.js';
import type { DataEngine } from '../../src/data/duckdb.js';
import { computeProfile } from '../../src/data/profile.js';
import { elapsedMs, fmt, summarize } from '../stats.js';

/**
 * (a) the profile of the 1M-row × 20-column table as registration computes it, next to DuckDB's own
 * `SUMMARIZE` of the same file (min/max/approx distinct/mean/std/quartiles/null share per column;
 * no histograms or top values, so it is a floor, not the same work).
 */
export async function benchProfile(engine: DataEngine, file: string, repeats: number): Promise<string> {
  const source = readFilesSql([file], 'parquet');
  const columns = (await engine.all(`DESCRIBE SELECT * FROM ${source}`)).map((row) => ({
    name: cellText(row.column_name),
    type: cellText(row.column_type),
    sensitive: false,
  }));
  const ciclo: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < repeats; i++) {
    let start = process.hrtime.bigint();
    const profile = await computeProfile(engine, source, columns);
    ciclo.push(elapsedMs(start));
    if (profile.rowCount !== 1_000_000) throw new Error(`profiled ${profile.rowCount} rows, expected 1,000,000`);
    start = process.hrtime.bigint();
    await engine.all(`SUMMARIZE SELECT * FROM ${source}`);
    raw.push(elapsedMs(start));
  }
  const c = summarize(ciclo).p50;
  const r = summarize(raw).p50;
  return (
    `(a) profile of 1M rows × ${columns.length} columns (Parquet), median of ${repeats}: ` +
    `Ciclo ${fmt(c, 0)} ms (target < 3000 ms; stats, p1–p99, 20-bin histograms, top 10 values); ` +
    `DuckDB SUMMARIZE ${fmt(r, 0)} ms; ratio ${fmt(c / r)}x`
  );
}
