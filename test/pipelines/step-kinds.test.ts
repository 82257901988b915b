import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { AlreadyExistsError, InvalidInputError } from '../../src/common/errors.js';
import { definePipeline, loadPipelineYaml, step } from '../../src/pipelines/index.js';
import { stepKinds } from '../../src/app/step-kinds.js';

const approveKind = {
  configSchema: z.object({ dataset: z.string(), expectations: z.array(z.string()).default([]) }),
  describe: (config: { dataset: string }) => `approve ${config.dataset}`,
};

describe('the step kind registry', () => {
  it('knows the built-in kinds', () => {
    const registry = stepKinds();
    expect(registry.kinds()).toEqual([
      'command',
      'dedupe',
      'evaluate',
      'gate',
      'register',
      'split',
      'sql',
      'ts',
      'validate',
    ]);
    expect(registry.get('command').describe?.({ command: ['python3', 'train.py'] })).toBe('python3 train.py');
  });

  it('refuses an unknown kind, listing the known kinds', () => {
    const registry = stepKinds();
    expect(() => registry.get('shell')).toThrow(InvalidInputError);
    expect(() => registry.get('shell')).toThrow(
      expect.objectContaining({
        message: 'unknown step kind "shell"',
        details: {
          hint: 'use one of the known kinds: command, dedupe, evaluate, gate, register, split, sql, ts, validate',
        },
      }),
    );
  });

  it('makes a newly registered kind valid in YAML and the DSL without touching the compiler', () => {
    const registry = stepKinds().register('approve', approveKind);
    const yaml = ['name: checked', 'steps:', '  - { name: check, kind: approve, dataset: customers }'].join('\n');
    const fromYaml = loadPipelineYaml(yaml, 'pipeline.yaml', { registry });
    const fromCode = definePipeline(
      { name: 'checked', steps: [step('check', { kind: 'approve', dataset: 'customers' })] },
      { registry },
    );
    expect(fromYaml.steps[0]!.config).toEqual({ dataset: 'customers', expectations: [] });
    expect(fromCode).toEqual(fromYaml);
    expect(() => loadPipelineYaml(yaml, 'pipeline.yaml')).toThrow('steps[0].kind: unknown step kind "approve"');
  });

  it('holds a registered kind to its schema and refuses fields it does not declare', () => {
    const registry = stepKinds().register('approve', approveKind);
    const define = (fields: Record<string, unknown>) => () =>
      definePipeline({ name: 'checked', steps: [step('check', { kind: 'approve', ...fields })] }, { registry });
    expect(define({})).toThrow('steps[0].dataset: missing required field (string)');
    expect(define({ dataset: 'customers', datset: 'x' })).toThrow('steps[0].datset: unknown field "datset"');
  });

  it('refuses to register a kind twice', () => {
    expect(() => stepKinds().register('command', approveKind)).toThrow(AlreadyExistsError);
  });

  it('refuses a kind whose fields collide with the fields every step has', () => {
    const clashing = { configSchema: z.object({ query: z.string(), timeout: z.number() }) };
    expect(() => stepKinds().register('query', clashing)).toThrow(
      'step kind "query" declares fields every step already has: timeout',
    );
  });
});
