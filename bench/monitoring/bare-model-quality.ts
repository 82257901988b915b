import type { DataEngine, Row } from '../../src/data/duckdb.js';

/**
 * The same aggregates as `computeModelQuality` for the bench's relation, written by hand as one would without
 * Ciclo: the joined rows materialized once, one UNION ALL copy per grouping (overall, region, channel), AUC
 * from `rank()` with ties averaged, confusion counts and log loss, ECE over ten bins. No input checks, no
 * null handling: a floor for the same work.
 */
export async function bareModelQuality(engine: DataEngine, relation: string): Promise<Row[]> {
  return engine.all(`
WITH joined AS MATERIALIZED (SELECT label::DOUBLE AS y, score AS s, region, channel FROM ${relation}),
grouped AS (
  SELECT 'overall' AS grp, y, s FROM joined
  UNION ALL SELECT 'region=' || region, y, s FROM joined
  UNION ALL SELECT 'channel=' || channel, y, s FROM joined
),
ranked AS (
  SELECT grp, y, s, least(9, greatest(0, ceil(s * 10)::BIGINT - 1)) AS bin,
    (rank() OVER w + count(*) OVER w) / 2.0 AS avg_rank
  FROM grouped WINDOW w AS (PARTITION BY grp ORDER BY s)
),
bins AS (
  SELECT grp, bin, count(*) AS n, sum(y) AS pos, sum(s) AS score_sum,
    count(*) FILTER (WHERE y = 1 AND s >= 0.5) AS tp, count(*) FILTER (WHERE y = 0 AND s >= 0.5) AS fp,
    sum(-(y * ln(greatest(least(s, 1 - 1e-15), 1e-15)) + (1 - y) * ln(1 - greatest(least(s, 1 - 1e-15), 1e-15))))
      AS loss,
    sum(avg_rank) FILTER (WHERE y = 1) AS rank_sum
  FROM ranked GROUP BY grp, bin
)
SELECT grp, sum(n) AS rows, sum(pos) AS positives,
  (sum(tp) + sum(n) - sum(pos) - sum(fp)) / sum(n) AS accuracy,
  sum(tp) / (sum(tp) + sum(fp)) AS precision, sum(tp) / sum(pos) AS recall,
  2 * sum(tp) / (2 * sum(tp) + sum(fp) + sum(pos) - sum(tp)) AS f1,
  (sum(rank_sum) - sum(pos) * (sum(pos) + 1) / 2) / (sum(pos) * (sum(n) - sum(pos))) AS auc,
  sum(loss) / sum(n) AS log_loss, sum(abs(score_sum - pos)) / sum(n) AS calibration_error
FROM bins GROUP BY grp ORDER BY grp`);
}
