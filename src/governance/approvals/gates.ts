import { FAIRNESS_METRICS, type Policy, type Threshold } from './policy.js';
import type { ChampionComparison } from './types.js';

/** One gate's verdict, as stored and shown. */
export interface GateResult {
  /** `metric:auc`, `champion:auc`, `fairness:age_band.disparate_impact_ratio`, `data_validation`. */
  gate: string;
  passed: boolean;
  /** What the version has: a metric value, a delta, a list of step states; null when it has nothing. */
  observed: number | string | null;
  /** What the policy asks for, in words: `>= 0.8`, `delta >= 0`, `every validate step succeeded`. */
  expected: string;
  message: string;
}

/** What the gates are evaluated against; the service gathers it from the store. */
export interface GateEvidence {
  model: string;
  version: number;
  /** The version's metrics snapshot (null stands for NaN or ±Infinity). */
  metrics: Readonly<Record<string, number | null>>;
  /** The version the champion alias points at; null when the alias is not set. */
  champion: { version: number; metrics: Readonly<Record<string, number | null>> } | null;
  /** With `champion.on: evaluation_data`: both versions' metric on the candidate's evaluation rows, or why not. */
  championComparison?: ChampionComparison | { error: string };
  /** Only read when the policy requires data validation. */
  validation: { passed: boolean; observed: string; message: string };
}

/** Evaluates every gate the policy declares, in a fixed order: metrics, champion, fairness, data validation. */
export function evaluatePolicyGates(policy: Policy, evidence: GateEvidence): GateResult[] {
  const results: GateResult[] = [];
  for (const [metric, threshold] of Object.entries(policy.metrics ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    results.push(thresholdGate(`metric:${metric}`, metric, evidence.metrics, threshold));
  }
  if (policy.champion) results.push(championGate(policy.champion, evidence));
  if (policy.fairness) {
    const { attribute } = policy.fairness;
    for (const metric of FAIRNESS_METRICS) {
      const threshold = policy.fairness[metric];
      if (threshold === undefined) continue;
      results.push(
        thresholdGate(
          `fairness:${attribute}.${metric}`,
          `fairness.${attribute}.${metric}`,
          evidence.metrics,
          threshold,
        ),
      );
    }
  }
  if (policy.data_validation === 'required') {
    results.push({
      gate: 'data_validation',
      expected: 'every validate step of the pipeline run succeeded',
      ...evidence.validation,
    });
  }
  return results;
}

function thresholdGate(gate: string, key: string, metrics: GateEvidence['metrics'], threshold: Threshold): GateResult {
  const expected = describeThreshold(threshold);
  const observed = metrics[key];
  if (observed === undefined || observed === null) {
    const why = observed === undefined ? 'the version has no metric' : 'the version has a non-finite value for';
    return { gate, passed: false, observed: null, expected, message: `${why} "${key}"` };
  }
  const low = threshold.min !== undefined && observed < threshold.min;
  const high = threshold.max !== undefined && observed > threshold.max;
  const passed = !low && !high;
  const message = passed
    ? `${key} = ${observed}, ${expected}`
    : `${key} = ${observed} is ${low ? `below the minimum ${threshold.min}` : `above the maximum ${threshold.max}`}`;
  return { gate, passed, observed, expected, message };
}

function championGate(rule: NonNullable<Policy['champion']>, evidence: GateEvidence): GateResult {
  const gate = `champion:${rule.metric}`;
  const difference = rule.direction === 'higher' ? 'candidate − champion' : 'champion − candidate';
  const expected = `${difference} >= ${rule.min_delta}`;
  const reference = `${evidence.model}@${rule.alias}`;
  if (evidence.champion === null) {
    return {
      gate,
      passed: true,
      observed: null,
      expected,
      message: `no champion yet (${reference} is not set): nothing to beat`,
    };
  }
  if (evidence.champion.version === evidence.version) {
    return {
      gate,
      passed: true,
      observed: null,
      expected,
      message: `${evidence.model}/${evidence.version} is ${reference} itself`,
    };
  }
  const comparison = evidence.championComparison;
  if (comparison !== undefined && 'error' in comparison) {
    return { gate, passed: false, observed: null, expected, message: comparison.error };
  }
  const candidate = comparison === undefined ? evidence.metrics[rule.metric] : comparison.candidate;
  const champion = comparison === undefined ? evidence.champion.metrics[rule.metric] : comparison.champion;
  const championName = `${reference} (${evidence.model}/${evidence.champion.version})`;
  if (candidate === undefined || candidate === null) {
    return {
      gate,
      passed: false,
      observed: null,
      expected,
      message: `the version has no finite metric "${rule.metric}" to compare`,
    };
  }
  if (champion === undefined || champion === null) {
    return {
      gate,
      passed: false,
      observed: null,
      expected,
      message: `${championName} has no finite metric "${rule.metric}" to compare with`,
    };
  }
  const delta = rule.direction === 'higher' ? candidate - champion : champion - candidate;
  // Metric snapshots are rounded decimals: an equal value must not fail `min_delta: 0` by a last bit.
  const passed = delta >= rule.min_delta - 1e-12;
  const message =
    `${rule.metric} ${candidate} vs ${championName} ${champion}` +
    `${comparison === undefined ? '' : ` on ${comparison.data}`}: ${passed ? 'beats it' : 'does not beat it'} ` +
    `(delta ${round(delta)}, needs >= ${rule.min_delta})`;
  return { gate, passed, observed: round(delta), expected, message };
}

function describeThreshold(threshold: Threshold): string {
  if (threshold.min !== undefined && threshold.max !== undefined)
    return `between ${threshold.min} and ${threshold.max}`;
  return threshold.min !== undefined ? `>= ${threshold.min}` : `<= ${threshold.max}`;
}

function round(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}
