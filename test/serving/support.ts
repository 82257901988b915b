import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import type { CicloContext } from '../../src/app/context.js';
import { writeManifest, type ManifestFields } from '../../src/registry/index.js';

const { onnx } = onnxProto;
const DOUBLE = onnx.TensorProto.DataType.DOUBLE;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

/** What the test graphs compute, so a test can say what each row must score. */
export function expectedScore(a: number, b: number): number {
  return a * 2 + b;
}

export const COLUMN_SIGNATURE = {
  inputs: [
    { name: 'a', type: 'double' },
    { name: 'b', type: 'double' },
  ],
  outputs: [{ name: 'score', type: 'double' }],
};

function tensorInfo(name: string, elemType: number, columns: number): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: [{ dimParam: 'N' }, { dimValue: columns }] } } } };
}

function modelBytes(graph: onnxProto.onnx.IGraphProto): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    producerName: 'ciclo-test',
    opsetImport: [{ domain: '', version: 17 }],
    graph,
  }).finish();
}

/** score = a * factor + b (2 unless given), one graph input per column (double [N, 1]). */
export function perColumnGraph(factor = 2): Uint8Array {
  return modelBytes({
    name: 'per-column',
    input: [tensorInfo('a', DOUBLE, 1), tensorInfo('b', DOUBLE, 1)],
    output: [tensorInfo('score', DOUBLE, 1)],
    initializer: [{ name: 'two', dataType: DOUBLE, dims: [], doubleData: [factor] }],
    node: [
      { opType: 'Mul', input: ['a', 'two'], output: ['doubled'] },
      { opType: 'Add', input: ['doubled', 'b'], output: ['score'] },
    ],
  });
}

/** The same function as skl2onnx shapes graphs: one float [N, 2] input `float_input`, output `variable`. */
export function stackedGraph(): Uint8Array {
  return modelBytes({
    name: 'stacked',
    input: [tensorInfo('float_input', FLOAT, 2)],
    output: [tensorInfo('variable', FLOAT, 1)],
    initializer: [{ name: 'weights', dataType: FLOAT, dims: [2, 1], floatData: [2, 1] }],
    node: [{ opType: 'MatMul', input: ['float_input', 'weights'], output: ['variable'] }],
  });
}

/** Writes `files` and the manifest into `folder`. */
export async function writeServingPackage(
  folder: string,
  files: Record<string, Uint8Array | string>,
  fields: ManifestFields,
): Promise<void> {
  mkdirSync(folder, { recursive: true });
  for (const [path, content] of Object.entries(files)) writeFileSync(join(folder, path), content);
  await writeManifest(folder, fields);
}

/** Logs the package folder to a new run and registers it as the next version of `name`; answers the version. */
export async function registerPackage(context: CicloContext, name: string, folder: string): Promise<number> {
  const { tracking } = context;
  const experiment = await tracking.getOrCreateExperiment('serving');
  const run = await tracking.createRun({ experimentId: experiment.experimentId });
  await tracking.logArtifactDirectory(run.info.runId, folder, 'model');
  const version = await context.registry.register(name, { runId: run.info.runId, path: 'model' });
  return version.version;
}
