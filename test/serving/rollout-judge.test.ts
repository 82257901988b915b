import { describe, expect, it } from 'vitest';
import { judge, WindowStats } from '../../src/serving/deployments/rollout-judge.js';
import { StrategySchema, type GuardedStrategy } from '../../src/serving/deployments/types.js';

const canary = (overrides: Record<string, unknown> = {}) =>
  StrategySchema.parse({ type: 'canary', ...overrides }) as GuardedStrategy;

/** A window of `requests` answers, `errors` of them 5xx, every one taking `latencyMs`. */
function window(requests: number, errors: number, latencyMs: number): WindowStats {
  const stats = new WindowStats();
  for (let i = 0; i < requests; i++) stats.record(i < errors ? 503 : 200, latencyMs);
  return stats;
}

/** The judgement of one rollout window, by the thresholds a deployment's strategy carries. */
describe('rollout judgement', () => {
  it('leaves a window with fewer requests than min_requests unjudged', () => {
    const verdict = judge(canary(), window(100, 0, 1), window(19, 19, 1));
    expect(verdict).toMatchObject({ passed: true, reason: '19 requests, fewer than 20: not judged' });
  });

  it('fails a candidate whose 5xx rate passes the current one by more than max_error_rate', () => {
    expect(judge(canary(), window(100, 1, 1), window(100, 2, 1)).passed).toBe(true);
    const verdict = judge(canary(), window(100, 1, 1), window(100, 3, 1));
    expect(verdict).toMatchObject({
      passed: false,
      reason: 'error rate 3.0% against 1.0% (allowed 2.0%)',
      candidate: { requests: 100, error_rate: 0.03, p99_ms: 1 },
    });
  });

  it('fails a slower p99 past max_p99_ratio, but not a difference within the noise floor of 5 ms', () => {
    expect(judge(canary(), window(100, 0, 2), window(100, 0, 6.5)).passed).toBe(true);
    expect(judge(canary(), window(100, 0, 20), window(100, 0, 29)).passed).toBe(true);
    expect(judge(canary(), window(100, 0, 20), window(100, 0, 31))).toMatchObject({
      passed: false,
      reason: 'p99 31.0 ms against 20.0 ms (allowed 1.5×)',
    });
    expect(judge(canary({ max_p99_ratio: 2 }), window(100, 0, 20), window(100, 0, 31)).passed).toBe(true);
  });
});
