import { sqlIdentifier, type DataEngine } from '../../data/index.js';

/**
 * What one numeric feature's exact empirical distributions give: the sizes, the KS statistic
 * sup|F_ref − F_cur|, the Wasserstein-1 distance ∫|F_ref − F_cur| dx, and the PSI bins' counts.
 */
export interface NumericSummary {
  referenceCount: number;
  currentCount: number;
  ks: number | null;
  wasserstein: number | null;
  /** Values per PSI bin, (−∞, e₁], (e₁, e₂], …, (e_k, +∞), on each side. */
  bins: { reference: number[]; current: number[] };
}

/**
 * The feature's distinct values in order with each side's count, from one DuckDB query (one scan
 * of each relation: a hash aggregate, then a sort of the distinct values only), swept once here.
 * Measured on 1M rows a side of 2-decimal amounts (100k distinct values): ~70 ms a feature this
 * way, ~300 ms with the ECDFs as window sums in DuckDB (UNPIVOT of a batch of columns, GROUP BY
 * feature and value, a partitioned window, then the quantiles by ASOF joins): a window over the
 * distinct values costs more than handing them over, and UNPIVOT tripled the aggregate's time.
 */
export async function summarizeNumeric(
  engine: DataEngine,
  reference: string,
  current: string,
  name: string,
  bins: number,
): Promise<NumericSummary> {
  const x = `CAST(${sqlIdentifier(name)} AS DOUBLE)`;
  const result = await engine.raw.run(
    `SELECT value, sum(r)::DOUBLE AS r, sum(c)::DOUBLE AS c
     FROM (SELECT ${x} AS value, 1 AS r, 0 AS c FROM ${reference} UNION ALL SELECT ${x}, 0, 1 FROM ${current})
     WHERE isfinite(value)
     GROUP BY value
     ORDER BY value`,
  );
  const steps = new Steps();
  // Chunk by chunk through the engine's connection: two million rows as row objects would cost more
  // than the query.
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    const [values, r, c] = [chunk.getColumnVector(0), chunk.getColumnVector(1), chunk.getColumnVector(2)];
    for (let i = 0; i < chunk.rowCount; i++) {
      steps.push(values.getItem(i) as number, r.getItem(i) as number, c.getItem(i) as number);
    }
  }
  return steps.summarize(bins);
}

/** The distinct values in increasing order with their counts per side. */
class Steps {
  #values: Float64Array = new Float64Array(1024);
  #r: Float64Array = new Float64Array(1024);
  #c: Float64Array = new Float64Array(1024);
  #length = 0;

  push(value: number, r: number, c: number): void {
    if (this.#length === this.#values.length) {
      this.#values = grow(this.#values);
      this.#r = grow(this.#r);
      this.#c = grow(this.#c);
    }
    this.#values[this.#length] = value;
    this.#r[this.#length] = r;
    this.#c[this.#length] = c;
    this.#length++;
  }

  summarize(bins: number): NumericSummary {
    let nr = 0;
    let nc = 0;
    for (let i = 0; i < this.#length; i++) {
      nr += this.#r[i]!;
      nc += this.#c[i]!;
    }
    if (nr === 0 || nc === 0) {
      return {
        referenceCount: nr,
        currentCount: nc,
        ks: null,
        wasserstein: null,
        bins: { reference: [], current: [] },
      };
    }
    const { ks, wasserstein } = this.#distances(nr, nc);
    return { referenceCount: nr, currentCount: nc, ks, wasserstein, bins: this.#binCounts(this.#edges(nr, bins)) };
  }

  /**
   * KS as scipy's ks_2samp: the largest |F_ref(v) − F_cur(v)| over every value v seen on either
   * side, each ECDF count / n in doubles (numpy's searchsorted / n). Wasserstein-1 as scipy's
   * wasserstein_distance: Σ |F_ref(vᵢ) − F_cur(vᵢ)| (vᵢ₊₁ − vᵢ) over consecutive values, summed with
   * Neumaier's compensation so a million terms lose nothing.
   */
  #distances(nr: number, nc: number): { ks: number; wasserstein: number } {
    let cr = 0;
    let cc = 0;
    let ks = 0;
    let sum = 0;
    let compensation = 0;
    for (let i = 0; i < this.#length; i++) {
      cr += this.#r[i]!;
      cc += this.#c[i]!;
      const difference = Math.abs(cr / nr - cc / nc);
      if (difference > ks) ks = difference;
      if (i + 1 === this.#length) break;
      const term = difference * (this.#values[i + 1]! - this.#values[i]!);
      const next = sum + term;
      compensation += Math.abs(sum) >= Math.abs(term) ? sum - next + term : term - next + sum;
      sum = next;
    }
    return { ks, wasserstein: sum + compensation };
  }

  /**
   * The PSI edges: the reference's quantiles at i/bins (i = 1 … bins−1) exactly as numpy.quantile's
   * default ('linear': virtual index n·q + (1 − q) − 1, numpy's two-sided lerp between the order
   * statistics around it), distinct and increasing.
   */
  #edges(nr: number, bins: number): number[] {
    const edges: number[] = [];
    let index = 0;
    let cumulative = this.#r[0]!;
    // The k-th smallest reference value (0-based): walk to the first distinct value whose cumulative
    // reference count passes k. Quantile positions only increase, so one walk serves them all.
    const orderStatistic = (k: number): number => {
      while (cumulative <= k) cumulative += this.#r[++index]!;
      return this.#values[index]!;
    };
    for (let i = 1; i < bins; i++) {
      const q = i / bins;
      const virtual = nr * q + (1 - q) - 1;
      const lo = Math.floor(virtual);
      const gamma = virtual - lo;
      const a = orderStatistic(lo);
      const b = orderStatistic(Math.min(lo + 1, nr - 1));
      const edge = gamma >= 0.5 ? b - (b - a) * (1 - gamma) : a + (b - a) * gamma;
      edges.push(edge);
    }
    return [...new Set(edges)].sort((a, b) => a - b);
  }

  /** Each side's count per bin, (−∞, e₁], (e₁, e₂], …, (e_k, +∞), in one walk over the values. */
  #binCounts(edges: readonly number[]): NumericSummary['bins'] {
    const reference = new Array<number>(edges.length + 1).fill(0);
    const current = new Array<number>(edges.length + 1).fill(0);
    let bin = 0;
    for (let i = 0; i < this.#length; i++) {
      while (bin < edges.length && this.#values[i]! > edges[bin]!) bin++;
      reference[bin]! += this.#r[i]!;
      current[bin]! += this.#c[i]!;
    }
    return { reference, current };
  }
}

function grow(array: Float64Array): Float64Array {
  const bigger = new Float64Array(array.length * 2);
  bigger.set(array);
  return bigger;
}
