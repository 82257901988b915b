import { sqlIdentifier, type DataEngine } from '../../src/data/duckdb.js';
import type { FeatureSpec } from '../../src/monitoring/types.js';

/**
 * The floor: the same statistics as DuckDB queries a person would write by hand, one feature at a
 * time. Numeric: the two ECDFs over distinct values with window sums (KS, Wasserstein), the
 * reference deciles and both sides' counts per bin (PSI). Categorical: both sides' counts per
 * category (chi², Jensen–Shannon and PSI are arithmetic on those few rows). No p-values, no input
 * checks, no nulls-with-reasons.
 */
export async function bareDrift(
  engine: DataEngine,
  reference: string,
  current: string,
  features: readonly FeatureSpec[],
): Promise<void> {
  for (const feature of features) {
    const x = sqlIdentifier(feature.name);
    const both = `SELECT ${x} AS value, 1 AS r, 0 AS c FROM ${reference} WHERE ${x} IS NOT NULL
      UNION ALL SELECT ${x}, 0, 1 FROM ${current} WHERE ${x} IS NOT NULL`;
    if (feature.kind === 'categorical') {
      await engine.all(`SELECT value, sum(r) AS r, sum(c) AS c FROM (${both}) GROUP BY value`);
      continue;
    }
    await engine.all(
      `WITH g AS (SELECT value, sum(r) AS r, sum(c) AS c FROM (${both}) GROUP BY value),
       e AS (SELECT value, sum(r) OVER w AS cr, sum(c) OVER w AS cc, lead(value) OVER w AS nv,
               sum(r) OVER () AS nr, sum(c) OVER () AS nc
             FROM g WINDOW w AS (ORDER BY value ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW))
       SELECT max(abs(cr / nr - cc / nc)) AS ks, sum(abs(cr / nr - cc / nc) * (nv - value)) AS wasserstein FROM e`,
    );
    const bins = Array.from({ length: 10 }, (_, i) =>
      i === 9
        ? `count(*) FILTER (WHERE value > q[9])`
        : `count(*) FILTER (WHERE value <= q[${i + 1}]${i > 0 ? ` AND value > q[${i}]` : ''})`,
    );
    await engine.all(
      `WITH edges AS (SELECT quantile_cont(${x}, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]) AS q FROM ${reference})
       SELECT r, ${bins.join(', ')} FROM (${both}), edges GROUP BY r`,
    );
  }
}
