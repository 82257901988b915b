import { InvalidInputError } from '../../common/errors.js';
import type { ColumnType, OipDatatype } from '../column-types.js';
import { cellDims, flattenCell, frameOf, nestCell, type Cell, type Frame } from '../frame.js';

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
  data: Cell[];
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

/** An `/infer` request's inputs as a frame; its own errors name the input (`inputs[1].shape`). */
export function frameOfInfer(
  body: unknown,
  types: readonly ColumnType[],
): { frame: Frame; id?: string; outputs?: string[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw bad('the body must be a JSON object', 'body');
  const { inputs, id, outputs } = body as { inputs?: unknown; id?: unknown; outputs?: unknown };
  if (id !== undefined && typeof id !== 'string') throw bad('id must be a string', 'id');
  if (!Array.isArray(inputs) || inputs.length === 0) throw bad('inputs must be a non-empty list of tensors', 'inputs');
  const byName = new Map(types.map((type) => [type.name, type]));
  let rows: number | undefined;
  const columns = inputs.map((input, i): [string, Cell[]] => {
    const tensor = checkTensor(input, `inputs[${i}]`);
    const type = byName.get(tensor.name);
    if (types.length > 0 && type === undefined) {
      throw bad(
        `inputs[${i}]: the model has no input '${tensor.name}' (it takes ${types.map((t) => t.name).join(', ')})`,
        `inputs[${i}].name`,
      );
    }
    if (type !== undefined) checkDatatype(tensor, type, `inputs[${i}].datatype`);
    rows ??= tensor.shape[0]!;
    if (tensor.shape[0] !== rows)
      throw bad(`inputs[${i}]: ${tensor.shape[0]} rows, but inputs[0] has ${rows}`, `inputs[${i}].shape`);
    return [tensor.name, rowsOf(tensor, type)];
  });
  return {
    frame: frameOf(rows ?? 0, columns),
    ...(id === undefined ? {} : { id }),
    ...(outputs === undefined ? {} : { outputs: requestedOutputs(outputs) }),
  };
}

/** The frame's columns as output tensors, typed by the signature where it says, else by their values. */
export function inferOutputs(frame: Frame, types: readonly ColumnType[], wanted?: readonly string[]): InferTensor[] {
  const byName = new Map(types.map((type) => [type.name, type]));
  const names = wanted ?? [...frame.columns.keys()];
  return names.map((name) => {
    const cells = frame.columns.get(name);
    if (cells === undefined)
      throw bad(`the model has no output '${name}' (it gives ${[...frame.columns.keys()].join(', ')})`, 'outputs');
    const data = cells.flatMap((cell) => flattenCell(cell));
    const first = cells[0];
    const inner = Array.isArray(first) ? cellDims(first as Cell) : [];
    return { name, datatype: byName.get(name)?.datatype ?? datatypeOf(data), shape: [frame.rows, ...inner], data };
  });
}

function checkTensor(input: unknown, where: string): InferTensor {
  if (typeof input !== 'object' || input === null)
    throw bad(`${where} must be an object {name, shape, datatype, data}`, where);
  const { name, shape, datatype, data } = input as Record<string, unknown>;
  if (typeof name !== 'string' || name === '') throw bad(`${where}.name must be a non-empty string`, `${where}.name`);
  if (
    !Array.isArray(shape) ||
    shape.length === 0 ||
    !shape.every((size) => Number.isSafeInteger(size) && (size as number) >= 0)
  ) {
    throw bad(`${where}.shape must be a list of non-negative whole numbers, the rows first`, `${where}.shape`);
  }
  if (typeof datatype !== 'string')
    throw bad(`${where}.datatype must be a string such as FP64 or BYTES`, `${where}.datatype`);
  if (!Array.isArray(data)) throw bad(`${where}.data must be a list`, `${where}.data`);
  const flat = (data as Cell[]).flatMap((cell) => flattenCell(cell));
  const size = (shape as number[]).reduce((product, dim) => product * dim, 1);
  if (flat.length !== size) {
    throw bad(`${where}: shape [${shape.join(', ')}] holds ${size} values, data has ${flat.length}`, `${where}.data`);
  }
  return { name, shape: shape as number[], datatype: datatype as OipDatatype, data: flat };
}

function checkDatatype(tensor: InferTensor, type: ColumnType, where: string): void {
  const fits =
    tensor.datatype === type.datatype ||
    ((type.kind === 'number' || type.kind === 'integer') && NUMERIC_DATATYPES.has(tensor.datatype)) ||
    type.kind === 'any';
  if (!fits) throw bad(`input '${tensor.name}' is ${tensor.datatype}, the model takes ${type.datatype}`, where);
}

/** Row cells from a flat tensor: scalars for `[rows]` and `[rows, 1]`, else nested by the dimensions after the rows. */
function rowsOf(tensor: InferTensor, type: ColumnType | undefined): Cell[] {
  const [rows, ...inner] = tensor.shape as [number, ...number[]];
  const perRow = inner.reduce((product, dim) => product * dim, 1);
  const scalar = perRow === 1 && (type === undefined || type.cellShape.length === 0);
  return Array.from({ length: rows }, (_, row) =>
    scalar ? tensor.data[row]! : nestCell(tensor.data, row * perRow, inner, (value) => value),
  );
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
