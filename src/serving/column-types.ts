import { InvalidInputError } from '../common/errors.js';
import type { ModelSignature } from '../registry/index.js';

/**
 * A signature column's type, read once when a model loads: MLflow's column types (`double`, `long`,
 * `string`, …) and tensor types (`tensor<float32>`, as `MLmodel` signatures and Ciclo manifests write
 * them), each with the kind of JSON value a cell must be and its Open Inference Protocol datatype.
 */
export type ColumnSpec = ModelSignature['inputs'][number];

/** What a cell's leaves must be in JSON; `any` for a type the signature does not say (`unknown`). */
export type ValueKind = 'boolean' | 'integer' | 'number' | 'string' | 'any';

/** The Open Inference Protocol v2 tensor datatypes. */
export type OipDatatype =
  | 'BOOL'
  | 'UINT8'
  | 'UINT16'
  | 'UINT32'
  | 'UINT64'
  | 'INT8'
  | 'INT16'
  | 'INT32'
  | 'INT64'
  | 'FP16'
  | 'FP32'
  | 'FP64'
  | 'BYTES';

export interface ColumnType {
  readonly name: string;
  readonly kind: ValueKind;
  readonly datatype: OipDatatype;
  /** The dimensions after the first (the row): `[]` for a scalar column, `[4]` for four values a row; -1: any. */
  readonly cellShape: readonly number[];
  readonly optional: boolean;
}

const COLUMN_TYPES: Record<string, readonly [ValueKind, OipDatatype]> = {
  boolean: ['boolean', 'BOOL'],
  integer: ['integer', 'INT32'],
  long: ['integer', 'INT64'],
  float: ['number', 'FP32'],
  double: ['number', 'FP64'],
  string: ['string', 'BYTES'],
  // MLflow sends binary as base64 text and datetimes as ISO text in JSON.
  binary: ['string', 'BYTES'],
  datetime: ['string', 'BYTES'],
};

// numpy's dtype names, as MLflow's tensor specs carry them.
const TENSOR_TYPES: Record<string, readonly [ValueKind, OipDatatype]> = {
  bool: ['boolean', 'BOOL'],
  int8: ['integer', 'INT8'],
  int16: ['integer', 'INT16'],
  int32: ['integer', 'INT32'],
  int64: ['integer', 'INT64'],
  uint8: ['integer', 'UINT8'],
  uint16: ['integer', 'UINT16'],
  uint32: ['integer', 'UINT32'],
  uint64: ['integer', 'UINT64'],
  float16: ['number', 'FP16'],
  float32: ['number', 'FP32'],
  float64: ['number', 'FP64'],
  str: ['string', 'BYTES'],
  string: ['string', 'BYTES'],
  object: ['string', 'BYTES'],
};

const TENSOR = /^tensor<([a-z0-9]+)>$/;

export function columnTypeOf(spec: ColumnSpec): ColumnType {
  const tensor = TENSOR.exec(spec.type);
  const known = tensor === null ? COLUMN_TYPES[spec.type] : TENSOR_TYPES[tensor[1]!];
  const [kind, datatype] = known ?? (['any', 'BYTES'] as const);
  // A tensor's first dimension is the batch; a column's cells are scalars.
  const cellShape = tensor === null ? [] : (spec.shape ?? [-1]).slice(1);
  return { name: spec.name, kind, datatype, cellShape, optional: spec.optional === true };
}

/** The signature's types, or an error naming the column whose type no runtime can check. */
export function signatureTypes(columns: readonly ColumnSpec[]): ColumnType[] {
  return columns.map((spec, i) => {
    const type = columnTypeOf(spec);
    if (type.cellShape.some((size) => !Number.isInteger(size) || size < -1)) {
      throw new InvalidInputError(`signature column ${spec.name}: shape ${JSON.stringify(spec.shape)} is not valid`, {
        where: `signature[${i}].shape`,
        hint: 'List whole dimensions, -1 where any size goes.',
      });
    }
    return type;
  });
}

const KIND_WORDS: Record<ValueKind, string> = {
  boolean: 'true or false',
  integer: 'a whole number',
  number: 'a number',
  string: 'a string',
  any: 'a value',
};

/** What the caller should have sent, for an error message: `a number`, `an array of shape [4] of numbers`. */
export function describeType(type: ColumnType): string {
  const scalar = KIND_WORDS[type.kind];
  if (type.cellShape.length === 0) return scalar;
  return `an array of shape [${type.cellShape.join(', ')}], each ${scalar}`;
}
