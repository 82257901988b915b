import { chiSquareSurvival } from './chi-square.js';

/**
 * The drift measures over counts, once DuckDB has done the counting: PSI over bins or categories,
 * the chi-square test of the 2×k table, and the Jensen–Shannon distance. Inputs are aligned arrays,
 * one entry per bin or category, and each side has at least one value.
 */

/** The share an empty bin or category is given in PSI, so ln(c/r) stays finite. */
export const PSI_EPSILON = 1e-4;

/**
 * PSI = Σ (cᵢ − rᵢ) · ln(cᵢ / rᵢ), with rᵢ and cᵢ the shares of the reference's and the current's
 * values in bin i, a share of 0 replaced by PSI_EPSILON (the others left as they are).
 */
export function populationStabilityIndex(reference: readonly number[], current: readonly number[]): number {
  const nr = sum(reference);
  const nc = sum(current);
  let psi = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]! / nr || PSI_EPSILON;
    const c = current[i]! / nc || PSI_EPSILON;
    psi += (c - r) * Math.log(c / r);
  }
  return psi;
}

/**
 * Pearson's chi-square test of independence on the 2×k table (reference counts; current counts)
 * over the categories seen on either side, as scipy.stats.chi2_contingency(table, correction=False):
 * expected = row total × column total / N, k − 1 degrees of freedom, no Yates correction. One
 * category only: statistic 0 and p-value 1, as scipy answers for 0 degrees of freedom.
 */
export function chiSquareContingency(
  reference: readonly number[],
  current: readonly number[],
): { statistic: number; pValue: number } {
  const k = reference.length;
  if (k < 2) return { statistic: 0, pValue: 1 };
  const nr = sum(reference);
  const nc = sum(current);
  const n = nr + nc;
  let statistic = 0;
  for (let i = 0; i < k; i++) {
    const column = reference[i]! + current[i]!;
    const expectedR = (nr * column) / n;
    const expectedC = (nc * column) / n;
    statistic += (reference[i]! - expectedR) ** 2 / expectedR + (current[i]! - expectedC) ** 2 / expectedC;
  }
  return { statistic, pValue: chiSquareSurvival(statistic, k - 1) };
}

/**
 * The Jensen–Shannon distance in bits, as scipy.spatial.distance.jensenshannon(p, q, base=2): the
 * square root of the divergence ½ KL(p‖m) + ½ KL(q‖m), m = (p + q)/2; 0 for the same mix, 1 for
 * disjoint categories.
 */
export function jensenShannonDistance(reference: readonly number[], current: readonly number[]): number {
  const nr = sum(reference);
  const nc = sum(current);
  let divergence = 0;
  for (let i = 0; i < reference.length; i++) {
    const p = reference[i]! / nr;
    const q = current[i]! / nc;
    const m = (p + q) / 2;
    if (p > 0) divergence += p * Math.log(p / m);
    if (q > 0) divergence += q * Math.log(q / m);
  }
  return Math.sqrt(Math.max(0, divergence / Math.LN2 / 2));
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
