import { describe, expect, it } from 'vitest';
import { CicloError } from '../../src/common/errors.js';
import { columnTypeOf } from '../../src/serving/column-types.js';
import { frameOfInfer, inferOutputs } from '../../src/serving/protocols/oip.js';

const types = [
  columnTypeOf({ name: 'a', type: 'double' }),
  columnTypeOf({ name: 'image', type: 'tensor<float32>', shape: [-1, 2, 2] }),
];

function refusal(body: unknown): { message: string; where: unknown } {
  try {
    frameOfInfer(body, types);
  } catch (error) {
    expect(error).toBeInstanceOf(CicloError);
    return { message: (error as CicloError).message, where: (error as CicloError).details.where };
  }
  throw new Error('not refused');
}

describe('the Open Inference Protocol reader', () => {
  it('takes flat data as sent, flattens nested lists and nests tensor columns by row', () => {
    const data = [1.5, 2.5];
    const { frame, id, outputs } = frameOfInfer(
      {
        id: 'r1',
        inputs: [
          { name: 'a', shape: [2, 1], datatype: 'FP32', data },
          {
            name: 'image',
            shape: [2, 2, 2],
            datatype: 'FP32',
            data: [
              [
                [1, 2],
                [3, 4],
              ],
              [5, 6, 7, 8],
            ],
          },
        ],
        outputs: [{ name: 'score' }],
      },
      types,
    );
    expect(frame.rows).toBe(2);
    expect(frame.columns.get('a')).toEqual([1.5, 2.5]);
    expect(frame.columns.get('image')).toEqual([
      [
        [1, 2],
        [3, 4],
      ],
      [
        [5, 6],
        [7, 8],
      ],
    ]);
    expect([id, outputs]).toEqual(['r1', ['score']]);
    const plain = frameOfInfer({ inputs: [{ name: 'a', shape: [1], datatype: 'FP64', data: [3] }] }, []);
    expect(plain).toEqual({ frame: { rows: 1, columns: new Map([['a', [3]]]) } });
  });

  it('names the input and its field in every refusal', () => {
    const a = { name: 'a', shape: [1], datatype: 'FP64', data: [1] };
    expect(refusal({ inputs: [a, 7] })).toEqual({
      message: 'inputs[1] must be an object {name, shape, datatype, data}',
      where: 'inputs[1]',
    });
    expect(refusal({ inputs: [{ ...a, name: '' }] })).toEqual({
      message: 'inputs[0].name must be a non-empty string',
      where: 'inputs[0].name',
    });
    for (const shape of [[], [1.5], [-1], 'x']) {
      expect(refusal({ inputs: [{ ...a, shape }] })).toEqual({
        message: 'inputs[0].shape must be a list of non-negative whole numbers, the rows first',
        where: 'inputs[0].shape',
      });
    }
    expect(refusal({ inputs: [{ ...a, datatype: 3 }] }).where).toBe('inputs[0].datatype');
    expect(refusal({ inputs: [{ ...a, data: 1 }] })).toEqual({
      message: 'inputs[0].data must be a list',
      where: 'inputs[0].data',
    });
    expect(refusal({ inputs: [a, { ...a, shape: [2, 1], data: [[1], [2, 3]] }] })).toEqual({
      message: 'inputs[1]: shape [2, 1] holds 2 values, data has 3',
      where: 'inputs[1].data',
    });
    expect(refusal({ inputs: [a, { ...a, datatype: 'BYTES' }] })).toEqual({
      message: "input 'a' is BYTES, the model takes FP64",
      where: 'inputs[1].datatype',
    });
    expect(refusal({ inputs: [a, { ...a, name: 'image', shape: [2, 2, 2], data: new Array(8).fill(0) }] })).toEqual({
      message: 'inputs[1]: 2 rows, but inputs[0] has 1',
      where: 'inputs[1].shape',
    });
    expect(refusal({ inputs: [{ ...a, name: 'b' }] })).toEqual({
      message: "inputs[0]: the model has no input 'b' (it takes a, image)",
      where: 'inputs[0].name',
    });
  });

  it('answers flat and nested output columns as flat tensors', () => {
    const frame = {
      rows: 2,
      columns: new Map([
        ['score', [0.25, 0.75]],
        [
          'pair',
          [
            [1, 2],
            [3, 4],
          ],
        ],
      ]),
    };
    expect(inferOutputs(frame, [columnTypeOf({ name: 'score', type: 'double' })])).toEqual([
      { name: 'score', datatype: 'FP64', shape: [2], data: [0.25, 0.75] },
      { name: 'pair', datatype: 'INT64', shape: [2, 2], data: [1, 2, 3, 4] },
    ]);
  });
});
