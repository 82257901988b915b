import * as ort from 'onnxruntime-node';
import { InvalidInputError } from '../../common/errors.js';
import { signatureTypes, type ColumnType } from '../column-types.js';
import { frameOf, type Cell, type Frame } from '../frame.js';
import type { LoadedModel, ServablePackage } from '../runtime.js';
import { cellsOfTensor, tensorOfCells, tensorOfRows } from './onnx-tensors.js';

/**
 * One intra-op thread (onnxruntime's default is one per core, the extra ones spinning between runs). A
 * serving process already runs one request or batch at a time per model and needs the other core for
 * HTTP; the churn forest measured in process (2 cores, 2026-12-05), CPU per run with 1 thread against
 * the default: 1 row 26 against 29 µs, 13 rows 39 against 40, 64 rows 96–108 against 146–185, 256 rows
 * 620–670 against 950–1400, 4096 rows 9.8 against 17 ms; the default's wall time was lower only at
 * 64 rows on an idle machine (77 against 94 µs). bench/serving's raw floor uses these
 * same options, so that its comparison measures Ciclo's overhead, not a tuning difference.
 */
export const ONNX_SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
};

/**
 * An onnxruntime-node session and how the signature maps onto its graph. Imported by the onnx runtime
 * only when it loads a model: onnxruntime's native library then loads too, and no CLI command pays for it otherwise.
 */
export async function loadOnnxModel(file: string, model: ServablePackage): Promise<LoadedModel> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, ONNX_SESSION_OPTIONS);
  } catch (error) {
    throw new InvalidInputError(`onnxruntime cannot load ${model.entry ?? 'the graph'}: ${messageOf(error)}`, {
      where: model.entry ?? 'model.onnx',
      hint: 'Export the graph again; check its opset against the onnxruntime version in docs/serving.md.',
    });
  }
  try {
    return new OnnxModel(session, planFeeds(session, signatureTypes(model.signature.inputs)), model);
  } catch (error) {
    await session.release();
    throw error;
  }
}

type Feeds =
  | { kind: 'by-name'; inputs: ort.InferenceSession.TensorValueMetadata[] }
  | { kind: 'stacked'; input: ort.InferenceSession.TensorValueMetadata; columns: string[] };

class OnnxModel implements LoadedModel {
  readonly #session: ort.InferenceSession;
  readonly #feeds: Feeds;
  readonly #outputs: readonly { graph: string; column: string; cellShape: readonly number[] }[];

  constructor(session: ort.InferenceSession, feeds: Feeds, model: ServablePackage) {
    this.#session = session;
    this.#feeds = feeds;
    this.#outputs = planOutputs(session, signatureTypes(model.signature.outputs));
  }

  async predict(batch: Frame): Promise<Frame> {
    const feeds: Record<string, ort.Tensor> = {};
    if (this.#feeds.kind === 'stacked') {
      const { input, columns } = this.#feeds;
      feeds[input.name] = tensorOfRows(
        input,
        batch.rows,
        columns.map((name) => batch.columns.get(name) ?? []),
      );
    } else {
      for (const input of this.#feeds.inputs)
        feeds[input.name] = tensorOfCells(input, batch.rows, batch.columns.get(input.name) ?? []);
    }
    const results = await this.#session.run(
      feeds,
      this.#outputs.map((output) => output.graph),
    );
    return frameOf(
      batch.rows,
      this.#outputs.map(({ graph, column, cellShape }): [string, Cell[]] => [
        column,
        cellsOfTensor(results[graph]!, batch.rows, cellShape),
      ]),
    );
  }

  async close(): Promise<void> {
    await this.#session.release();
  }
}

function planFeeds(session: ort.InferenceSession, columns: readonly ColumnType[]): Feeds {
  const inputs = session.inputMetadata.filter(
    (input): input is ort.InferenceSession.TensorValueMetadata => input.isTensor,
  );
  if (inputs.length !== session.inputMetadata.length) throw unfit('takes an input that is not a tensor');
  const names = new Set(columns.map((column) => column.name));
  if (columns.length === 0 || inputs.every((input) => names.has(input.name))) return { kind: 'by-name', inputs };
  if (inputs.length === 1 && columns.every((column) => column.cellShape.length === 0)) {
    return { kind: 'stacked', input: inputs[0]!, columns: columns.map((column) => column.name) };
  }
  const missing = inputs.filter((input) => !names.has(input.name)).map((input) => input.name);
  throw unfit(`takes inputs the signature does not name: ${missing.join(', ')}`);
}

function planOutputs(
  session: ort.InferenceSession,
  columns: readonly ColumnType[],
): { graph: string; column: string; cellShape: readonly number[] }[] {
  const graphOutputs = session.outputNames;
  if (columns.length === 0) return graphOutputs.map((name) => ({ graph: name, column: name, cellShape: [] }));
  if (columns.every((column) => graphOutputs.includes(column.name))) {
    return columns.map((column) => ({ graph: column.name, column: column.name, cellShape: column.cellShape }));
  }
  if (columns.length === 1)
    return [{ graph: graphOutputs[0]!, column: columns[0]!.name, cellShape: columns[0]!.cellShape }];
  throw unfit(`gives outputs ${graphOutputs.join(', ')}, not the signature's ${columns.map((c) => c.name).join(', ')}`);
}

function unfit(what: string): InvalidInputError {
  return new InvalidInputError(`the ONNX graph ${what}`, {
    where: 'signature',
    hint: "Name the manifest's signature columns as the graph's inputs and outputs (docs/serving.md).",
  });
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 500);
}
