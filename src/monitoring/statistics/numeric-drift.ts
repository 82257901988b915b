import type { DataEngine } from '../../data/index.js';
import { unpivotBoth } from './columns.js';

/**
 * What the engine learns about one numeric feature from both sides' exact empirical distributions:
 * the sizes, the KS statistic sup|F_ref − F_cur|, the Wasserstein-1 distance ∫|F_ref − F_cur| dx,
 * and the PSI bins' cumulative counts (how many values of each side are ≤ each edge).
 */
export interface NumericSummary {
  referenceCount: number;
  currentCount: number;
  ks: number | null;
  wasserstein: number | null;
  /** Distinct bin edges in increasing order, each with the counts of values ≤ it on each side. */
  edges: { edge: number; referenceAtOrBelow: number; currentAtOrBelow: number }[];
}

let tableSequence = 0;

/**
 * One batch of numeric features in one scan of each relation: UNPIVOT both into (feature, value),
 * count each distinct value per side, and run the ECDFs as window sums over the distinct values in
 * order, never per row. The ECDF table is kept for the batch's two small follow-ups (the KS and
 * Wasserstein aggregate; the reference quantiles and the counts at them) and dropped. Batches
 * bound the table's size: a distinct value per row is 2 × rows entries per feature.
 */
export async function summarizeNumeric(
  engine: DataEngine,
  reference: string,
  current: string,
  names: readonly string[],
  bins: number,
): Promise<NumericSummary[]> {
  const table = `ciclo_drift_ecdf_${process.pid}_${++tableSequence}`;
  await engine.run(
    `CREATE TEMP TABLE ${table} AS
     WITH counts AS (
       SELECT feature, value, sum(r)::BIGINT AS r, sum(c)::BIGINT AS c
       FROM (${unpivotBoth(reference, current, names, 'DOUBLE')})
       WHERE isfinite(value)
       GROUP BY feature, value
     )
     SELECT feature, value, r, c,
       sum(r) OVER w AS cr, sum(c) OVER w AS cc, lead(value) OVER w AS next_value
     FROM counts
     WINDOW w AS (PARTITION BY feature ORDER BY value ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)`,
  );
  try {
    const [distances, edges] = [await distanceRows(engine, table), await edgeRows(engine, table, bins)];
    return names.map((_, index) => {
      const row = distances.get(index);
      return {
        referenceCount: row?.nr ?? 0,
        currentCount: row?.nc ?? 0,
        ks: row?.ks ?? null,
        wasserstein: row?.wasserstein ?? null,
        edges: edges.get(index) ?? [],
      };
    });
  } finally {
    await engine.run(`DROP TABLE IF EXISTS ${table}`);
  }
}

interface DistanceRow {
  nr: number;
  nc: number;
  ks: number | null;
  wasserstein: number | null;
}

/**
 * KS as scipy's ks_2samp: the largest |F_ref(v) − F_cur(v)| over every value v seen on either side
 * (ECDFs as count / n in doubles, as numpy's searchsorted / n). Wasserstein-1 as scipy's
 * wasserstein_distance: Σ |F_ref(vᵢ) − F_cur(vᵢ)| (vᵢ₊₁ − vᵢ) over consecutive distinct values,
 * summed with fsum so the answer does not depend on the order threads add it up.
 */
async function distanceRows(engine: DataEngine, table: string): Promise<Map<number, DistanceRow>> {
  const rows = await engine.all(
    `WITH totals AS (SELECT feature, sum(r)::DOUBLE AS nr, sum(c)::DOUBLE AS nc FROM ${table} GROUP BY feature)
     SELECT t.feature, any_value(nr) AS nr, any_value(nc) AS nc,
       CASE WHEN any_value(nr) > 0 AND any_value(nc) > 0 THEN max(abs(cr / nr - cc / nc)) END AS ks,
       CASE WHEN any_value(nr) > 0 AND any_value(nc) > 0
         THEN coalesce(fsum(abs(cr / nr - cc / nc) * (next_value - value)), 0) END AS wasserstein
     FROM ${table} t JOIN totals USING (feature)
     GROUP BY t.feature`,
  );
  return new Map(
    rows.map((row) => [
      Number(row.feature),
      {
        nr: Number(row.nr),
        nc: Number(row.nc),
        ks: row.ks === null ? null : Number(row.ks),
        wasserstein: row.wasserstein === null ? null : Number(row.wasserstein),
      },
    ]),
  );
}

/**
 * The PSI edges: the reference's quantiles at i/bins (i = 1 … bins−1), interpolated linearly
 * between order statistics exactly as numpy.quantile's default ('linear': position i·(n−1)/bins,
 * numpy's two-sided lerp), found in the ECDF table by ASOF joins on the cumulative count instead of
 * a second sort. Then each distinct edge's cumulative counts on both sides: the ECDF row of the
 * largest value ≤ the edge.
 */
async function edgeRows(
  engine: DataEngine,
  table: string,
  bins: number,
): Promise<Map<number, NumericSummary['edges']>> {
  const rows = await engine.all(
    `WITH totals AS (SELECT feature, sum(r)::BIGINT AS nr FROM ${table} GROUP BY feature HAVING sum(r) > 0),
     positions AS (
       SELECT feature, (i * (nr - 1)) // ${bins} AS lo, ((i * (nr - 1)) % ${bins}) / ${bins} AS frac
       FROM totals, range(1, ${bins}) steps(i)
     ),
     reference_steps AS (SELECT feature, value, cr FROM ${table} WHERE r > 0),
     low AS (
       SELECT p.feature, p.lo, p.frac, s.value AS v_lo
       FROM positions p ASOF JOIN reference_steps s ON p.feature = s.feature AND p.lo < s.cr
     ),
     quantiles AS (
       SELECT DISTINCT feature,
         CASE WHEN frac >= 0.5 THEN v_hi - (v_hi - v_lo) * (1 - frac) ELSE v_lo + (v_hi - v_lo) * frac END AS edge
       FROM (
         -- One reference value (n = 1) has no next order statistic; its weight is 0 there anyway.
         SELECT l.feature, l.frac, l.v_lo, coalesce(s.value, l.v_lo) AS v_hi
         FROM low l ASOF LEFT JOIN reference_steps s ON l.feature = s.feature AND l.lo + 1 < s.cr
       )
     )
     SELECT q.feature, q.edge, coalesce(e.cr, 0) AS cr, coalesce(e.cc, 0) AS cc
     FROM quantiles q ASOF LEFT JOIN ${table} e ON q.feature = e.feature AND q.edge >= e.value
     ORDER BY q.feature, q.edge`,
  );
  const out = new Map<number, NumericSummary['edges']>();
  for (const row of rows) {
    const feature = Number(row.feature);
    const list = out.get(feature) ?? [];
    list.push({ edge: Number(row.edge), referenceAtOrBelow: Number(row.cr), currentAtOrBelow: Number(row.cc) });
    out.set(feature, list);
  }
  return out;
}
