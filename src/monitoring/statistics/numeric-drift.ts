import { sqlIdentifier, type DataEngine } from '../../data/index.js';
import { castColumns } from './columns.js';
import { BucketSweep, type BucketTable, type Refined } from './bucket-sweep.js';

/** A query's streamed result, as the data capability's engine hands it over. */
type DuckDBResult = Awaited<ReturnType<DataEngine['raw']['run']>>;

/**
 * What one numeric feature's exact empirical distributions give: the sizes, the KS statistic
 * sup|F_ref − F_cur|, the Wasserstein-1 distance ∫|F_ref − F_cur| dx, and the PSI bins' counts.
 */
export interface NumericSummary {
  /** 0 for a side without finite values; NaN for the other side then, which is not counted. */
  referenceCount: number;
  currentCount: number;
  ks: number | null;
  wasserstein: number | null;
  /** Values per PSI bin, (−∞, e₁], (e₁, e₂], …, (e_k, +∞), on each side. */
  bins: { reference: number[]; current: number[] };
}

/**
 * Buckets of the first pass. Measured on 1M continuous doubles: a GROUP BY into 4,096 buckets takes ~25 ms, into
 * 65,536 ~80 ms (its hash table leaves the cache), while the buckets read value by value stay a few.
 */
export const DEFAULT_BUCKETS = 4096;

/** Past this share of the rows in buckets to read value by value, reading every bucket costs no more. */
const REFINE_ALL_SHARE = 0.25;
/** Past this share of the rows to read, values are counted in DuckDB rather than sent row by row. */
const REFINE_GROUP_SHARE = 0.05;
/** Past this many buckets the IN list would cost more to parse than reading every bucket. */
const REFINE_LIST_MAX = 4096;
/** Features whose ranges one query finds (two or three aggregates each). */
const RANGE_BATCH = 250;

/** Bounds of a side's finite values of one feature, and whether it has any. */
interface SideRange {
  empty: boolean;
  lo: number;
  hi: number;
}

/**
 * Each numeric feature's summary: every feature's range in one query on each relation (batches of RANGE_BATCH
 * columns), then per feature a GROUP BY of each side into `buckets` equal-width buckets (count, extremes, sum),
 * then the values of the few buckets that table cannot decide (bucket-sweep.ts says which, and why the rest is
 * exact). Nulls, NaN and ±∞ are left out. Measured on 1M rows a side of drifted continuous doubles: ~130 ms a
 * feature, where a GROUP BY value and a sort of two million distinct values took ~1.1 s; a relation compared
 * with itself crosses zero everywhere and still costs that GROUP BY.
 */
export async function summarizeNumeric(
  engine: DataEngine,
  reference: string,
  current: string,
  names: readonly string[],
  bins: number,
  buckets = DEFAULT_BUCKETS,
): Promise<Map<string, NumericSummary>> {
  const referenceRanges = await sideRanges(engine, reference, names);
  const currentRanges = await sideRanges(engine, current, names);
  const out = new Map<string, NumericSummary>();
  for (const [index, name] of names.entries()) {
    const [r, c] = [referenceRanges[index]!, currentRanges[index]!];
    out.set(
      name,
      r.empty || c.empty
        ? {
            referenceCount: r.empty ? 0 : NaN,
            currentCount: c.empty ? 0 : NaN,
            ks: null,
            wasserstein: null,
            bins: { reference: [], current: [] },
          }
        : await summarizeFeature(engine, { reference, current, name, bins, buckets }, r, c),
    );
  }
  return out;
}

/**
 * Each feature's finite range on one side. The range only places the bucket boundaries (any bounds give the
 * same answer, see bucketOf), so plain min and max come first: DuckDB answers them without a CASE per value,
 * often from the file's statistics: on the 14 features of 1M rows in bench/monitoring, ~10 ms instead of ~500. Only the
 * features whose plain extremes are not finite (NaN, ±∞, or no value) are scanned again with ±∞ and NaN
 * left out.
 */
async function sideRanges(engine: DataEngine, relation: string, names: readonly string[]): Promise<SideRange[]> {
  const out: SideRange[] = [];
  for (let start = 0; start < names.length; start += RANGE_BATCH) {
    const batch = names.slice(start, start + RANGE_BATCH);
    const plain = batch.map((name) => `min(${sqlIdentifier(name)})::DOUBLE, max(${sqlIdentifier(name)})::DOUBLE`);
    const row = await firstRow(engine, `SELECT ${plain.join(', ')} FROM ${relation}`, batch.length * 2);
    const ranges = batch.map((_, k): SideRange => ({ empty: false, lo: row[2 * k]!, hi: row[2 * k + 1]! }));
    const unsure = batch.flatMap((_, k) => (isFiniteRange(ranges[k]!) ? [] : [k]));
    if (unsure.length > 0) {
      const columns = unsure.map((k) => batch[k]!);
      const aggregates = columns.map((_, k) => {
        // CASE rather than FILTER: measured 2.5 times faster over a wide batch.
        const finite = `CASE WHEN isfinite("${k}") THEN "${k}" END`;
        return `count(${finite})::DOUBLE, min(${finite}), max(${finite})`;
      });
      const sql = `SELECT ${aggregates.join(', ')} FROM (SELECT ${castColumns(columns, 'DOUBLE')} FROM ${relation})`;
      const finite = await firstRow(engine, sql, columns.length * 3);
      unsure.forEach((k, j) => {
        ranges[k] = { empty: finite[3 * j] === 0, lo: finite[3 * j + 1]!, hi: finite[3 * j + 2]! };
      });
    }
    out.push(...ranges);
  }
  return out;
}

function isFiniteRange(range: SideRange): boolean {
  return Number.isFinite(range.lo) && Number.isFinite(range.hi);
}

async function firstRow(engine: DataEngine, sql: string, count: number): Promise<number[]> {
  const columns = await readColumns(await engine.raw.run(sql), count);
  return columns.map((column) => column[0]!);
}

interface FeatureQuery {
  reference: string;
  current: string;
  name: string;
  bins: number;
  buckets: number;
}

async function summarizeFeature(
  engine: DataEngine,
  query: FeatureQuery,
  referenceRange: SideRange,
  currentRange: SideRange,
): Promise<NumericSummary> {
  const lo = Math.min(referenceRange.lo, currentRange.lo);
  const hi = Math.max(referenceRange.hi, currentRange.hi);
  const bucket = bucketOf(lo, hi, query.buckets);
  const finite = (relation: string) =>
    `(SELECT value, ${bucket} AS bucket FROM (SELECT CAST(${sqlIdentifier(query.name)} AS DOUBLE) AS value ` +
    `FROM ${relation}) WHERE isfinite(value))`;
  // A GROUP BY a side: one over the union with a FILTER per side cost 2.5 times as much.
  const bucketRows = async (relation: string) =>
    readColumns(
      await engine.raw.run(
        `SELECT bucket, count(*)::DOUBLE, min(value), max(value), sum(value)
         FROM ${finite(relation)} GROUP BY bucket ORDER BY bucket`,
      ),
      5,
    );
  const table = mergeSides(await bucketRows(query.reference), await bucketRows(query.current));
  const sweep = new BucketSweep(table);
  if (sweep.referenceCount === 0 || sweep.currentCount === 0) {
    const counts = { referenceCount: sweep.referenceCount, currentCount: sweep.currentCount };
    return { ...counts, ks: null, wasserstein: null, bins: { reference: [], current: [] } };
  }
  const total = sweep.referenceCount + sweep.currentCount;
  const result = await sweep.sweep(query.bins, async (positions) => {
    const share = positions.reduce((sum, i) => sum + table.r[i]! + table.c[i]!, 0) / total;
    const all = share > REFINE_ALL_SHARE || positions.length > REFINE_LIST_MAX;
    const where = all ? '' : `WHERE bucket IN (${positions.map((i) => table.ids[i]!).join(', ')})`;
    // A large read: distinct values with their counts, since a side's rows cost far more where values repeat
    // (two-decimal amounts: 10 rows a value at 1M rows). A small one: the rows in value order, ties counted
    // here, which measured ~25% less than the GROUP BY on continuous values. Neither sends the bucket back:
    // the table's extremes place each value, which saves a third to a half of what crosses into JavaScript.
    const grouped = share > REFINE_GROUP_SHARE;
    const valueRows = async (relation: string) =>
      grouped
        ? readColumns(
            await engine.raw.run(
              `SELECT value, count(*)::DOUBLE FROM ${finite(relation)} ${where} GROUP BY value ORDER BY value`,
            ),
            2,
          )
        : countTies(
            await readColumns(await engine.raw.run(`SELECT value FROM ${finite(relation)} ${where} ORDER BY value`), 1),
          );
    const refined = refinedBuckets(await valueRows(query.reference), await valueRows(query.current), table);
    return all ? refined : new Map(positions.map((i) => [i, refined.get(i)!]));
  });
  return {
    referenceCount: result.referenceCount,
    currentCount: result.currentCount,
    ks: result.ks,
    wasserstein: result.wasserstein,
    bins: result.bins,
  };
}

/**
 * A value's bucket, never decreasing as the value grows (a subtraction and a product by positive constants,
 * then floor, then a clamp): that order is all bucket-sweep.ts relies on, so bounds that miss some values
 * change the cost, never the answer. A range whose width does not fit a double, or one value, gives one
 * bucket, which is read value by value.
 */
function bucketOf(lo: number, hi: number, buckets: number): string {
  const scale = buckets / (hi - lo);
  if (!(hi > lo) || !Number.isFinite(scale) || scale <= 0) return '0';
  const scaled = `floor((value - ${doubleLiteral(lo)}) * ${doubleLiteral(scale)})`;
  return `least(greatest(${scaled}, 0), ${buckets - 1})::INTEGER`;
}

/** A double as SQL, exactly: a bare decimal literal would be parsed as DECIMAL. */
function doubleLiteral(value: number): string {
  return `CAST('${String(value)}' AS DOUBLE)`;
}

/** Both sides' bucket rows (bucket, count, min, max, sum; each in bucket order) as one table. */
function mergeSides(reference: Float64Array[], current: Float64Array[]): BucketTable {
  const ids: number[] = [];
  const [rIds, cIds] = [reference[0]!, current[0]!];
  for (let i = 0, j = 0; i < rIds.length || j < cIds.length;) {
    const id = j >= cIds.length || (i < rIds.length && rIds[i]! < cIds[j]!) ? rIds[i++]! : cIds[j++]!;
    if (ids.at(-1) !== id) ids.push(id);
    if (i < rIds.length && rIds[i] === id) i++;
    if (j < cIds.length && cIds[j] === id) j++;
  }
  const table: BucketTable = {
    ids: Int32Array.from(ids),
    ...{ r: new Float64Array(ids.length), c: new Float64Array(ids.length) },
    ...{ rMin: new Float64Array(ids.length).fill(NaN), rMax: new Float64Array(ids.length).fill(NaN) },
    ...{ cMin: new Float64Array(ids.length).fill(NaN), cMax: new Float64Array(ids.length).fill(NaN) },
    ...{ rSum: new Float64Array(ids.length).fill(NaN), cSum: new Float64Array(ids.length).fill(NaN) },
  };
  const place = (
    side: Float64Array[],
    count: Float64Array,
    min: Float64Array,
    max: Float64Array,
    sum: Float64Array,
  ) => {
    for (let i = 0, position = 0; i < side[0]!.length; i++) {
      while (table.ids[position] !== side[0]![i]) position++;
      count[position] = side[1]![i]!;
      min[position] = side[2]![i]!;
      max[position] = side[3]![i]!;
      sum[position] = side[4]![i]!;
    }
  };
  place(reference, table.r, table.rMin, table.rMax, table.rSum);
  place(current, table.c, table.cMin, table.cMax, table.cSum);
  return table;
}

/** Values in order as (value, count) with one row a distinct value. */
function countTies([value]: Float64Array[]): Float64Array[] {
  const [values, counts] = [new Float64Array(value!.length), new Float64Array(value!.length)];
  let length = 0;
  for (let i = 0; i < value!.length; i++) {
    if (length > 0 && values[length - 1] === value![i]) {
      counts[length - 1]!++;
      continue;
    }
    values[length] = value![i]!;
    counts[length++] = 1;
  }
  return [values.subarray(0, length), counts.subarray(0, length)];
}

/**
 * The refined buckets by position in the table, from each side's (value, count) rows in value order. A value
 * read back lies within its bucket's extremes, and buckets' values never overlap (a value's bucket never
 * decreases), so one merge by value walks the table alongside.
 */
function refinedBuckets(reference: Float64Array[], current: Float64Array[], table: BucketTable): Map<number, Refined> {
  const [rValue, rCount] = reference as [Float64Array, Float64Array];
  const [cValue, cCount] = current as [Float64Array, Float64Array];
  const size = rValue.length + cValue.length;
  const values = new Float64Array(size);
  const r = new Float64Array(size);
  const c = new Float64Array(size);
  let length = 0;
  for (let i = 0, j = 0; i < rValue.length || j < cValue.length; length++) {
    const value = j >= cValue.length || (i < rValue.length && rValue[i]! <= cValue[j]!) ? rValue[i]! : cValue[j]!;
    values[length] = value;
    if (i < rValue.length && rValue[i] === value) r[length] = rCount[i++]!;
    if (j < cValue.length && cValue[j] === value) c[length] = cCount[j++]!;
  }
  const out = new Map<number, Refined>();
  let position = 0;
  for (let start = 0; start < length;) {
    while (values[start]! > highest(table, position)) {
      if (++position >= table.ids.length) throw new Error(`value ${values[start]} read back beyond every bucket`);
    }
    let end = start + 1;
    while (end < length && values[end]! <= highest(table, position)) end++;
    out.set(position, { values: values.subarray(start, end), r: r.subarray(start, end), c: c.subarray(start, end) });
    start = end;
  }
  return out;
}

/** A bucket's largest value on either side. */
function highest(table: BucketTable, position: number): number {
  const [r, c] = [table.rMax[position]!, table.cMax[position]!];
  return Number.isNaN(r) ? c : Number.isNaN(c) ? r : Math.max(r, c);
}

/**
 * A result's numeric columns as Float64Arrays (null → NaN), chunk by chunk through the engine's connection:
 * a million rows as row objects would cost more than the query.
 */
async function readColumns(result: DuckDBResult, count: number): Promise<Float64Array[]> {
  let capacity = 1024;
  let columns = Array.from({ length: count }, () => new Float64Array(capacity));
  let length = 0;
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    if (length + chunk.rowCount > capacity) {
      while (length + chunk.rowCount > capacity) capacity *= 2;
      columns = columns.map((column) => {
        const bigger = new Float64Array(capacity);
        bigger.set(column.subarray(0, length));
        return bigger;
      });
    }
    for (let k = 0; k < count; k++) {
      const vector = chunk.getColumnVector(k);
      const column = columns[k]!;
      for (let i = 0; i < chunk.rowCount; i++) {
        const item = vector.getItem(i);
        column[length + i] = item === null ? NaN : Number(item);
      }
    }
    length += chunk.rowCount;
  }
  return columns.map((column) => column.subarray(0, length));
}
