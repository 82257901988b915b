import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeCsv } from '../../examples/churn/steps/common.js';
import { fromRows, rowProblem, type Row } from '../../examples/churn/steps/features.js';
import { generateRows } from '../../examples/churn/steps/generate.js';
import { trainModel, writeModel } from '../../examples/churn/steps/model.js';
import { writeOnnx } from '../../examples/churn/steps/onnx.js';
import { MODEL_FILE, ONNX_FILE, SIGNATURE, writePackageManifest } from '../../examples/churn/steps/package.js';
import { openContext } from '../../src/app/context.js';
import { loadConfig } from '../../src/common/config.js';
import { writeManifest } from '../../src/registry/index.js';
import { registerPackage } from '../../test/serving/support.js';
import { makeTempDir } from '../../test/support/temp.js';

export const TRAIN_ROWS = 4000;
export const FOREST = { trees: 50, max_depth: 6, min_samples_split: 2, min_samples_leaf: 1, seed: 42 };
export const PYTHON = '/usr/bin/python3';
export const PYTHON_SERVER = fileURLToPath(new URL('./fastapi_server.py', import.meta.url));

/** A request row: the signature's columns, numbers as numbers. */
export type InputRecord = Record<string, number | string>;

export interface ServingFixture {
  /** CICLO_HOME of a store holding `churn/1` (the example's forest as ONNX) and `churn-sklearn/1`. */
  home: string;
  /** The ONNX graph the raw server loads: the very file registered. */
  onnxFile: string;
  /** The training rows as CSV, for scikit-learn. */
  trainCsv: string;
  /** Rows the model was not trained on, to score. */
  records: InputRecord[];
  remove(): void;
}

/**
 * The churn example's own code end to end: generated rows (the invalid ones dropped, as its `clean`
 * step does), its random forest trained on 4000 of them, exported to ONNX and written as a package with
 * its manifest; the same rows as CSV train scikit-learn's forest (a pickle in a `sklearn` package too).
 * Both packages registered in a new store in a temp folder.
 */
export async function servingFixture(): Promise<ServingFixture> {
  const temp = makeTempDir('ciclo-bench-serving-');
  try {
    const rows = generateRows(6000, 42).rows.filter((row) => rowProblem(row) === undefined);
    const train = rows.slice(0, TRAIN_ROWS);
    const unseen = rows.slice(TRAIN_ROWS, TRAIN_ROWS + 1000);

    const onnxPackage = join(temp.dir, 'churn-onnx');
    mkdirSync(onnxPackage);
    const model = trainModel(train, FOREST);
    await writeModel(join(onnxPackage, MODEL_FILE), model);
    await writeOnnx(join(onnxPackage, ONNX_FILE), model);
    await writePackageManifest(onnxPackage);

    const trainCsv = join(temp.dir, 'train.csv');
    await writeCsv(trainCsv, fromRows(train));
    const sklearnPackage = join(temp.dir, 'churn-sklearn');
    mkdirSync(sklearnPackage);
    execFileSync(PYTHON, ['-B', PYTHON_SERVER, 'pickle', trainCsv, join(sklearnPackage, 'model.pkl')]);
    await writeManifest(sklearnPackage, {
      flavor: 'sklearn',
      entry: 'model.pkl',
      signature: { inputs: SIGNATURE.inputs, outputs: [{ name: 'churned', type: 'long' }] },
    });

    const home = join(temp.dir, 'home');
    const context = await openContext(loadConfig({ CICLO_HOME: home, CICLO_LOG_LEVEL: 'silent' }));
    try {
      await registerPackage(context, 'churn', onnxPackage);
      await registerPackage(context, 'churn-sklearn', sklearnPackage);
    } finally {
      await context.close();
    }
    return {
      home,
      onnxFile: join(onnxPackage, ONNX_FILE),
      trainCsv,
      records: unseen.map(inputRecord),
      remove: temp.remove,
    };
  } catch (error) {
    temp.remove();
    throw error;
  }
}

function inputRecord(row: Row): InputRecord {
  return Object.fromEntries(
    SIGNATURE.inputs.map(({ name, type }) => {
      const value = row[name as keyof Row];
      return [name, type === 'double' ? Number(value) : value];
    }),
  );
}

/** MLflow's `dataframe_records`, one record a request. */
export function invocationBodies(records: readonly InputRecord[]): string[] {
  return records.map((record) => JSON.stringify({ dataframe_records: [record] }));
}

/** The Open Inference Protocol's `/infer`: one tensor per column, one row each. */
export function inferBodies(records: readonly InputRecord[]): string[] {
  return records.map((record) =>
    JSON.stringify({
      inputs: SIGNATURE.inputs.map(({ name, type }) => ({
        name,
        shape: [1],
        datatype: type === 'double' ? 'FP64' : 'BYTES',
        data: [record[name]],
      })),
    }),
  );
}
