import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/common/errors.js';
import {
  evaluatePolicyGates,
  parsePolicy,
  parsePolicyYaml,
  type GateEvidence,
} from '../../src/governance/approvals/index.js';

function problemOf(text: string): InvalidInputError {
  try {
    parsePolicyYaml(text, 'policy.yaml');
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected the policy to be refused');
}

const FULL = `metrics:
  auc: { min: 0.8 }
  log_loss: { max: 0.5 }
champion: { alias: champion, metric: auc, min_delta: 0.01 }
fairness:
  attribute: age_band
  disparate_impact_ratio: { min: 0.8 }
  demographic_parity_difference: { max: 0.1 }
  equal_opportunity_difference: { max: 0.1 }
data_validation: required
approvers: { users: [ana, bo], roles: [approver] }
four_eyes: true
auto_approve: true
on_approve: { alias: champion }
`;

function evidence(overrides: Partial<GateEvidence> = {}): GateEvidence {
  return {
    model: 'churn',
    version: 2,
    metrics: {
      auc: 0.85,
      log_loss: 0.4,
      'fairness.age_band.disparate_impact_ratio': 0.9,
      'fairness.age_band.demographic_parity_difference': 0.05,
      'fairness.age_band.equal_opportunity_difference': 0.02,
    },
    champion: null,
    validation: { passed: true, observed: 'validate=SUCCEEDED', message: 'ok' },
    ...overrides,
  };
}

describe('approval policy YAML', () => {
  it('parses every part, filling in defaults', () => {
    const { policy, digest } = parsePolicyYaml(FULL, 'policy.yaml');
    expect(policy).toMatchObject({
      metrics: { auc: { min: 0.8 }, log_loss: { max: 0.5 } },
      champion: { alias: 'champion', metric: 'auc', min_delta: 0.01, direction: 'higher' },
      fairness: { attribute: 'age_band', disparate_impact_ratio: { min: 0.8 } },
      data_validation: 'required',
      approvers: { users: ['ana', 'bo'], roles: ['approver'] },
      four_eyes: true,
      auto_approve: true,
      on_approve: { alias: 'champion' },
    });
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(parsePolicy({})).toMatchObject({ data_validation: 'not_required', four_eyes: false, auto_approve: false });
  });

  it('gives the same digest whatever the layout and comments, another for another meaning', () => {
    const a = parsePolicyYaml('metrics: { auc: { min: 0.8 } }\nfour_eyes: true\n', 'a.yaml').digest;
    const b = parsePolicyYaml('# the rules\nfour_eyes: true\nmetrics:\n  auc:\n    min: 0.8\n', 'b.yaml').digest;
    const c = parsePolicyYaml('metrics: { auc: { min: 0.81 } }\nfour_eyes: true\n', 'c.yaml').digest;
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('refuses a misspelt top-level field with its name, file:line:col and the known fields', () => {
    const error = problemOf('metrics: { auc: { min: 0.8 } }\nthresholds:\n  auc: 0.8\n');
    expect(error.message).toBe('thresholds: unknown field "thresholds"');
    expect(error.details.where).toBe('policy.yaml:2:1');
    expect(error.details.hint).toContain('metrics, champion, fairness');
  });

  it('refuses an unknown gate key inside fairness with its field path and position', () => {
    const error = problemOf('fairness:\n  attribute: age_band\n  disparate_impact: { min: 0.8 }\n');
    expect(error.message).toBe('fairness.disparate_impact: unknown field "disparate_impact"');
    expect(error.details.where).toBe('policy.yaml:3:3');
  });

  it('refuses a wrong type with the path of the value', () => {
    const error = problemOf('metrics:\n  auc: { min: high }\n');
    expect(error.message).toMatch(/^metrics\.auc\.min: /);
    expect(error.details.where).toBe('policy.yaml:2:15');
    expect(problemOf('four_eyes: yes please\n').message).toMatch(/^four_eyes: /);
  });

  it('refuses a threshold without bounds, a champion rule without its metric and a bad role', () => {
    expect(problemOf('metrics:\n  auc: {}\n').message).toBe('metrics.auc: give min, max or both');
    expect(problemOf('champion: { alias: champion }\n').message).toBe(
      'champion.metric: missing required field (string)',
    );
    expect(problemOf('approvers: { roles: [boss] }\n').message).toMatch(/^approvers\.roles\[0\]: /);
  });

  it('refuses a YAML syntax error at its position', () => {
    const error = problemOf('metrics: { auc: { min: 0.8 }\n');
    expect(error.message).toMatch(/^invalid YAML/);
    expect(error.details.where).toMatch(/^policy\.yaml:\d+:\d+$/);
  });
});

describe('policy gates', () => {
  const { policy } = parsePolicyYaml(FULL, 'policy.yaml');

  it('passes every gate of a good version, saying there is no champion yet', () => {
    const results = evaluatePolicyGates(policy, evidence());
    expect(results.map((r) => r.gate)).toEqual([
      'metric:auc',
      'metric:log_loss',
      'champion:auc',
      'fairness:age_band.disparate_impact_ratio',
      'fairness:age_band.demographic_parity_difference',
      'fairness:age_band.equal_opportunity_difference',
      'data_validation',
    ]);
    expect(results.every((r) => r.passed)).toBe(true);
    expect(results[2]!.message).toContain('no champion yet');
    expect(results[0]).toMatchObject({ observed: 0.85, expected: '>= 0.8' });
  });

  it('fails thresholds below a minimum or above a maximum, and a missing metric', () => {
    const results = evaluatePolicyGates(
      policy,
      evidence({
        metrics: {
          auc: 0.79,
          log_loss: 0.6,
          'fairness.age_band.disparate_impact_ratio': 0.7,
          'fairness.age_band.demographic_parity_difference': 0.05,
        },
      }),
    );
    const failed = Object.fromEntries(results.filter((r) => !r.passed).map((r) => [r.gate, r.message]));
    expect(failed).toEqual({
      'metric:auc': 'auc = 0.79 is below the minimum 0.8',
      'metric:log_loss': 'log_loss = 0.6 is above the maximum 0.5',
      'fairness:age_band.disparate_impact_ratio':
        'fairness.age_band.disparate_impact_ratio = 0.7 is below the minimum 0.8',
      'fairness:age_band.equal_opportunity_difference':
        'the version has no metric "fairness.age_band.equal_opportunity_difference"',
    });
  });

  it('compares with the champion by min_delta, in the metric direction', () => {
    const champion = { version: 1, metrics: { auc: 0.845, log_loss: 0.3 } };
    const [notEnough] = evaluatePolicyGates(
      { ...policy, metrics: {}, fairness: undefined, data_validation: 'not_required' },
      evidence({ champion }),
    );
    expect(notEnough).toMatchObject({ gate: 'champion:auc', passed: false, observed: 0.005 });
    const [beats] = evaluatePolicyGates(
      { ...policy, metrics: {}, fairness: undefined, data_validation: 'not_required' },
      evidence({ champion: { version: 1, metrics: { auc: 0.8 } } }),
    );
    expect(beats).toMatchObject({ passed: true, observed: 0.05 });
    const lower = {
      alias: 'champion',
      metric: 'log_loss',
      min_delta: 0,
      direction: 'lower' as const,
      on: 'snapshot' as const,
    };
    const [worse] = evaluatePolicyGates(
      { ...policy, metrics: {}, fairness: undefined, data_validation: 'not_required', champion: lower },
      evidence({ champion }),
    );
    expect(worse).toMatchObject({ gate: 'champion:log_loss', passed: false });
  });

  it('reports failed data validation as the evidence says', () => {
    const results = evaluatePolicyGates(
      policy,
      evidence({
        validation: { passed: false, observed: 'validate=FAILED', message: 'validate step validate is FAILED' },
      }),
    );
    expect(results.at(-1)).toMatchObject({ gate: 'data_validation', passed: false, observed: 'validate=FAILED' });
  });
});
