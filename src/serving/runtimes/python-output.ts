import { frameOf, type Cell, type Frame } from '../frame.js';

/**
 * The worker answers one cell per row, as the estimator returned it (a label, a number, or a row array
 * for a 2-D result such as predict_proba's). The frame names it after the signature: no outputs → one
 * column `predictions` (a 2-D result stays one column of row arrays, as MLflow answers an unnamed
 * ndarray); one output → that name; several outputs → each row's array split across them, in order.
 */
export function predictionFrame(
  answered: Readonly<Record<string, readonly Cell[]>> | undefined,
  rows: number,
  outputs: readonly string[],
): Frame {
  const cells = answered?.predictions;
  if (cells === undefined || cells.length !== rows) {
    throw new Error(`the python model answered ${cells?.length ?? 'no'} predictions for ${rows} rows`);
  }
  if (outputs.length <= 1) return frameOf(rows, [[outputs[0] ?? 'predictions', cells]]);
  const split = outputs.map((): Cell[] => []);
  for (const cell of cells) {
    if (!Array.isArray(cell) || cell.length !== outputs.length) {
      throw new Error(
        `the signature names ${outputs.length} outputs, but the python model answered ` +
          `${Array.isArray(cell) ? `${cell.length} values` : 'one value'} per row`,
      );
    }
    (cell as readonly Cell[]).forEach((value, i) => split[i]!.push(value));
  }
  return frameOf(
    rows,
    outputs.map((name, i): [string, Cell[]] => [name, split[i]!]),
  );
}
