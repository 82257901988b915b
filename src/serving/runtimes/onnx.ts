import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { InvalidInputError } from '../../common/errors.js';
import type { LoadedModel, ModelRuntime, ServablePackage } from '../runtime.js';

/**
 * The `onnx` runtime: one onnxruntime-node session per loaded model. The graph is fed in one of two
 * ways, decided once at load: each signature column to the graph input of the same name (the
 * churn model, and any graph built per column), or, for a graph with one unnamed input such as
 * skl2onnx's `float_input`, the signature's columns side by side as one `[rows, columns]` tensor.
 * MLflow's `onnx` flavor (`mlflow.onnx.log_model`) is the same graph in an MLflow folder: its
 * `MLmodel` names the file under `flavors.onnx.data`.
 */
export class OnnxRuntime implements ModelRuntime {
  readonly name = 'onnx';
  readonly flavors = ['onnx', 'mlflow:onnx'];

  async load(model: ServablePackage): Promise<LoadedModel> {
    const entry =
      model.entry ??
      (model.flavor === 'mlflow:onnx' ? await mlflowOnnxData(model.folder) : undefined) ??
      (await onlyOnnxFile(model.folder));
    const file = join(model.folder, entry);
    const { loadOnnxModel } = await import('./onnx-model.js');
    return loadOnnxModel(file, model);
  }
}

/** `flavors.onnx.data` of the folder's MLmodel, when it names a plain file of the folder. */
async function mlflowOnnxData(folder: string): Promise<string | undefined> {
  const document = parse(await readFile(join(folder, 'MLmodel'), 'utf8')) as {
    flavors?: { onnx?: { data?: unknown } };
  } | null;
  const data = document?.flavors?.onnx?.data;
  return typeof data === 'string' && /^[^/\\]+$/.test(data) && data !== '..' ? data : undefined;
}

async function onlyOnnxFile(folder: string): Promise<string> {
  const graphs = (await readdir(folder)).filter((name) => name.endsWith('.onnx'));
  if (graphs.length === 1) return graphs[0]!;
  throw new InvalidInputError(
    `the package holds ${graphs.length} .onnx files at its top; which one to load is not said`,
    {
      where: 'entry',
      hint: "Name the graph in the manifest's entry (writeManifest(folder, { entry: 'model.onnx', … })).",
    },
  );
}
