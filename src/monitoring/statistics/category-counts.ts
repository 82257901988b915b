import type { DataEngine } from '../../data/index.js';
import { castColumns } from './columns.js';

/** Each categorical feature's count per category on each side, aligned: one entry per category seen on either. */
export interface CategoryCounts {
  reference: number[];
  current: number[];
}

/** Features one query counts: GROUPING_ID is a bitmask of the grouped columns, 64 at most. */
const SET_BATCH = 32;

/**
 * Every categorical feature's counts by category, in one scan of each relation per SET_BATCH features: one
 * grouping set (side, feature) per feature, each counting rows only. Measured 3 to 6 times faster than
 * UNPIVOT into (feature, value) rows, which builds a list per row before grouping. Nulls are left out, as
 * UNPIVOT did; categories are ordered by their text, keyed by the features' positions in `names`.
 */
export async function categoryCounts(
  engine: DataEngine,
  reference: string,
  current: string,
  names: readonly string[],
): Promise<Map<number, CategoryCounts>> {
  const out = new Map<number, CategoryCounts>();
  for (let start = 0; start < names.length; start += SET_BATCH) {
    const batch = names.slice(start, start + SET_BATCH);
    const rows = await engine.all(countsSql(reference, current, batch));
    for (const row of rows) {
      const feature = start + Number(row.feature);
      const counts = out.get(feature) ?? { reference: [], current: [] };
      counts.reference.push(Number(row.r));
      counts.current.push(Number(row.c));
      out.set(feature, counts);
    }
  }
  return out;
}

function countsSql(reference: string, current: string, names: readonly string[]): string {
  const columns = names.map((_, k) => `"${k}"`);
  const sets = columns.map((column) => `(side, ${column})`).join(', ');
  // In the set of feature k, every other feature's column is aggregated away: its bit in GROUPING_ID is 1,
  // the first column's bit the highest.
  const all = 2 ** names.length - 1;
  const setOf = columns.map((_, k) => `WHEN ${all - 2 ** (names.length - 1 - k)} THEN ${k}`).join(' ');
  const valueOf = columns.map((column, k) => `WHEN ${k} THEN ${column}`).join(' ');
  const both = `SELECT 0 AS side, ${castColumns(names, 'VARCHAR')} FROM ${reference}
     UNION ALL SELECT 1, ${castColumns(names, 'VARCHAR')} FROM ${current}`;
  return `WITH sets AS (
       SELECT CASE GROUPING_ID(${columns.join(', ')}) ${setOf} END AS feature, side, ${columns.join(', ')},
              count(*) AS n
       FROM (${both}) GROUP BY GROUPING SETS (${sets})),
     cells AS (SELECT feature, CASE feature ${valueOf} END AS value, side, n FROM sets)
     SELECT feature, value, coalesce(sum(n) FILTER (WHERE side = 0), 0)::BIGINT AS r,
            coalesce(sum(n) FILTER (WHERE side = 1), 0)::BIGINT AS c
     FROM cells WHERE value IS NOT NULL
     GROUP BY feature, value ORDER BY feature, value`;
}
