import type { PipelineDefinition, PipelineService } from '../../pipelines/index.js';
import type { ModelVersion } from '../../registry/index.js';
import type { BaselineRole } from './types.js';

/** A dataset version of the version's lineage (by digest) with the role it played. */
export interface LineageDataset {
  name: string;
  digest: string;
  role: BaselineRole;
}

/**
 * Contexts of dataset inputs that say the role by themselves: MLflow's `log_input` contexts
 * (`training`, `evaluation`, `validation`, `testing`) and the output names a `split` step registers
 * parts under (`train`, `test`), which the `register` step copies as the context.
 */
const CONTEXT_ROLES: Record<string, BaselineRole> = {
  training: 'training',
  train: 'training',
  evaluation: 'evaluation',
  eval: 'evaluation',
  validation: 'evaluation',
  test: 'evaluation',
  testing: 'evaluation',
};

/**
 * The roles of the version's lineage datasets (the dataset inputs of its run, which a `register` step
 * fills with those of its pipeline's steps). Decided, in this order:
 * 1. for a version registered by a pipeline step, by which step consumed the dataset: a dataset
 *    (`datasets.NAME` input, or a step output registered as NAME) read by the step that produced the
 *    package (an output of type `model` feeding the registering step; that step itself when none does)
 *    is `training`; one read by a step behind any other input of the registering step (the evaluation
 *    feeding the metrics) is `evaluation`. This is what tells them apart when both were logged with
 *    the default context `training`;
 * 2. by the input's context (CONTEXT_ROLES);
 * 3. a version with one lineage dataset and no training dataset found: that one is `training`.
 * Datasets with no role (a raw input upstream of a split) are not part of the baseline.
 */
export async function lineageDatasetRoles(
  version: ModelVersion,
  pipelines: Pick<PipelineService, 'getRun'> | undefined,
): Promise<LineageDataset[]> {
  const byConsumer =
    pipelines === undefined ? new Map<string, BaselineRole>() : await rolesByConsumer(version, pipelines);
  const found: LineageDataset[] = [];
  const seen = new Set<string>();
  for (const dataset of version.lineage.datasets) {
    const key = `${dataset.name}@${dataset.digest}`;
    if (seen.has(key)) continue;
    const role = byConsumer.get(dataset.name) ?? CONTEXT_ROLES[dataset.context.toLowerCase()];
    if (role === undefined) continue;
    seen.add(key);
    found.push({ name: dataset.name, digest: dataset.digest, role });
  }
  const distinct = new Map(version.lineage.datasets.map((dataset) => [`${dataset.name}@${dataset.digest}`, dataset]));
  const only = [...distinct.values()][0];
  if (distinct.size === 1 && only !== undefined && !found.some((dataset) => dataset.role === 'training')) {
    return [{ name: only.name, digest: only.digest, role: 'training' }];
  }
  return found;
}

/** Dataset name → role, from the pipeline definition of the run that registered the version (rule 1). */
async function rolesByConsumer(
  version: ModelVersion,
  pipelines: Pick<PipelineService, 'getRun'>,
): Promise<Map<string, BaselineRole>> {
  const roles = new Map<string, BaselineRole>();
  const pipelineRun = version.lineage.pipeline_run;
  if (pipelineRun === null) return roles;
  const { run, steps: executions } = await pipelines.getRun(pipelineRun);
  const registering = executions.find((execution) => execution.run_id === version.lineage.run)?.step_name;
  if (registering === undefined) return roles;
  const definition = JSON.parse(run.definition) as PipelineDefinition;
  const steps = new Map(definition.steps.map((step) => [step.name, step]));
  const training: string[] = [];
  const evaluation: string[] = [];
  for (const reference of Object.values(steps.get(registering)?.inputs ?? {})) {
    if (reference.from !== 'step') continue;
    const isPackage = steps.get(reference.step)?.outputs[reference.output]?.type === 'model';
    (isPackage ? training : evaluation).push(reference.step);
  }
  if (training.length === 0) training.push(registering);
  // Training first: a dataset both fitted and scored on is the training set.
  for (const [role, consumers] of [
    ['evaluation', evaluation],
    ['training', training],
  ] as const) {
    for (const consumer of consumers) {
      for (const name of datasetsReadBy(definition, consumer)) roles.set(name, role);
    }
  }
  return roles;
}

/** The dataset names a step reads: its `datasets.NAME` inputs and the registered outputs of other steps it takes. */
function datasetsReadBy(definition: PipelineDefinition, stepName: string): string[] {
  const steps = new Map(definition.steps.map((step) => [step.name, step]));
  const names: string[] = [];
  for (const reference of Object.values(steps.get(stepName)?.inputs ?? {})) {
    if (reference.from === 'dataset') names.push(datasetName(reference.dataset));
    if (reference.from === 'step') {
      const registered = steps.get(reference.step)?.outputs[reference.output]?.register;
      if (registered !== undefined) names.push(registered);
    }
  }
  return names;
}

/** `NAME`, `NAME@3` or `NAME@sha256:…` → NAME. */
function datasetName(reference: string): string {
  const at = reference.indexOf('@');
  return at === -1 ? reference : reference.slice(0, at);
}
