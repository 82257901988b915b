import { compilePipeline } from './compile.js';
import type { PipelineDefinition, PipelineInput, StepInput, StepSpec } from './definition.js';
import { coreStepKinds, type StepKindRegistry } from './step-kinds.js';

/**
 * The TypeScript way to write a pipeline. It goes through the same compiler as YAML, so errors
 * carry the same field paths (without a file position) and the result is the same definition.
 */
export function definePipeline(
  pipeline: PipelineInput,
  options: { registry?: StepKindRegistry } = {},
): PipelineDefinition {
  return compilePipeline(pipeline, { registry: options.registry ?? coreStepKinds() });
}

export function step(name: string, spec: StepSpec): StepInput {
  return { name, ...spec };
}
