import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, NotFoundError } from '../../src/common/errors.js';
import { loadPipelineFile, loadPipelineYaml } from '../../src/pipelines/index.js';
import { invalidInputOf } from '../support/errors.js';

const fixture = (name: string) => fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));

describe('loading pipeline YAML', () => {
  it('compiles a pipeline file into a definition with defaults filled in', async () => {
    const definition = await loadPipelineFile(fixture('churn.yaml'));
    expect(definition.name).toBe('churn');
    expect(definition.failFast).toBe(true);
    const train = definition.steps[1]!;
    expect(train).toMatchObject({
      kind: 'command',
      config: { command: 'python3 train.py --lr ${params.lr} --data ${inputs.table}', cwd: 'models' },
      inputs: { table: { from: 'step', step: 'prepare', output: 'table' }, lr: { from: 'param', param: 'lr' } },
      retries: 2,
      retryBackoff: { initialMs: 500, factor: 2, maxMs: 60_000 },
      timeoutMs: 300_000,
      cache: true,
    });
    expect(definition.steps[2]!.config).toEqual({ module: './evaluate.ts', export: 'default' });
  });

  it('refuses a YAML syntax error at its line and column', () => {
    const load = () => loadPipelineYaml('name: demo\n  steps: x\n', 'broken.yaml');
    expect(load).toThrow(InvalidInputError);
    expect(load).toThrow('invalid YAML: Nested mappings are not allowed in compact mappings');
    expect(invalidInputOf(load).details.where).toBe('broken.yaml:1:7');
  });

  it('refuses a key written twice, at the second one', () => {
    const error = invalidInputOf(() => loadPipelineYaml('name: demo\nname: again\n', 'twice.yaml'));
    expect(error.message).toBe('invalid YAML: Map keys must be unique');
    expect(error.details.where).toBe('twice.yaml:2:1');
  });

  it('names the file in the position of a compile error', async () => {
    const path = fixture('bad-reference.yaml');
    const error = await loadPipelineFile(path).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).message).toBe('steps[1].inputs.data: unknown step "prepare"');
    expect((error as InvalidInputError).details.where).toBe(`${path}:10:13`);
  });

  it('says when the pipeline file does not exist', async () => {
    await expect(loadPipelineFile(fixture('missing.yaml'))).rejects.toBeInstanceOf(NotFoundError);
  });
});
