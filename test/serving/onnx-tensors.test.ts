import type * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { tensorOfCells, tensorOfRows } from '../../src/serving/runtimes/onnx-tensors.js';

/** A graph input as onnxruntime describes it: only the element type and rank matter here. */
function input(type: string, shape: number[] = [-1, 1]): ort.InferenceSession.TensorValueMetadata {
  return { name: 'x', isTensor: true, type, shape } as unknown as ort.InferenceSession.TensorValueMetadata;
}

describe('frame cells as onnxruntime tensors', () => {
  it('feeds a scalar column as [rows, 1], each element type converted', () => {
    const doubles = tensorOfCells(input('float64'), 3, [1.5, -2, null]);
    expect(doubles.type).toBe('float64');
    expect(doubles.dims).toEqual([3, 1]);
    expect(Array.from(doubles.data as Float64Array)).toEqual([1.5, -2, Number.NaN]);

    const floats = tensorOfCells(input('float32'), 2, [0.25, true]);
    expect(Array.from(floats.data as Float32Array)).toEqual([0.25, 1]);

    const int32 = tensorOfCells(input('int32'), 2, [7.9, -3.2]);
    expect(Array.from(int32.data as Int32Array)).toEqual([7, -3]);

    const int64 = tensorOfCells(input('int64'), 3, [7.9, -3.2, null]);
    expect(Array.from(int64.data as BigInt64Array)).toEqual([7n, -3n, 0n]);

    const bools = tensorOfCells(input('bool'), 3, [true, 1, false]);
    expect(Array.from(bools.data as Uint8Array)).toEqual([1, 1, 0]);
  });

  it('feeds strings as they are, null as the empty string and other scalars as their text', () => {
    const strings = tensorOfCells(input('string'), 3, ['monthly', null, 12]);
    expect(strings.data).toEqual(['monthly', '', '12']);
    expect(strings.dims).toEqual([3, 1]);
  });

  it('gives a rank-1 graph input [rows]', () => {
    expect(tensorOfCells(input('float64', [-1]), 2, [1, 2]).dims).toEqual([2]);
  });

  it('flattens array cells row by row, the row dims taken from the cells', () => {
    const tensor = tensorOfCells(input('float64', [-1, 2, 2]), 2, [
      [
        [1, 2],
        [3, 4],
      ],
      [
        [5, 6],
        [7, 8],
      ],
    ]);
    expect(tensor.dims).toEqual([2, 2, 2]);
    expect(Array.from(tensor.data as Float64Array)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('stacks scalar columns side by side for a one-input graph', () => {
    const tensor = tensorOfRows(input('float32', [-1, 2]), 2, [
      [1, 2],
      [10, 20],
    ]);
    expect(tensor.dims).toEqual([2, 2]);
    expect(Array.from(tensor.data as Float32Array)).toEqual([1, 10, 2, 20]);
  });

  it('refuses a graph input of a type Ciclo does not feed, naming it', () => {
    expect(() => tensorOfCells(input('float16'), 1, [1])).toThrow(/graph input 'x' takes float16 tensors/);
  });
});
