import { InvalidInputError } from '../../common/errors.js';
import type { ColumnType, OipDatatype } from '../column-types.js';
import { cellDims, flattenCell, nestCell, type Cell, type Frame } from '../frame.js';

/**
 * The Open Inference Protocol v2 (KServe, Triton, MLServer): tensors in, tensors out. Each input
 * tensor is a signature column of the same name, its first dimension the rows; `data` is the tensor
 * row-major, flat (nested lists are flattened first, as servers commonly accept).
 */
export interface TensorMetadata {
  name: string;
  datatype: OipDatatype;
  shape: number[];
}

export interface InferTensor extends TensorMetadata {
  data: readonly Cell[];
}

const NUMERIC_DATATYPES = new Set<OipDatatype>([
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
]);

/** The metadata of a signature column: `[-1]` for a scalar column (one value a row), `[-1, …]` for a tensor. */
export function tensorMetadata(type: ColumnType): TensorMetadata {
  return { name: type.name, datatype: type.datatype, shape: [-1, ...type.cellShape] };
}

/** Each signature's columns by name, built once per signature (a served model keeps its array). */
const TYPES_BY_NAME = new WeakMap<readonly ColumnType[], ReadonlyMap<string, ColumnType>>();

function typesByName(types: readonly ColumnType[]): ReadonlyMap<string, ColumnType> {
  let byName = TYPES_BY_NAME.get(types);
  if (byName === undefined) {
    byName = new Map(types.map((type) => [type.name, type]));
    TYPES_BY_NAME.set(types, byName);
  }
  return byName;
}

/**
 * An `/infer` request's inputs as a frame; its own errors name the input (`inputs[1].shape`). Every
 * request takes this path, so it copies nothing it need not: a flat tensor of one value a row is the
 * column as sent, and the `where` of an error is only written when one is thrown.
 */
export function frameOfInfer(
  body: unknown,
  types: readonly ColumnType[],
): { frame: Frame; id?: string; outputs?: string[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw bad('the body must be a JSON object', 'body');
  const { inputs, id, outputs } = body as { inputs?: unknown; id?: unknown; outputs?: unknown };
  if (id !== undefined && typeof id !== 'string') throw bad('id must be a string', 'id');
  if (!Array.isArray(inputs) || inputs.length === 0) throw bad('inputs must be a non-empty list of tensors', 'inputs');
  const byName = typesByName(types);
  const columns = new Map<string, readonly Cell[]>();
  let rows = 0;
  for (let i = 0; i < inputs.length; i++) {
    const tensor = checkTensor(inputs[i], i);
    const type = byName.get(tensor.name);
    if (type === undefined) {
      if (types.length > 0) {
        throw bad(
          `inputs[${i}]: the model has no input '${tensor.name}' (it takes ${types.map((t) => t.name).join(', ')})`,
          `inputs[${i}].name`,
        );
      }
    } else if (!datatypeFits(tensor.datatype, type)) {
      throw bad(
        `input '${tensor.name}' is ${tensor.datatype}, the model takes ${type.datatype}`,
        `inputs[${i}].datatype`,
      );
    }
    const tensorRows = tensor.shape[0]!;
    if (i === 0) rows = tensorRows;
    else if (tensorRows !== rows)
      throw bad(`inputs[${i}]: ${tensorRows} rows, but inputs[0] has ${rows}`, `inputs[${i}].shape`);
    columns.set(tensor.name, rowsOf(tensor, type));
  }
  const read: { frame: Frame; id?: string; outputs?: string[] } = { frame: { rows, columns } };
  if (id !== undefined) read.id = id;
  if (outputs !== undefined) read.outputs = requestedOutputs(outputs);
  return read;
}

/** The frame's columns as output tensors, typed by the signature where it says, else by their values. */
export function inferOutputs(frame: Frame, types: readonly ColumnType[], wanted?: readonly string[]): InferTensor[] {
  const byName = typesByName(types);
  const names = wanted ?? [...frame.columns.keys()];
  return names.map((name) => {
    const cells = frame.columns.get(name);
    if (cells === undefined)
      throw bad(`the model has no output '${name}' (it gives ${[...frame.columns.keys()].join(', ')})`, 'outputs');
    const first = cells[0];
    // A column of scalars is its own flat data: answered as it is, not copied.
    const data = isFlat(cells) ? cells : cells.flatMap((cell) => flattenCell(cell));
    const inner = Array.isArray(first) ? cellDims(first as Cell) : [];
    return { name, datatype: byName.get(name)?.datatype ?? datatypeOf(data), shape: [frame.rows, ...inner], data };
  });
}

/** Where in the request an input's field is: only written for an error. */
function at(i: number, field = ''): string {
  return `inputs[${i}]${field}`;
}

/** The `i`th input, checked; its `data` flat (the very list sent when it already is). */
function checkTensor(input: unknown, i: number): InferTensor {
  if (typeof input !== 'object' || input === null)
    throw bad(`${at(i)} must be an object {name, shape, datatype, data}`, at(i));
  const { name, shape, datatype, data } = input as Record<string, unknown>;
  if (typeof name !== 'string' || name === '')
    throw bad(`${at(i, '.name')} must be a non-empty string`, at(i, '.name'));
  const size = Array.isArray(shape) ? sizeOf(shape) : -1;
  if (size < 0) {
    throw bad(`${at(i, '.shape')} must be a list of non-negative whole numbers, the rows first`, at(i, '.shape'));
  }
  if (typeof datatype !== 'string')
    throw bad(`${at(i, '.datatype')} must be a string such as FP64 or BYTES`, at(i, '.datatype'));
  if (!Array.isArray(data)) throw bad(`${at(i, '.data')} must be a list`, at(i, '.data'));
  // Nested lists are flattened (servers commonly accept them); flat data, the usual case, is not copied.
  const flat = isFlat(data as Cell[]) ? (data as Cell[]) : (data as Cell[]).flatMap((cell) => flattenCell(cell));
  if (flat.length !== size) {
    const dims = (shape as number[]).join(', ');
    throw bad(`${at(i)}: shape [${dims}] holds ${size} values, data has ${flat.length}`, at(i, '.data'));
  }
  return { name, shape: shape as number[], datatype: datatype as OipDatatype, data: flat };
}

/** The number of values a shape holds; -1 for a shape that is not a non-empty list of non-negative whole numbers. */
function sizeOf(shape: readonly unknown[]): number {
  if (shape.length === 0) return -1;
  let size = 1;
  for (let d = 0; d < shape.length; d++) {
    const dim = shape[d];
    if (!Number.isSafeInteger(dim) || (dim as number) < 0) return -1;
    size *= dim as number;
  }
  return size;
}

function isFlat(cells: readonly Cell[]): boolean {
  for (let k = 0; k < cells.length; k++) if (Array.isArray(cells[k])) return false;
  return true;
}

function datatypeFits(datatype: OipDatatype, type: ColumnType): boolean {
  return (
    datatype === type.datatype ||
    ((type.kind === 'number' || type.kind === 'integer') && NUMERIC_DATATYPES.has(datatype)) ||
    type.kind === 'any'
  );
}

/** Row cells from a flat tensor: scalars for `[rows]` and `[rows, 1]`, else nested by the dimensions after the rows. */
function rowsOf(tensor: InferTensor, type: ColumnType | undefined): readonly Cell[] {
  const { shape, data } = tensor;
  const rows = shape[0]!;
  let perRow = 1;
  for (let d = 1; d < shape.length; d++) perRow *= shape[d]!;
  // One value a row: the flat data (rows long, checked) is the column.
  if (perRow === 1 && (type === undefined || type.cellShape.length === 0)) return data;
  const inner = shape.slice(1);
  const cells: Cell[] = [];
  for (let row = 0; row < rows; row++) cells.push(nestCell(data, row * perRow, inner, identity));
  return cells;
}

function identity(value: Cell): Cell {
  return value;
}

function datatypeOf(data: readonly Cell[]): OipDatatype {
  if (data.every((value) => typeof value === 'boolean')) return 'BOOL';
  if (data.every((value) => Number.isSafeInteger(value))) return 'INT64';
  if (data.every((value) => typeof value === 'number' || value === null)) return 'FP64';
  return 'BYTES';
}

function requestedOutputs(outputs: unknown): string[] {
  if (!Array.isArray(outputs)) throw bad('outputs must be a list of {name}', 'outputs');
  return outputs.map((output, i) => {
    const name = (output as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') throw bad(`outputs[${i}].name must be a string`, `outputs[${i}].name`);
    return name;
  });
}

function bad(message: string, where: string): InvalidInputError {
  return new InvalidInputError(message, {
    where,
    hint: 'See the Open Inference Protocol v2 request format (docs/serving.md).',
  });
}
