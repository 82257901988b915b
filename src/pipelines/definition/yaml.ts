import { readFile } from 'node:fs/promises';
import { NotFoundError } from '../../common/errors.js';
import { parseYamlWithSource } from '../../common/yaml-source.js';
import { compilePipeline } from './compile.js';
import type { PipelineDefinition } from './definition.js';
import { coreStepKinds, type StepKindRegistry } from './step-kinds.js';

export interface LoadOptions {
  registry?: StepKindRegistry;
}

/** Parses and compiles a `pipeline.yaml`; every error names `file:line:col`. */
export function loadPipelineYaml(text: string, fileName: string, options: LoadOptions = {}): PipelineDefinition {
  const { value, source } = parseYamlWithSource(text, fileName);
  return compilePipeline(value, { registry: options.registry ?? coreStepKinds(), source });
}

export async function loadPipelineFile(path: string, options: LoadOptions = {}): Promise<PipelineDefinition> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new NotFoundError(`pipeline file ${path} does not exist`);
  }
  return loadPipelineYaml(text, path, options);
}
