import { stepKinds } from '../app/step-kinds.js';
import {
  definePipeline as compileDefinition,
  type PipelineDefinition,
  type PipelineInput,
} from '../pipelines/index.js';

/**
 * `export default definePipeline({...})`: a pipeline as code, compiled as YAML is (same errors, same
 * definition) against every step kind the installation has, the data and model kinds included.
 */
export function definePipeline(pipeline: PipelineInput): PipelineDefinition {
  return compileDefinition(pipeline, { registry: stepKinds() });
}
