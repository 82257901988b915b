import { describe, expect, it } from 'vitest';
import { initialState, judge, observe, type ResultToJudge, type RuleState } from '../../src/monitoring/alerts/judge.js';
import { AlertRuleSchema, type AlertRuleInput } from '../../src/monitoring/alerts/rule.js';
import type { MetricValue } from '../../src/monitoring/index.js';

const MINUTE = 60_000;

function rule(input: Partial<AlertRuleInput> = {}) {
  return AlertRuleSchema.parse({ name: 'psi-high', metric: 'drift.psi', above: 0.2, ...input });
}

function result(time: number, metrics: MetricValue[], status: ResultToJudge['status'] = 'ok'): ResultToJudge {
  return { id: time, time, status, metrics };
}

const psi = (value: number | null, feature = 'age'): MetricValue => ({ metric: 'drift.psi', feature, value });

/** Runs windows through the rule, answering each window's transition (or '-' for none, 'same' for unchanged). */
function walk(r: ReturnType<typeof rule>, windows: ResultToJudge[], start: RuleState = initialState(0)) {
  let state = start;
  const transitions: string[] = [];
  for (const window of windows) {
    const judged = judge(r, state, window);
    if (judged === undefined) {
      transitions.push('same');
      continue;
    }
    transitions.push(judged.transition ?? '-');
    state = judged.next;
  }
  return { state, transitions };
}

describe('alert rule schema', () => {
  it('applies defaults and reads cooldowns as seconds, parsing its own output again to the same rule', () => {
    const parsed = rule({ cooldown: '30m', actions: [{ webhook: { url: 'http://127.0.0.1:9/hook' } }] });
    expect(parsed).toMatchObject({ for: 1, severity: 'warning', cooldown: 1800 });
    expect(AlertRuleSchema.parse(parsed)).toEqual(parsed);
    expect(rule({ cooldown: '2h' }).cooldown).toBe(7200);
    expect(rule({ cooldown: 90 }).cooldown).toBe(90);
  });

  it('refuses both thresholds, none, a bad duration and an action with two kinds, naming the field', () => {
    const issue = (input: unknown) => {
      const parsed = AlertRuleSchema.safeParse(input);
      expect(parsed.success).toBe(false);
      const first = parsed.error!.issues[0]!;
      return { path: first.path.join('.'), message: first.message };
    };
    const base = { name: 'r', metric: 'drift.psi' };
    expect(issue({ ...base, above: 1, below: 0 })).toEqual({
      path: 'above',
      message: 'give one threshold, above or below, not both',
    });
    expect(issue(base).message).toMatch(/give a threshold/);
    expect(issue({ ...base, above: 1, cooldown: '5 minutes' })).toMatchObject({ path: 'cooldown' });
    expect(issue({ ...base, above: 1, for: 0 })).toEqual({ path: 'for', message: 'must be at least 1 window' });
    expect(issue({ ...base, above: 1, actions: [{ webhook: { url: 'ftp://x' } }] })).toMatchObject({
      path: 'actions.0.webhook.url',
    });
    expect(
      issue({ ...base, above: 1, actions: [{ redis: { channel: 'a' }, nats: { subject: 'b' } }] }).message,
    ).toMatch(/exactly one of webhook, nats, redis or rollback/);
    expect(issue({ ...base, above: 1, severity: 'high' })).toEqual({
      path: 'severity',
      message: 'must be one of info, warning, critical',
    });
    expect(issue({ ...base, name: 'Has Space', above: 1 })).toMatchObject({ path: 'name' });
  });
});

describe('alert state machine', () => {
  it('fires after `for` breaching windows in a row, and a window that does not breach resets the count', () => {
    const r = rule({ for: 3 });
    const { transitions, state } = walk(r, [
      result(1, [psi(0.5)]),
      result(2, [psi(0.5)]),
      result(3, [psi(0.1)]),
      result(4, [psi(0.5)]),
      result(5, [psi(0.5)]),
      result(6, [psi(0.5)]),
      result(7, [psi(0.6)]),
    ]);
    expect(transitions).toEqual(['-', '-', '-', '-', '-', 'FIRING', '-']);
    expect(state).toMatchObject({ state: 'FIRING', consecutive: 4, since: 6, lastFired: 6, lastValue: 0.6 });
  });

  it('resolves on the first window that does not breach, and reads `below` as smaller than', () => {
    const r = rule({ metric: 'model.accuracy', above: undefined, below: 0.8 });
    const accuracy = (value: number) => [{ metric: 'model.accuracy', value }];
    const { transitions, state } = walk(r, [
      result(1, accuracy(0.9)),
      result(2, accuracy(0.7)),
      result(3, accuracy(0.75)),
      result(4, accuracy(0.8)),
    ]);
    expect(transitions).toEqual(['-', 'FIRING', '-', 'RESOLVED']);
    expect(state).toMatchObject({ state: 'OK', consecutive: 0, since: 4, lastFired: 2 });
  });

  it('changes nothing on a no_data or failed window: neither an alert nor a reset of the count', () => {
    const r = rule({ for: 2 });
    const { transitions, state } = walk(r, [
      result(1, [psi(0.5)]),
      result(2, [], 'no_data'),
      result(3, [psi(9)], 'failed'),
      result(4, [psi(0.5)]),
    ]);
    expect(transitions).toEqual(['-', 'same', 'same', 'FIRING']);
    const firing = state;
    const after = walk(r, [result(5, [], 'no_data'), result(6, [], 'failed')], firing);
    expect(after.transitions).toEqual(['same', 'same']);
    expect(after.state).toEqual(firing);
  });

  it('never breaches on a value that cannot be computed, or on a metric the result lacks', () => {
    const r = rule();
    expect(walk(r, [result(1, [psi(null)]), result(2, [{ metric: 'drift.ks', value: 9 }])]).transitions).toEqual([
      '-',
      '-',
    ]);
    const firing = walk(r, [result(1, [psi(0.5)])]).state;
    expect(walk(r, [result(2, [psi(null)])], firing).transitions).toEqual(['RESOLVED']);
  });

  it('does not fire again within the cooldown after a firing, and fires when it ends if still breaching', () => {
    const r = rule({ cooldown: '30m' });
    const { transitions } = walk(r, [
      result(0, [psi(0.5)]),
      result(5 * MINUTE, [psi(0.1)]),
      result(10 * MINUTE, [psi(0.5)]),
      result(20 * MINUTE, [psi(0.5)]),
      result(30 * MINUTE, [psi(0.5)]),
    ]);
    expect(transitions).toEqual(['FIRING', 'RESOLVED', '-', '-', 'FIRING']);
  });

  it('reads the worst feature when the rule names none, or exactly the feature and segment it names', () => {
    const metrics: MetricValue[] = [
      psi(0.1, 'age'),
      psi(0.7, 'income'),
      psi(null, 'plan'),
      { metric: 'drift.psi', feature: 'age', segment: 'country=pt', value: 0.4 },
      { metric: 'drift.ks', feature: 'age', value: 5 },
    ];
    expect(observe(rule(), metrics)).toEqual({ value: 0.7, feature: 'income', segment: null });
    expect(observe(rule({ feature: 'age' }), metrics)).toEqual({ value: 0.4, feature: 'age', segment: 'country=pt' });
    expect(observe(rule({ feature: 'age', segment: 'country=pt' }), metrics).value).toBe(0.4);
    expect(observe(rule({ feature: 'plan' }), metrics)).toEqual({ value: null, feature: 'plan', segment: null });
    const below = rule({ above: undefined, below: 0.5 });
    expect(observe(below, metrics)).toEqual({ value: 0.1, feature: 'age', segment: null });
  });
});
