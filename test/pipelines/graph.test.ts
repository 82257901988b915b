import { describe, expect, it } from 'vitest';
import { definePipeline, step, stepDependencies, topologicalOrder } from '../../src/pipelines/index.js';

const noop = { kind: 'command', command: 'true' } as const;

describe('step ordering', () => {
  const diamond = definePipeline({
    name: 'diamond',
    steps: [
      step('report', { ...noop, dependsOn: ['left', 'right'] }),
      step('right', { ...noop, inputs: { data: 'steps.source.outputs.data' } }),
      step('left', { ...noop, inputs: { data: 'steps.source.outputs.data' } }),
      step('source', { ...noop, outputs: { data: { type: 'folder' } } }),
      step('lonely', noop),
    ],
  });

  it('puts every step after what it depends on, taking the first ready step in declaration order', () => {
    expect(topologicalOrder(diamond).map((s) => s.name)).toEqual(['source', 'right', 'left', 'report', 'lonely']);
  });

  it('derives dependencies from inputs and dependsOn, with where each was declared', () => {
    expect(stepDependencies(diamond.steps[1]!)).toEqual([{ on: 'source', path: ['inputs', 'data'] }]);
    expect(stepDependencies(diamond.steps[0]!)).toEqual([
      { on: 'left', path: ['dependsOn', 0] },
      { on: 'right', path: ['dependsOn', 1] },
    ]);
  });
});
