import { cellText, sqlIdentifier, type Cell, type DataEngine } from './duckdb.js';
import {
  HISTOGRAM_BINS,
  QUANTILES,
  TOP_VALUES,
  type ColumnKind,
  type ColumnProfile,
  type DatasetProfile,
} from './records.js';

/**
 * A dataset version's profile, computed once at registration in three scans whatever the number of
 * columns: one aggregate query for every column's simple statistics and quantiles, one for every
 * numeric column's histogram (its bins need the first scan's min and max), and one UNPIVOT for
 * every categorical column's top values. Sensitive columns get counts only: a min, a max or a top
 * value would show someone's data.
 */

export interface ProfiledColumn {
  name: string;
  type: string;
  sensitive: boolean;
}

const NUMERIC = /^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|FLOAT|REAL|DOUBLE|DECIMAL(\(\d+,\s*\d+\))?)$/;
const TEMPORAL = /^(DATE|TIME|TIMESTAMP.*|TIME WITH TIME ZONE)$/;
const CATEGORICAL = /^(VARCHAR|BOOLEAN|UUID|ENUM\(.*\))$/;

export function columnKind(type: string): ColumnKind {
  const upper = type.toUpperCase();
  if (NUMERIC.test(upper)) return 'numeric';
  if (TEMPORAL.test(upper)) return 'temporal';
  if (CATEGORICAL.test(upper)) return 'categorical';
  return 'other';
}

/** `source` is a relation usable in FROM: a `read_*` call or a parenthesized SELECT. */
export async function computeProfile(
  engine: DataEngine,
  source: string,
  columns: readonly ProfiledColumn[],
): Promise<DatasetProfile> {
  const plan = columns.map((column, index) => ({
    ...column,
    alias: `c${index}`,
    ref: sqlIdentifier(column.name),
    kind: column.sensitive ? ('other' as const) : columnKind(column.type),
    distinctable: columnKind(column.type) !== 'other',
  }));

  const selects = ['count(*) AS "rows"'];
  for (const c of plan) {
    selects.push(`count(${c.ref}) AS ${c.alias}_n`);
    if (c.distinctable) selects.push(`approx_count_distinct(${c.ref}) AS ${c.alias}_d`);
    if (c.kind === 'numeric') {
      const value = `${c.ref}::DOUBLE`;
      selects.push(
        `min(${value}) AS ${c.alias}_min`,
        `max(${value}) AS ${c.alias}_max`,
        `avg(${value}) AS ${c.alias}_mean`,
        `stddev_samp(${value}) AS ${c.alias}_std`,
        `quantile_cont(${value}, [${QUANTILES.map(([, q]) => q).join(', ')}]) AS ${c.alias}_q`,
      );
    } else if (c.kind === 'temporal') {
      selects.push(`min(${c.ref})::VARCHAR AS ${c.alias}_min`, `max(${c.ref})::VARCHAR AS ${c.alias}_max`);
    }
  }
  const [stats = {}] = await engine.all(`SELECT ${selects.join(', ')} FROM ${source}`);
  const rowCount = num(stats.rows) ?? 0;

  const profiles: ColumnProfile[] = plan.map((c) => {
    const nonNull = num(stats[`${c.alias}_n`]) ?? 0;
    const profile: ColumnProfile = {
      name: c.name,
      type: c.type,
      kind: columnKind(c.type),
      nulls: rowCount - nonNull,
      distinct: c.distinctable ? (num(stats[`${c.alias}_d`]) ?? 0) : null,
    };
    if (c.kind === 'numeric') {
      const quantiles = stats[`${c.alias}_q`];
      Object.assign(profile, {
        min: num(stats[`${c.alias}_min`]),
        max: num(stats[`${c.alias}_max`]),
        mean: num(stats[`${c.alias}_mean`]),
        std: num(stats[`${c.alias}_std`]),
        ...(Array.isArray(quantiles)
          ? { quantiles: Object.fromEntries(QUANTILES.map(([label], i) => [label, num(quantiles[i]) ?? 0])) }
          : {}),
      });
    } else if (c.kind === 'temporal') {
      Object.assign(profile, { min: str(stats[`${c.alias}_min`]), max: str(stats[`${c.alias}_max`]) });
    }
    return profile;
  });

  await addHistograms(engine, source, plan, profiles);
  await addTopValues(engine, source, plan, profiles);
  return { rowCount, columns: profiles };
}

/**
 * Every numeric column's bin counts in one scan: `histogram()` of each value's bin number. A value
 * equal to max falls in the last bin; a constant column is one bin.
 */
async function addHistograms(
  engine: DataEngine,
  source: string,
  plan: ReadonlyArray<{ alias: string; ref: string; kind: string }>,
  profiles: ColumnProfile[],
): Promise<void> {
  const selects: string[] = [];
  const bins = new Map<string, { index: number; min: number; width: number; count: number }>();
  plan.forEach((c, index) => {
    const { min, max } = profiles[index]!;
    if (
      c.kind !== 'numeric' ||
      typeof min !== 'number' ||
      typeof max !== 'number' ||
      !Number.isFinite(min) ||
      !Number.isFinite(max)
    )
      return;
    const count = max > min ? HISTOGRAM_BINS : 1;
    const width = (max - min) / count;
    bins.set(c.alias, { index, min, width, count });
    const bin =
      width > 0 ? `least(greatest(floor((${c.ref}::DOUBLE - (${min})) / (${width})), 0), ${count - 1})::INTEGER` : '0';
    selects.push(
      `histogram(CASE WHEN ${c.ref} IS NULL OR NOT isfinite(${c.ref}::DOUBLE) ` +
        `THEN NULL ELSE ${bin} END) AS ${c.alias}_h`,
    );
  });
  if (selects.length === 0) return;
  const [row = {}] = await engine.all(`SELECT ${selects.join(', ')} FROM ${source}`);
  for (const [alias, { index, min, width, count }] of bins) {
    const counts = new Array<number>(count).fill(0);
    for (const entry of entries(row[`${alias}_h`])) counts[entry.key] = entry.value;
    const edges = Array.from({ length: count + 1 }, (_, i) =>
      i === count ? (profiles[index]!.max as number) : min + i * width,
    );
    profiles[index]!.histogram = { edges, counts };
  }
}

/** The top values of every categorical column in one scan: UNPIVOT to (column, value), count, rank. */
async function addTopValues(
  engine: DataEngine,
  source: string,
  plan: ReadonlyArray<{ alias: string; ref: string; kind: string }>,
  profiles: ColumnProfile[],
): Promise<void> {
  const categorical = plan.map((c, index) => ({ ...c, index })).filter((c) => c.kind === 'categorical');
  if (categorical.length === 0) return;
  const casts = categorical.map((c) => `${c.ref}::VARCHAR AS ${c.alias}`).join(', ');
  const aliases = categorical.map((c) => c.alias).join(', ');
  const rows = await engine.all(
    `SELECT col, value, n FROM (
       SELECT col, value, count(*) AS n, row_number() OVER (PARTITION BY col ORDER BY count(*) DESC, value) AS rank
       FROM (UNPIVOT (SELECT ${casts} FROM ${source}) ON ${aliases} INTO NAME col VALUE value)
       GROUP BY col, value
     ) WHERE rank <= ${TOP_VALUES} ORDER BY col, rank`,
  );
  const byAlias = new Map(categorical.map((c) => [c.alias, profiles[c.index]!]));
  for (const c of categorical) profiles[c.index]!.topValues = [];
  for (const row of rows)
    byAlias.get(cellText(row.col))?.topValues?.push({ value: cellText(row.value), count: num(row.n) ?? 0 });
}

function entries(cell: Cell | undefined): Array<{ key: number; value: number }> {
  if (!Array.isArray(cell)) return [];
  return cell.flatMap((entry) => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return [];
    const key = num(entry.key);
    const value = num(entry.value);
    return key === null || value === null ? [] : [{ key, value }];
  });
}

function num(cell: Cell | undefined): number | null {
  if (cell === null || cell === undefined) return null;
  const value = typeof cell === 'number' ? cell : Number(cell);
  return Number.isNaN(value) && cell !== 'NaN' ? null : value;
}

function str(cell: Cell | undefined): string | null {
  return cell === null || cell === undefined ? null : cellText(cell);
}
