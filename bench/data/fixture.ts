import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataEngine, sqlString } from '../../src/data/duckdb.js';

/** A temp folder of generated Parquet files for the data benchmarks, removed by `drop`. */
export interface DataFixture {
  dir: string;
  drop(): void;
}

export function dataFixture(): DataFixture {
  const dir = mkdtempSync(path.join(tmpdir(), 'ciclo-bench-data-'));
  return { dir, drop: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * `rows` customers × 20 columns (ids, integers, doubles with nulls, categories, dates), written by
 * DuckDB itself from `range()` so generating 1M rows takes a second, not a minute.
 */
export async function writeWideTable(engine: DataEngine, file: string, rows: number): Promise<void> {
  await engine.run(
    `COPY (
      SELECT
        'C' || lpad(i::VARCHAR, 8, '0') AS customer_id,
        (hash(i, 1) % 120)::INTEGER AS tenure_months,
        round((hash(i, 2) % 10000) / 100.0, 2) AS monthly_charges,
        CASE WHEN hash(i, 3) % 100 = 0 THEN NULL ELSE round((hash(i, 3) % 800000) / 100.0, 2) END AS total_charges,
        ['month-to-month', 'one-year', 'two-year'][1 + (hash(i, 4) % 3)::BIGINT] AS contract,
        (hash(i, 5) % 10)::INTEGER AS support_calls,
        ['electronic-check', 'mailed-check', 'bank-transfer', 'credit-card'][1 + (hash(i, 6) % 4)::BIGINT]
          AS payment_method,
        ['none', 'dsl', 'fiber'][1 + (hash(i, 7) % 3)::BIGINT] AS internet_service,
        ['18-29', '30-44', '45-59', '60+'][1 + (hash(i, 8) % 4)::BIGINT] AS age_band,
        (hash(i, 9) % 2)::INTEGER AS churned,
        DATE '2020-01-01' + (hash(i, 10) % 1500)::INTEGER AS signup_date,
        (hash(i, 11) % 1000) / 10.0 AS usage_gb,
        (hash(i, 12) % 50)::INTEGER AS dropped_calls,
        CASE WHEN hash(i, 13) % 50 = 0 THEN NULL ELSE (hash(i, 13) % 5)::INTEGER END AS satisfaction,
        (hash(i, 14) % 100000) / 1000.0 AS score_a,
        (hash(i, 15) % 100000) / 1000.0 AS score_b,
        ['north', 'south', 'east', 'west', 'center'][1 + (hash(i, 16) % 5)::BIGINT] AS region,
        (hash(i, 17) % 3)::INTEGER AS lines,
        hash(i, 18) % 2 = 0 AS paperless,
        'user' || (hash(i, 19) % 100000)::VARCHAR || '@example.com' AS email
      FROM range(${rows}) t(i)
    ) TO ${sqlString(file)} (FORMAT parquet)`,
  );
}
