import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidInputError } from '../../common/errors.js';
import { frameOf, frameToRecords, type Cell, type Frame } from '../frame.js';
import type { LoadedModel, ModelRuntime, ServablePackage } from '../runtime.js';

/**
 * The `js` runtime: the package's `entry` is an ES module exporting
 * `load(folder, { signature })` (anything: the model's state) and `predict(state, records)`, which
 * answers one value per record (the single output column) or one `{output: value}` object per record.
 * It runs inside the serving process: a module that throws fails its request with 500, and one that
 * blocks the event loop blocks the server, which is why untrusted models belong in the python runtime.
 */
interface JsModelModule {
  load(folder: string, options: { signature: ServablePackage['signature'] }): unknown;
  predict(state: unknown, records: Record<string, Cell>[]): unknown;
}

export class JsRuntime implements ModelRuntime {
  readonly name = 'js';
  readonly flavors = ['js'];

  async load(model: ServablePackage): Promise<LoadedModel> {
    if (model.entry === undefined) {
      throw new InvalidInputError('a js model package must name its module as entry', {
        where: 'entry',
        hint: "writeManifest(folder, { flavor: 'js', entry: 'model.mjs', … }).",
      });
    }
    const module = (await import(pathToFileURL(join(model.folder, model.entry)).href)) as Partial<JsModelModule>;
    if (typeof module.load !== 'function' || typeof module.predict !== 'function') {
      throw new InvalidInputError(`${model.entry} must export the functions load and predict`, {
        where: model.entry,
        hint: 'Export async function load(folder, { signature }) and function predict(state, records).',
      });
    }
    const state = await module.load(model.folder, { signature: model.signature });
    const outputs = model.signature.outputs.map((column) => column.name);
    const predict = module.predict.bind(module);
    return {
      predict: async (batch) => toFrame(await predict(state, frameToRecords(batch)), batch.rows, outputs),
      close: async () => {},
    };
  }
}

/** The module's answer as a frame; a wrong shape is the module's bug, reported as such. */
function toFrame(answer: unknown, rows: number, outputs: readonly string[]): Frame {
  if (!Array.isArray(answer) || answer.length !== rows) {
    throw new Error(
      `the js model's predict answered ${Array.isArray(answer) ? answer.length : typeof answer}, not ${rows} rows`,
    );
  }
  const records = answer as unknown[];
  const first = records[0];
  if (typeof first === 'object' && first !== null && !Array.isArray(first)) {
    const names = outputs.length > 0 ? outputs : Object.keys(first);
    return frameOf(
      rows,
      names.map((name): [string, Cell[]] => [
        name,
        records.map((record) => (record as Record<string, Cell>)[name] ?? null),
      ]),
    );
  }
  return frameOf(rows, [[outputs[0] ?? 'predictions', records as Cell[]]]);
}
