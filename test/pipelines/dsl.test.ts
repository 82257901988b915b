import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { definePipeline, loadPipelineFile, step } from '../../src/pipelines/index.js';

describe('the TypeScript DSL', () => {
  it('compiles to the same definition as the equivalent YAML', async () => {
    const fromYaml = await loadPipelineFile(fileURLToPath(new URL('fixtures/churn.yaml', import.meta.url)));
    const fromCode = definePipeline({
      name: 'churn',
      description: 'Train and evaluate a churn classifier.',
      params: {
        lr: { type: 'number', default: 0.01 },
        epochs: { type: 'integer', default: 10 },
        dataset: { type: 'string' },
      },
      parallelism: 2,
      steps: [
        step('prepare', {
          kind: 'command',
          command: ['python3', 'prepare.py', '--dataset', '${params.dataset}'],
          outputs: { table: { type: 'dataset' } },
        }),
        step('train', {
          kind: 'command',
          command: 'python3 train.py --lr ${params.lr} --data ${inputs.table}',
          cwd: 'models',
          inputs: { table: 'steps.prepare.outputs.table', lr: 'params.lr' },
          outputs: { model: { type: 'model' } },
          retries: 2,
          retryBackoff: { initialMs: 500 },
          timeout: '5m',
          env: { PYTHONHASHSEED: '0' },
        }),
        step('evaluate', {
          kind: 'ts',
          module: './evaluate.ts',
          inputs: { model: 'steps.train.outputs.model' },
          params: { threshold: 0.5, epochs: '${params.epochs}' },
          dependsOn: ['prepare'],
          cache: false,
        }),
      ],
      environments: { staging: { params: { lr: 0.05 }, executor: 'bullmq' } },
    });
    expect(fromCode).toEqual(fromYaml);
  });
});
