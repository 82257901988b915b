import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { cellText, DataEngine, readFilesSql } from '../../src/data/duckdb.js';
import { loadSuiteFile, runSuite } from '../../src/data/expectations/index.js';
import type { ColumnSchema } from '../../src/data/types.js';
import { elapsedMs, fmt, summarize } from '../stats.js';

const SUITE = `name: bench-20
expectations:
  - { column: customer_id, unique: true }
  - { column: customer_id, not_null: true }
  - { column: customer_id, regex: '^C[0-9]{8}$' }
  - { column: tenure_months, between: { min: 0, max: 120 } }
  - { column: monthly_charges, between: { min: 0, max: 100 } }
  - { column: total_charges, not_null: true, severity: warn }
  - { column: contract, in_set: [month-to-month, one-year, two-year] }
  - { column: support_calls, between: { min: 0, max: 9 } }
  - { column: payment_method, in_set: [electronic-check, mailed-check, bank-transfer, credit-card] }
  - { column: internet_service, in_set: [none, dsl, fiber] }
  - { column: age_band, in_set: ['18-29', '30-44', '45-59', '60+'] }
  - { column: churned, in_set: [0, 1] }
  - { column: signup_date, exists: true, type: DATE }
  - { column: usage_gb, between: { min: 0, max: 100 } }
  - { column: satisfaction, not_null: true, severity: warn }
  - { column: region, in_set: [north, south, east, west, center] }
  - { column: lines, between: { min: 0, max: 2 } }
  - { column: email, regex: '^[^@]+@[^@]+$' }
  - { row_count: { min: 1000 } }
  - { name: score_order, sql: "select * from data where score_a < 0 or score_b < 0" }
`;

/**
 * (b) a 20-expectation suite on the 1M-row table through `runSuite`, against DuckDB running the
 * equivalent single aggregate by hand (the floor: one scan computing every failing count).
 */
export async function benchExpectations(
  engine: DataEngine,
  dir: string,
  file: string,
  repeats: number,
): Promise<string> {
  const suiteFile = path.join(dir, 'suite.yaml');
  writeFileSync(suiteFile, SUITE);
  const suite = await loadSuiteFile(suiteFile);
  const relationSql = readFilesSql([file], 'parquet');
  const schema: ColumnSchema[] = (await engine.all(`DESCRIBE SELECT * FROM ${relationSql}`)).map((row) => ({
    name: cellText(row.column_name),
    type: cellText(row.column_type),
    nullable: true,
    sensitive: false,
  }));
  const bare = `SELECT
      count(*) - count(DISTINCT customer_id) AS dup, count(*) FILTER (WHERE customer_id IS NULL) AS id_null,
      count(*) FILTER (WHERE NOT regexp_matches(customer_id, '^C[0-9]{8}$')) AS id_re,
      count(*) FILTER (WHERE tenure_months NOT BETWEEN 0 AND 120) AS tenure,
      count(*) FILTER (WHERE monthly_charges NOT BETWEEN 0 AND 100) AS charges,
      count(*) FILTER (WHERE total_charges IS NULL) AS total_null,
      count(*) FILTER (WHERE contract NOT IN ('month-to-month', 'one-year', 'two-year')) AS contract,
      count(*) FILTER (WHERE support_calls NOT BETWEEN 0 AND 9) AS calls,
      count(*) FILTER (
        WHERE payment_method NOT IN ('electronic-check', 'mailed-check', 'bank-transfer', 'credit-card')
      ) AS pay,
      count(*) FILTER (WHERE internet_service NOT IN ('none', 'dsl', 'fiber')) AS net,
      count(*) FILTER (WHERE age_band NOT IN ('18-29', '30-44', '45-59', '60+')) AS age,
      count(*) FILTER (WHERE churned NOT IN (0, 1)) AS churned,
      count(*) FILTER (WHERE usage_gb NOT BETWEEN 0 AND 100) AS usage,
      count(*) FILTER (WHERE satisfaction IS NULL) AS sat_null,
      count(*) FILTER (WHERE region NOT IN ('north', 'south', 'east', 'west', 'center')) AS region,
      count(*) FILTER (WHERE lines NOT BETWEEN 0 AND 2) AS lines,
      count(*) FILTER (WHERE NOT regexp_matches(email, '^[^@]+@[^@]+$')) AS email,
      count(*) AS n, count(*) FILTER (WHERE score_a < 0 OR score_b < 0) AS scores
    FROM ${relationSql}`;
  const ciclo: number[] = [];
  const raw: number[] = [];
  let passed = false;
  for (let i = 0; i < repeats; i++) {
    let start = process.hrtime.bigint();
    const report = await runSuite(engine, { relationSql, schema, sensitive: [] }, suite);
    ciclo.push(elapsedMs(start));
    passed = report.errors === 0;
    start = process.hrtime.bigint();
    await engine.all(bare);
    raw.push(elapsedMs(start));
  }
  const c = summarize(ciclo).p50;
  const r = summarize(raw).p50;
  return (
    `(b) 20-expectation suite on 1M rows × 20 columns (Parquet), median of ${repeats}: ` +
    `Ciclo runSuite ${fmt(c, 0)} ms (target < 3000 ms; suite ${passed ? 'passed' : 'failed'}, warnings expected); ` +
    `DuckDB bare aggregate ${fmt(r, 0)} ms; ratio ${fmt(c / r)}x`
  );
}
