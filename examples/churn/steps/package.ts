/**
 * The model package (docs/model-format.md): the `train` step's `model` output is a folder holding
 * `model.onnx` (what a runtime loads and serves), `model.json` (the same forest, which `evaluate`
 * reads) and `ciclo-model.json`, the manifest naming the flavor, the entry, the signature and every
 * file's digest. The registry (the `register` step) verifies the files against it.
 */
import { writeManifest } from 'ciclo';

export const MODEL_FILE = 'model.json';
export const ONNX_FILE = 'model.onnx';

/** What the model takes and gives: the raw columns `features.ts` encodes, and the churn score. */
export const SIGNATURE = {
  inputs: [
    { name: 'tenure_months', type: 'double' },
    { name: 'monthly_charges', type: 'double' },
    { name: 'total_charges', type: 'double' },
    { name: 'support_calls', type: 'double' },
    { name: 'contract', type: 'string' },
    { name: 'payment_method', type: 'string' },
    { name: 'internet_service', type: 'string' },
  ],
  outputs: [{ name: 'churn_score', type: 'double' }],
};

/**
 * Writes the manifest listing every file of the package with its digest; nothing in it depends on
 * time or paths. onnxruntime 1.12 is the first to run opset 17 graphs (onnx.ts).
 */
export async function writePackageManifest(folder: string): Promise<void> {
  await writeManifest(folder, {
    flavor: 'onnx',
    entry: ONNX_FILE,
    signature: SIGNATURE,
    requirements: ['onnxruntime>=1.12'],
  });
}
