import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CicloContext } from '../../src/app/context.js';
import { writeManifest, type ModelManifest } from '../../src/registry/index.js';

export const SIGNATURE = {
  inputs: [
    { name: 'age', type: 'double' },
    { name: 'plan', type: 'string' },
  ],
  outputs: [{ name: 'churn', type: 'double' }],
};

/** A package folder: model.json, weights/w.bin and the manifest. */
export async function writePackage(folder: string, content = 'forest-1'): Promise<ModelManifest> {
  for (const [path, text] of [
    ['model.json', JSON.stringify({ trees: content })],
    ['weights/w.bin', `weights of ${content}`],
  ] as const) {
    mkdirSync(dirname(join(folder, path)), { recursive: true });
    writeFileSync(join(folder, path), text);
  }
  return writeManifest(folder, {
    flavor: 'ml-random-forest',
    signature: SIGNATURE,
    metrics: { auc: 0.9 },
    requirements: ['ml-random-forest@2'],
  });
}

/** A tracked run in `experiment` that logged a package under `path` (default `model`); returns the run id. */
export async function runWithPackage(
  context: CicloContext,
  dir: string,
  options: { content?: string; path?: string; experiment?: string } = {},
): Promise<string> {
  const { tracking } = context;
  const experiment = await tracking.getOrCreateExperiment(options.experiment ?? 'churn');
  const run = await tracking.createRun({ experimentId: experiment.experimentId });
  await tracking.logBatch(run.info.runId, { metrics: [{ key: 'auc', value: 0.91 }] });
  const content = options.content ?? 'forest-1';
  const folder = join(dir, `pkg-${run.info.runId}-${content}`);
  await writePackage(folder, content);
  await tracking.logArtifactDirectory(run.info.runId, folder, options.path ?? 'model');
  return run.info.runId;
}

/** An MLflow-logged model folder: `MLmodel` (pyfunc + sklearn flavors, a column signature) and the pickled model. */
export function writeMlmodelFolder(folder: string, options: { signature?: boolean } = {}): void {
  mkdirSync(folder, { recursive: true });
  const signature =
    options.signature === false
      ? ''
      : [
          'signature:',
          `  inputs: '[{"type": "double", "name": "age", "required": true}, ` +
            `{"type": "string", "name": "plan", "required": false}]'`,
          `  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]'`,
        ].join('\n');
  writeFileSync(
    join(folder, 'MLmodel'),
    [
      'artifact_path: model',
      'flavors:',
      '  python_function:',
      '    loader_module: mlflow.sklearn',
      '    model_path: model.pkl',
      '  sklearn:',
      '    pickled_model: model.pkl',
      '    sklearn_version: 1.4.2',
      'mlflow_version: 2.12.1',
      signature,
      '',
    ].join('\n'),
  );
  writeFileSync(join(folder, 'model.pkl'), 'not really a pickle');
}
