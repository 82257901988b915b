/**
 * The exact KS, Wasserstein-1 and PSI bins of one numeric feature from a table of value buckets, reading the
 * values themselves only where the buckets' counts, extremes and sums cannot decide.
 *
 * Buckets split the feature's range in order (a value's bucket never decreases as the value grows), so with
 * G(x) = F_ref(x) − F_cur(x) and g the value of G just below bucket i, every G inside bucket i lies within
 * [g − c/n_cur, g + r/n_ref]. Hence:
 * - KS = max |G| over the data points: at least L, the largest |G| at a bucket's end; a bucket whose bound
 *   cannot exceed L needs no look inside.
 * - Wasserstein = ∫|G| dx: where G keeps one sign in a bucket, ∫|G| = |∫G|, and ∫G over [min, max] of the
 *   bucket is g·(max − min) + Σ_ref(max − v)/n_ref − Σ_cur(max − v)/n_cur, from counts and sums; between
 *   buckets G is constant.
 * - PSI's edges are reference order statistics: a bucket holding one distinct reference value gives it; so
 *   does a bucket's count up to an edge when the edge is outside its values.
 * Only buckets where G may change sign, may pass L, or straddle a quantile or an edge are read value by value
 * (`Refined`), so a drifted feature of a million distinct values costs one aggregate instead of a sort.
 */

/** One row per non-empty bucket, in value order; extremes and sums are NaN on a side with no values. */
export interface BucketTable {
  ids: Int32Array;
  r: Float64Array;
  c: Float64Array;
  rMin: Float64Array;
  rMax: Float64Array;
  cMin: Float64Array;
  cMax: Float64Array;
  rSum: Float64Array;
  cSum: Float64Array;
}

/** A bucket read value by value: its distinct values in increasing order, with each side's count. */
export interface Refined {
  values: Float64Array;
  r: Float64Array;
  c: Float64Array;
}

/** Reads the given buckets (by position in the table) value by value. */
export type ReadBuckets = (positions: readonly number[]) => Promise<Map<number, Refined>>;

export interface SweepResult {
  referenceCount: number;
  currentCount: number;
  ks: number;
  wasserstein: number;
  bins: { reference: number[]; current: number[] };
  /** Buckets read value by value, of all non-empty ones: what the shortcut saved. */
  refined: number;
}

export class BucketSweep {
  readonly #t: BucketTable;
  readonly #length: number;
  /** Cumulative counts before position i (length + 1 entries). */
  readonly #cumR: Float64Array;
  readonly #cumC: Float64Array;
  readonly #nr: number;
  readonly #nc: number;
  readonly #refined = new Map<number, Refined>();

  constructor(table: BucketTable) {
    this.#t = table;
    this.#length = table.ids.length;
    this.#cumR = new Float64Array(this.#length + 1);
    this.#cumC = new Float64Array(this.#length + 1);
    for (let i = 0; i < this.#length; i++) {
      this.#cumR[i + 1] = this.#cumR[i]! + table.r[i]!;
      this.#cumC[i + 1] = this.#cumC[i]! + table.c[i]!;
    }
    this.#nr = this.#cumR[this.#length]!;
    this.#nc = this.#cumC[this.#length]!;
  }

  get referenceCount(): number {
    return this.#nr;
  }

  get currentCount(): number {
    return this.#nc;
  }

  /** Both sides must have values. `read` is called at most twice: for KS, Wasserstein and quantiles, then edges. */
  async sweep(bins: number, read: ReadBuckets): Promise<SweepResult> {
    const ksFloor = this.#ksFloor();
    await this.#refine([...this.#signOrPeakBuckets(ksFloor), ...this.#quantileBuckets(bins)], read);
    const edges = this.#edges(bins);
    await this.#refine(this.#edgeBuckets(edges), read);
    const { ks, wasserstein } = this.#distances(ksFloor);
    return {
      referenceCount: this.#nr,
      currentCount: this.#nc,
      ks,
      wasserstein,
      bins: this.#binCounts(edges),
      refined: this.#refined.size,
    };
  }

  /** G just below position i, each ECDF as count / n like numpy's searchsorted / n. */
  #gBefore(i: number): number {
    return this.#cumR[i]! / this.#nr - this.#cumC[i]! / this.#nc;
  }

  #low(i: number): number {
    return Math.min(nanless(this.#t.rMin[i]!, Infinity), nanless(this.#t.cMin[i]!, Infinity));
  }

  #high(i: number): number {
    return Math.max(nanless(this.#t.rMax[i]!, -Infinity), nanless(this.#t.cMax[i]!, -Infinity));
  }

  /** L: the largest |G| at a bucket's last value, which is a data point. */
  #ksFloor(): number {
    let floor = 0;
    for (let i = 1; i <= this.#length; i++) floor = Math.max(floor, Math.abs(this.#gBefore(i)));
    return floor;
  }

  /** Buckets of more than one value where G may change sign inside, or where |G| may pass L. */
  #signOrPeakBuckets(ksFloor: number): number[] {
    const positions: number[] = [];
    for (let i = 0; i < this.#length; i++) {
      if (!(this.#low(i) < this.#high(i))) continue;
      const g = this.#gBefore(i);
      const low = g - this.#t.c[i]! / this.#nc;
      const high = g + this.#t.r[i]! / this.#nr;
      if ((low < 0 && high > 0) || Math.max(Math.abs(low), Math.abs(high)) > ksFloor) positions.push(i);
    }
    return positions;
  }

  /** The bucket holding the reference's k-th smallest value (0-based). */
  #positionOfOrderStatistic(k: number): number {
    let lo = 0;
    let hi = this.#length - 1;
    // The first position whose cumulative reference count passes k.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#cumR[mid + 1]! > k) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** numpy.quantile's default ('linear'): virtual index n·q + (1 − q) − 1, its two order statistics. */
  #quantileIndices(bins: number): { q: number; lo: number; hi: number; gamma: number }[] {
    const out: { q: number; lo: number; hi: number; gamma: number }[] = [];
    for (let i = 1; i < bins; i++) {
      const q = i / bins;
      const virtual = this.#nr * q + (1 - q) - 1;
      const lo = Math.floor(virtual);
      out.push({ q, lo, hi: Math.min(lo + 1, this.#nr - 1), gamma: virtual - lo });
    }
    return out;
  }

  /**
   * The buckets holding a quantile's order statistics among several reference values, and every bucket from
   * the lower's to the upper's where either side spreads: an edge lies between the two order statistics, so
   * only those can straddle it, and reading them now spares the edges' own round trip.
   */
  #quantileBuckets(bins: number): number[] {
    const positions: number[] = [];
    for (const { lo, hi } of this.#quantileIndices(bins)) {
      const [first, last] = [this.#positionOfOrderStatistic(lo), this.#positionOfOrderStatistic(hi)];
      for (let i = first; i <= last; i++) {
        if (this.#low(i) < this.#high(i)) positions.push(i);
      }
    }
    return positions;
  }

  #orderStatistic(k: number): number {
    const i = this.#positionOfOrderStatistic(k);
    if (this.#t.rMin[i] === this.#t.rMax[i]) return this.#t.rMin[i]!;
    const refined = this.#refined.get(i)!;
    let cumulative = this.#cumR[i]!;
    for (let j = 0; j < refined.values.length; j++) {
      cumulative += refined.r[j]!;
      if (cumulative > k) return refined.values[j]!;
    }
    throw new Error(`order statistic ${k} not in its bucket`);
  }

  /** The PSI edges at the reference's quantiles i/bins, as numpy.quantile's lerp, distinct and increasing. */
  #edges(bins: number): number[] {
    const edges = this.#quantileIndices(bins).map(({ lo, hi, gamma }) => {
      const a = this.#orderStatistic(lo);
      const b = this.#orderStatistic(hi);
      return gamma >= 0.5 ? b - (b - a) * (1 - gamma) : a + (b - a) * gamma;
    });
    return [...new Set(edges)].sort((a, b) => a - b);
  }

  /** Per edge and side, the bucket with values on both sides of it (at most one: buckets are ordered). */
  #edgeBuckets(edges: readonly number[]): number[] {
    const positions: number[] = [];
    for (const edge of edges) {
      for (const [min, max] of [
        [this.#t.rMin, this.#t.rMax],
        [this.#t.cMin, this.#t.cMax],
      ] as const) {
        const i = this.#straddling(min, max, edge);
        if (i !== undefined && !this.#refined.has(i)) positions.push(i);
      }
    }
    return positions;
  }

  #straddling(min: Float64Array, max: Float64Array, edge: number): number | undefined {
    for (let i = 0; i < this.#length; i++) {
      if (min[i]! <= edge && edge < max[i]!) return i;
      if (min[i]! > edge) return undefined;
    }
    return undefined;
  }

  async #refine(positions: readonly number[], read: ReadBuckets): Promise<void> {
    const wanted = [...new Set(positions)].filter((i) => !this.#refined.has(i)).sort((a, b) => a - b);
    if (wanted.length === 0) return;
    for (const [i, refined] of await read(wanted)) this.#refined.set(i, refined);
  }

  /**
   * One walk over the buckets: KS from L and the refined buckets' points; Wasserstein as the sum of the gaps'
   * |G|·width, the sign-definite buckets' |∫G| and the refined buckets' steps, with Neumaier's compensation.
   */
  #distances(ksFloor: number): { ks: number; wasserstein: number } {
    let ks = ksFloor;
    const sum = new CompensatedSum();
    let previousHigh = NaN;
    for (let i = 0; i < this.#length; i++) {
      const low = this.#low(i);
      const high = this.#high(i);
      const g = this.#gBefore(i);
      if (i > 0) sum.add(Math.abs(g) * (low - previousHigh));
      const refined = this.#refined.get(i);
      if (refined) {
        let cr = this.#cumR[i]!;
        let cc = this.#cumC[i]!;
        let cursor = low;
        for (let j = 0; j < refined.values.length; j++) {
          const value = refined.values[j]!;
          sum.add(Math.abs(cr / this.#nr - cc / this.#nc) * (value - cursor));
          cr += refined.r[j]!;
          cc += refined.c[j]!;
          cursor = value;
          ks = Math.max(ks, Math.abs(cr / this.#nr - cc / this.#nc));
        }
      } else if (low < high) {
        const r = this.#t.r[i]!;
        const c = this.#t.c[i]!;
        const referenceArea = r === 0 ? 0 : (r * high - this.#t.rSum[i]!) / this.#nr;
        const currentArea = c === 0 ? 0 : (c * high - this.#t.cSum[i]!) / this.#nc;
        sum.add(Math.abs(g * (high - low) + referenceArea - currentArea));
      }
      previousHigh = high;
    }
    return { ks, wasserstein: sum.value };
  }

  /** Each side's count per bin, (−∞, e₁], (e₁, e₂], …, (e_k, +∞). */
  #binCounts(edges: readonly number[]): SweepResult['bins'] {
    const side = (counts: Float64Array, min: Float64Array, max: Float64Array, n: number, reference: boolean) => {
      const atMost = edges.map((edge) => this.#countAtMost(counts, min, max, edge, reference));
      return [...atMost, n].map((count, k) => count - (k === 0 ? 0 : atMost[k - 1]!));
    };
    return {
      reference: side(this.#t.r, this.#t.rMin, this.#t.rMax, this.#nr, true),
      current: side(this.#t.c, this.#t.cMin, this.#t.cMax, this.#nc, false),
    };
  }

  #countAtMost(counts: Float64Array, min: Float64Array, max: Float64Array, edge: number, reference: boolean): number {
    let total = 0;
    for (let i = 0; i < this.#length; i++) {
      if (counts[i] === 0) continue;
      if (max[i]! <= edge) total += counts[i]!;
      else if (min[i]! > edge) break;
      else {
        const refined = this.#refined.get(i)!;
        const perValue = reference ? refined.r : refined.c;
        for (let j = 0; j < refined.values.length && refined.values[j]! <= edge; j++) total += perValue[j]!;
        break;
      }
    }
    return total;
  }
}

function nanless(value: number, fallback: number): number {
  return Number.isNaN(value) ? fallback : value;
}

/** Neumaier's compensated sum: a million terms lose nothing. */
class CompensatedSum {
  #sum = 0;
  #compensation = 0;

  add(term: number): void {
    const next = this.#sum + term;
    this.#compensation += Math.abs(this.#sum) >= Math.abs(term) ? this.#sum - next + term : term - next + this.#sum;
    this.#sum = next;
  }

  get value(): number {
    return this.#sum + this.#compensation;
  }
}
