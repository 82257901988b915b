import type { MetricValue } from '../types.js';
import type { AlertRule } from './rule.js';

/** One monitor run over one window, as alert rules judge it. */
export interface ResultToJudge {
  id: number;
  /** Epoch millis. */
  time: number;
  status: 'ok' | 'no_data' | 'failed';
  metrics: readonly MetricValue[];
  /** The captured traffic the result covers (epoch millis), carried into the alert's payload. */
  window?: { start: number; end: number };
}

/** A rule's state between windows (the `alert_states` row). */
export interface RuleState {
  state: 'OK' | 'FIRING';
  /** Breaching windows in a row; a window that does not breach resets it, a no-data window leaves it. */
  consecutive: number;
  /** When the state last changed (epoch millis). */
  since: number;
  lastFired: number | null;
  lastValue: number | null;
  ackedBy: string | null;
  ackedTime: number | null;
}

/** The value a rule reads from a result: the worst matching one, with the feature and segment it came from. */
export interface Observation {
  value: number | null;
  feature: string | null;
  segment: string | null;
}

export interface Judgement {
  next: RuleState;
  /** Set when the window changed the state: the event to record. */
  transition?: 'FIRING' | 'RESOLVED';
  observation: Observation;
}

/** The state of a rule never judged. */
export function initialState(time: number): RuleState {
  return { state: 'OK', consecutive: 0, since: time, lastFired: null, lastValue: null, ackedBy: null, ackedTime: null };
}

/**
 * The rule's value in a result. A rule without `feature` (or `segment`) reads every feature (segment) of the
 * metric and takes the worst: the highest for `above`, the lowest for `below`. Values that cannot be
 * computed (null) are skipped; when none is left the value is null, which never breaches.
 */
export function observe(rule: AlertRule, metrics: readonly MetricValue[]): Observation {
  let worst: (MetricValue & { value: number }) | undefined;
  for (const metric of metrics) {
    const { value } = metric;
    if (metric.metric !== rule.metric || value === null || Number.isNaN(value)) continue;
    if (rule.feature !== undefined && metric.feature !== rule.feature) continue;
    if (rule.segment !== undefined && metric.segment !== rule.segment) continue;
    if (worst === undefined || (rule.above !== undefined ? value > worst.value : value < worst.value))
      worst = { ...metric, value };
  }
  return worst === undefined
    ? { value: null, feature: rule.feature ?? null, segment: rule.segment ?? null }
    : { value: worst.value, feature: worst.feature ?? null, segment: worst.segment ?? null };
}

export function breaches(rule: AlertRule, value: number | null): boolean {
  if (value === null || Number.isNaN(value)) return false;
  return rule.above !== undefined ? value > rule.above : value < rule.below!;
}

/**
 * One window through a rule's state machine. OK → FIRING once `for` windows in a row breach and the cooldown
 * since the last firing has passed (a breach inside the cooldown keeps counting, so the rule fires when the
 * cooldown ends if it still breaches); FIRING → RESOLVED (state OK again) on the first window that does not
 * breach. A `no_data` or `failed` result says nothing about the model: it changes nothing and is never an alert.
 */
export function judge(rule: AlertRule, previous: RuleState, result: ResultToJudge): Judgement | undefined {
  if (result.status !== 'ok') return undefined;
  const observation = observe(rule, result.metrics);
  const breached = breaches(rule, observation.value);
  const base = { ...previous, lastValue: observation.value };
  if (previous.state === 'FIRING') {
    if (breached) return { next: { ...base, consecutive: previous.consecutive + 1 }, observation };
    return {
      next: { ...base, state: 'OK', consecutive: 0, since: result.time, ackedBy: null, ackedTime: null },
      transition: 'RESOLVED',
      observation,
    };
  }
  if (!breached) return { next: { ...base, consecutive: 0 }, observation };
  const consecutive = previous.consecutive + 1;
  const cooling = previous.lastFired !== null && result.time - previous.lastFired < (rule.cooldown ?? 0) * 1000;
  if (consecutive < rule.for || cooling) return { next: { ...base, consecutive }, observation };
  return {
    next: {
      ...base,
      state: 'FIRING',
      consecutive,
      since: result.time,
      lastFired: result.time,
      ackedBy: null,
      ackedTime: null,
    },
    transition: 'FIRING',
    observation,
  };
}
