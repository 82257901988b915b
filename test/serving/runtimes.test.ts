import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameOf } from '../../src/serving/index.js';
import { openTestContext, type TestContext } from '../support/context.js';
import {
  COLUMN_SIGNATURE,
  expectedScore,
  perColumnGraph,
  registerPackage,
  stackedGraph,
  writeServingPackage,
} from './support.js';

const batch = frameOf(2, [
  ['a', [1.5, -3]],
  ['b', [0.25, 8]],
]);

describe('model runtimes behind the serving seam', () => {
  let test: TestContext;
  let count = 0;

  beforeAll(async () => {
    test = await openTestContext('sqlite');
  });
  afterAll(async () => test?.drop());

  /** Registers `files` with `fields` as a new model; answers its name. */
  async function register(
    files: Record<string, Uint8Array | string>,
    fields: Parameters<typeof writeServingPackage>[2],
  ) {
    const name = `model-${++count}`;
    const folder = join(test.dir, name);
    await writeServingPackage(folder, files, fields);
    await registerPackage(test.context, name, folder);
    return name;
  }

  it('feeds a one-input graph (skl2onnx shape) the signature columns side by side, as float', async () => {
    const name = await register(
      { 'model.onnx': stackedGraph() },
      { flavor: 'onnx', signature: { inputs: COLUMN_SIGNATURE.inputs, outputs: [{ name: 'score', type: 'float' }] } },
    );
    const model = await test.context.serving.load(`${name}/1`);
    try {
      expect(model.runtime).toBe('onnx');
      const scored = await model.score(batch);
      // float32 arithmetic: the same values to float precision.
      expect(scored.columns.get('score')).toEqual([expectedScore(1.5, 0.25), expectedScore(-3, 8)]);
    } finally {
      await model.close();
    }
  });

  it('serves an MLflow onnx folder (mlflow.onnx.log_model): MLmodel names the graph and the signature', async () => {
    const folder = join(test.dir, 'mlflow-onnx');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'graph.onnx'), perColumnGraph());
    // A second graph at the top: only MLmodel's `data` says which one is the model.
    writeFileSync(join(folder, 'other.onnx'), stackedGraph());
    writeFileSync(
      join(folder, 'MLmodel'),
      [
        'artifact_path: model',
        'flavors:',
        '  onnx:',
        '    data: graph.onnx',
        '    onnx_version: 1.16.0',
        '    providers: [CPUExecutionProvider]',
        '  python_function:',
        '    loader_module: mlflow.onnx',
        '    data: graph.onnx',
        'signature:',
        `  inputs: '[{"type": "double", "name": "a"}, {"type": "double", "name": "b"}]'`,
        `  outputs: '[{"type": "double", "name": "score"}]'`,
      ].join('\n'),
    );
    const name = `model-${++count}`;
    await registerPackage(test.context, name, folder);
    expect((await test.context.registry.show(name, 1)).flavor).toBe('mlflow:onnx');
    const model = await test.context.serving.load(name);
    try {
      expect(model.runtime).toBe('onnx');
      expect((await model.score(batch)).columns.get('score')).toEqual([expectedScore(1.5, 0.25), expectedScore(-3, 8)]);
    } finally {
      await model.close();
    }
  });

  it('serves a js package through its module', async () => {
    const module = [
      'export async function load(folder, { signature }) { return { factor: 2, outputs: signature.outputs.length }; }',
      'export function predict(state, records) { return records.map((r) => r.a * state.factor + r.b); }',
    ].join('\n');
    const name = await register(
      { 'model.mjs': module },
      { flavor: 'js', entry: 'model.mjs', signature: COLUMN_SIGNATURE },
    );
    const model = await test.context.serving.load(name);
    try {
      expect(model.runtime).toBe('js');
      expect((await model.score(batch)).columns.get('score')).toEqual([expectedScore(1.5, 0.25), expectedScore(-3, 8)]);
    } finally {
      await model.close();
    }
  });

  it('refuses an unserved flavor, a graph onnxruntime cannot load, and a js module without predict', async () => {
    const unknown = await register({ 'model.bin': 'x' }, { flavor: 'custom', signature: COLUMN_SIGNATURE });
    await expect(test.context.serving.load(unknown)).rejects.toThrow("no model runtime serves flavor 'custom'");

    const broken = await register({ 'model.onnx': 'not a graph' }, { flavor: 'onnx', signature: COLUMN_SIGNATURE });
    await expect(test.context.serving.load(broken)).rejects.toThrow(/^onnxruntime cannot load the graph: /);

    const noPredict = await register(
      { 'model.mjs': 'export function load() { return {}; }' },
      { flavor: 'js', entry: 'model.mjs', signature: COLUMN_SIGNATURE },
    );
    await expect(test.context.serving.load(noPredict)).rejects.toThrow(
      'model.mjs must export the functions load and predict',
    );
    await expect(test.context.serving.load(noPredict, { runtime: 'onnx' })).rejects.toThrow(
      "model runtime 'onnx' does not serve flavor 'js'",
    );
  });

  it('refuses a cached package copy whose files changed, and an unknown version', async () => {
    const name = await register(
      { 'model.mjs': 'export const load = () => 0; export const predict = (s, records) => records.map(() => 1);' },
      { flavor: 'js', entry: 'model.mjs', signature: COLUMN_SIGNATURE },
    );
    const first = await test.context.serving.load(name);
    await first.close();
    const version = await test.context.registry.show(name, 1);
    const cached = join(test.dir, 'serving', 'packages', version.manifestDigest!.replace('sha256:', ''));
    writeFileSync(join(cached, 'model.mjs'), 'export const load = () => 0; export const predict = () => "evil";');
    await expect(test.context.serving.load(name)).rejects.toMatchObject({ code: 'CORRUPT_ARTIFACT' });
    await expect(test.context.serving.load(`${name}/7`)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });
});
