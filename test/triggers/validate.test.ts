import { describe, expect, it } from 'vitest';
import type { InvalidInputError } from '../../src/common/errors.js';
import { compilePipeline, TriggerSpecSchema, validateTriggers, type PipelineInput } from '../../src/pipelines/index.js';
import { shell } from './support.js';
import { stepKinds } from '../../src/app/step-kinds.js';

/** Every issue at once: the compiler (which calls validateTriggers too) stops at the first. */
function issuesOf(triggers: unknown[], extra: Partial<PipelineInput> = {}) {
  const definition = compilePipeline(
    {
      name: 'p',
      params: { lr: { type: 'number', default: 0.1 }, mode: { type: 'string', default: 'full' } },
      environments: { prod: { params: { mode: 'prod' } } },
      steps: [{ name: 'a', ...shell('true') }],
      ...extra,
    },
    { registry: stepKinds() },
  );
  return validateTriggers({ ...definition, triggers: triggers.map((trigger) => TriggerSpecSchema.parse(trigger)) });
}

describe('validateTriggers', () => {
  it('accepts well-formed triggers of every type', () => {
    expect(
      issuesOf([
        {
          name: 'nightly',
          type: 'cron',
          schedule: '0 2 * * *',
          timezone: 'Europe/Lisbon',
          env: 'prod',
          params: { lr: 0.01 },
        },
        { name: 'every_5s', type: 'cron', schedule: '*/5 * * * * *' },
        { name: 'data', type: 'path', path: 'data/', interval: '1m' },
        { name: 'images', type: 'dataset', dataset: 'images' },
        { name: 'code', type: 'git', paths: ['src', 'pipeline.yaml'], ref: 'main' },
        { name: 'hook', type: 'webhook', secretEnv: 'HOOK_SECRET', maxQueued: 0 },
        { name: 'bus', type: 'redis', channel: 'datasets' },
        { name: 'nats_bus', type: 'nats', subject: 'models.>' },
      ]),
    ).toEqual([]);
  });

  it('reports a duplicate trigger name at the second one', () => {
    expect(
      issuesOf([
        { name: 'hook', type: 'webhook', secretEnv: 'A' },
        { name: 'hook', type: 'redis', channel: 'c' },
      ]),
    ).toEqual([
      {
        path: ['triggers', 1, 'name'],
        message: 'duplicate trigger name "hook"; triggers[0] already has it',
        hint: expect.any(String),
      },
    ]);
  });

  it('reports params the pipeline does not declare and values of the wrong type', () => {
    expect(issuesOf([{ name: 't', type: 'redis', channel: 'c', params: { epochs: 3, lr: 'fast' } }])).toEqual([
      {
        path: ['triggers', 0, 'params', 'epochs'],
        message: 'unknown param "epochs"',
        hint: 'declared params: lr, mode',
      },
      {
        path: ['triggers', 0, 'params', 'lr'],
        message: 'expected a number, got "fast"',
        hint: 'param "lr" is declared as number',
      },
    ]);
  });

  it('reports a param without default that the trigger does not set', () => {
    const params = { mode: { type: 'string' as const }, table: { type: 'string' as const } };
    const issues = issuesOf([{ name: 't', type: 'redis', channel: 'c', params: { table: 'x' } }], { params });
    expect(issues).toEqual([
      {
        path: ['triggers', 0, 'params'],
        message: 'param "mode" has no default and this trigger gives it no value',
        hint: expect.any(String),
      },
    ]);
    // The trigger's environment may give it instead.
    expect(
      issuesOf([{ name: 't', type: 'redis', channel: 'c', env: 'prod', params: { table: 'x' } }], { params }),
    ).toEqual([]);
  });

  it('reports an environment the pipeline does not declare', () => {
    expect(issuesOf([{ name: 't', type: 'redis', channel: 'c', env: 'staging' }])).toEqual([
      { path: ['triggers', 0, 'env'], message: 'unknown environment "staging"', hint: 'declared environments: prod' },
    ]);
  });

  it('reports a bad cron pattern, a seven-field one and an unknown time zone', () => {
    const issues = issuesOf([
      { name: 'a', type: 'cron', schedule: '61 * * * *' },
      { name: 'b', type: 'cron', schedule: 'every day' },
      { name: 'c', type: 'cron', schedule: '0 0 0 1 1 * 2030' },
      { name: 'd', type: 'cron', schedule: '0 9 * * *', timezone: 'Mars/Olympus_Mons' },
    ]);
    expect(issues.map((issue) => issue.path)).toEqual([
      ['triggers', 0, 'schedule'],
      ['triggers', 1, 'schedule'],
      ['triggers', 2, 'schedule'],
      ['triggers', 3, 'timezone'],
    ]);
    expect(issues[0]!.message).toContain('invalid cron schedule "61 * * * *"');
    expect(issues[3]).toMatchObject({
      message: 'unknown time zone "Mars/Olympus_Mons"',
      hint: expect.stringContaining('IANA'),
    });
  });

  it('the schema refuses a bad secret variable name, a bad interval and an unknown field', () => {
    expect(TriggerSpecSchema.safeParse({ name: 'h', type: 'webhook', secretEnv: 'not-a-var' }).success).toBe(false);
    expect(TriggerSpecSchema.safeParse({ name: 'p', type: 'path', path: 'x', interval: 'soon' }).success).toBe(false);
    expect(TriggerSpecSchema.safeParse({ name: 'r', type: 'redis', channel: 'c', chanel: 'typo' }).success).toBe(false);
    expect(TriggerSpecSchema.safeParse({ name: 'r', type: 'redis', channel: 'c', maxQueued: -1 }).success).toBe(false);
  });

  it('the compiler refuses a pipeline whose triggers do not validate, naming the field', () => {
    let error: InvalidInputError | undefined;
    try {
      compilePipeline(
        {
          name: 'p',
          steps: [{ name: 'a', ...shell('true') }],
          triggers: [{ name: 't', type: 'cron', schedule: '* * * * *', timezone: 'Nowhere/City' }],
        },
        { registry: stepKinds() },
      );
    } catch (caught) {
      error = caught as InvalidInputError;
    }
    expect(error?.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error?.message).toBe('triggers[0].timezone: unknown time zone "Nowhere/City"');
  });
});
