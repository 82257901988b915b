import * as ort from 'onnxruntime-node';
import { InvalidInputError } from '../../common/errors.js';
import { cellDims, flattenCell, nestCell, type Cell } from '../frame.js';

/**
 * Frame cells ↔ onnxruntime tensors. Cells have passed the signature check, so they are of the
 * column's kind; what is left is the graph's element type (a `double` column fed to a `float` input
 * is narrowed here, as skl2onnx graphs expect) and its rank (`[rows]` or `[rows, 1]` for a scalar column).
 */
type TensorInput = ort.InferenceSession.TensorValueMetadata;

/** One column's cells as the named graph input. */
export function tensorOfCells(input: TensorInput, rows: number, cells: readonly Cell[]): ort.Tensor {
  // A scalar column (every cell a leaf, the common case) is its own flat data: no copy, one value a row.
  const values = hasArrayCell(cells) ? cells.flatMap((cell) => flattenCell(cell)) : cells;
  const perRow = rows === 0 ? 1 : values.length / rows;
  const dims = input.shape.length <= 1 ? [rows] : [rows, ...rowDims(cells[0] ?? null, perRow)];
  return tensorOf(input, values, dims);
}

function hasArrayCell(cells: readonly Cell[]): boolean {
  for (let i = 0; i < cells.length; i++) if (Array.isArray(cells[i])) return true;
  return false;
}

/** Scalar columns side by side: row i is `[columns[0][i], columns[1][i], …]`. */
export function tensorOfRows(input: TensorInput, rows: number, columns: readonly (readonly Cell[])[]): ort.Tensor {
  const values: Cell[] = new Array<Cell>(rows * columns.length);
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns.length; column++)
      values[row * columns.length + column] = columns[column]![row] ?? null;
  }
  return tensorOf(input, values, [rows, columns.length]);
}

/** A graph output as one cell per row: a scalar when each row holds one value and the column is a scalar. */
export function cellsOfTensor(tensor: ort.Tensor, rows: number, cellShape: readonly number[]): Cell[] {
  const data = tensor.data as ArrayLike<number | bigint | string | boolean>;
  const inner = tensor.dims.slice(1);
  const perRow = inner.reduce((product, size) => product * size, 1);
  const cells: Cell[] = new Array<Cell>(rows);
  for (let row = 0; row < rows; row++) {
    if (perRow === 1 && cellShape.length === 0) cells[row] = plain(data[row]!);
    else cells[row] = nestCell(data, row * perRow, inner, plain);
  }
  return cells;
}

/**
 * Loops rather than `TypedArray.from(values, mapper)` and `values.map`: for the 1–16 rows a scoring
 * request or batch holds, the mapper call per element and the iterator protocol cost more than the
 * values (~8 µs a 7-column churn row, CPU profile of `ciclo serve`; 2026-12-05).
 */
function tensorOf(input: TensorInput, values: readonly Cell[], dims: number[]): ort.Tensor {
  const size = values.length;
  switch (input.type) {
    case 'string': {
      const strings = new Array<string>(size);
      for (let i = 0; i < size; i++) {
        const value = values[i];
        strings[i] = typeof value === 'string' ? value : value === null ? '' : String(value);
      }
      return new ort.Tensor('string', strings, dims);
    }
    case 'float32':
      return new ort.Tensor('float32', fill(new Float32Array(size), values), dims);
    case 'float64':
      return new ort.Tensor('float64', fill(new Float64Array(size), values), dims);
    case 'int64': {
      const ints = new BigInt64Array(size);
      for (let i = 0; i < size; i++) ints[i] = BigInt(Math.trunc(toNumber(values[i]!) || 0));
      return new ort.Tensor('int64', ints, dims);
    }
    case 'int32':
      return new ort.Tensor('int32', fill(new Int32Array(size), values), dims);
    case 'bool': {
      const bools = new Uint8Array(size);
      for (let i = 0; i < size; i++) bools[i] = values[i] === true || values[i] === 1 ? 1 : 0;
      return new ort.Tensor('bool', bools, dims);
    }
    default:
      throw new InvalidInputError(
        `graph input '${input.name}' takes ${input.type} tensors, which Ciclo does not feed`,
        {
          where: input.name,
          hint: 'Export the graph with float, double, int32, int64, bool or string inputs.',
        },
      );
  }
}

function fill<T extends Float32Array | Float64Array | Int32Array>(array: T, values: readonly Cell[]): T {
  for (let i = 0; i < values.length; i++) array[i] = toNumber(values[i]!);
  return array;
}

function toNumber(value: Cell): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return Number.NaN;
}

/** The dimensions after the row: a scalar column is `[1]`, an array cell its own shape. */
function rowDims(cell: Cell, perRow: number): number[] {
  const dims = cellDims(cell);
  return dims.length === 0 ? [perRow] : dims;
}

function plain(value: number | bigint | string | boolean): Cell {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}
