import { join } from 'node:path';
import { sha256DigestOfFile } from '../../artifacts/index.js';
import { NotFoundError } from '../../common/errors.js';
import { MANIFEST_FILE, loadModelPackage } from '../package.js';
import { pickName, writeJsonOutput } from '../../pipelines/index.js';
import type { ModelStepDeps, ModelStepTask } from './deps.js';
import { RegisterConfigSchema } from './kinds.js';

/** What a `register` step writes to its output, and what a `gate` step reads. */
export interface VersionReference {
  model: string;
  version: number;
  manifest_digest: string;
}

/** Where the package is logged among the register step's run artifacts. */
const PACKAGE_DIR = 'model';
const BATCH = 1000;

/**
 * `register`: the package folder from an upstream step becomes the model's next version.
 *
 * The version's run is this step's own run: the package is logged there under `model/` (no bytes
 * are copied, artifacts are content-addressed) and so are the latest metrics of the steps that
 * produced every other input (e.g. `evaluation: steps.evaluate.outputs.metrics`), so the version's
 * metrics snapshot holds the evaluation its gates read. A package already registered under the
 * model (same manifest digest) is not registered again: the step outputs that version, so running
 * the same pipeline twice gives the same output.
 */
export async function runRegisterStep(deps: ModelStepDeps, task: ModelStepTask): Promise<VersionReference> {
  const config = RegisterConfigSchema.parse(task.config);
  const inputNames = Object.keys(task.inputs);
  const packageInput = pickName(
    'input',
    config.package ?? (inputNames.includes('model') ? 'model' : undefined),
    inputNames,
    'package',
  );
  const folder = task.inputs[packageInput]!;
  const { manifest } = await loadModelPackage(folder);
  const manifestDigest = await sha256DigestOfFile(join(folder, MANIFEST_FILE));
  deps.log(`package ${packageInput}: ${manifest.flavor}, ${manifest.files.length} file(s), manifest ${manifestDigest}`);

  const existing = await registeredWithDigest(deps, config.model, manifestDigest);
  let version: number;
  if (existing !== undefined) {
    version = existing;
    deps.log(`already registered as ${config.model}/${version} (same manifest): not registered again`);
  } else {
    const copied = await copyEvidenceMetrics(deps, task, packageInput);
    const datasets = await copyDatasetLineage(deps, task);
    await deps.tracking.logArtifactDirectory(task.stepRunId, folder, PACKAGE_DIR);
    const registered = await deps.registry.register(config.model, {
      runId: task.stepRunId,
      path: PACKAGE_DIR,
      ...(config.description === undefined ? {} : { description: config.description }),
      ...(config.tags === undefined ? {} : { tags: config.tags }),
    });
    version = registered.version;
    deps.log(
      `registered ${config.model}/${version} from run ${task.stepRunId} ` +
        `(${copied} metric(s) in its snapshot, ${datasets} dataset version(s) in its lineage), ` +
        `status ${registered.status}`,
    );
  }
  await deps.tracking.setTag(task.stepRunId, 'ciclo.model.version', `${config.model}/${version}`);
  const reference: VersionReference = { model: config.model, version, manifest_digest: manifestDigest };
  await writeJsonOutput(task.outputs, config.output, reference);
  return reference;
}

async function registeredWithDigest(deps: ModelStepDeps, model: string, digest: string): Promise<number | undefined> {
  try {
    return (await deps.registry.versions(model)).find((v) => v.manifestDigest === digest)?.version;
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

const DATASET_OUTPUT_TAG = 'ciclo.dataset.output.';

/**
 * The dataset versions of the pipeline run, recorded as this run's inputs so that they are the
 * version's lineage (and its model card's training data): those its steps read (`datasets.NAME`
 * inputs, with their context) and those its steps registered (`register: NAME` outputs, with the
 * output's name as the context, e.g. `train`, `test`).
 */
async function copyDatasetLineage(deps: ModelStepDeps, task: ModelStepTask): Promise<number> {
  const seen = new Set<string>();
  let count = 0;
  for (const runId of await deps.pipelines.completedStepRuns(task.pipelineRunId)) {
    if (runId === task.stepRunId) continue;
    const run = await deps.tracking.getRun(runId);
    for (const input of run.inputs) {
      const key = `${input.name}@${input.digest}:${input.context}`;
      if (seen.has(key)) continue;
      seen.add(key);
      await deps.tracking.logInputs(task.stepRunId, [input]);
      count++;
    }
    for (const [tag, reference] of Object.entries(run.data.tags)) {
      if (!tag.startsWith(DATASET_OUTPUT_TAG)) continue;
      const context = tag.slice(DATASET_OUTPUT_TAG.length);
      const key = `${reference}:${context}`;
      if (seen.has(key)) continue;
      seen.add(key);
      await deps.datasets.logInput(task.stepRunId, reference, context);
      count++;
    }
  }
  return count;
}

/** Copies the latest metrics of the steps behind every input but the package onto this step's run. */
async function copyEvidenceMetrics(deps: ModelStepDeps, task: ModelStepTask, packageInput: string): Promise<number> {
  const metrics = new Map<string, { key: string; value: number; timestamp: number; step: number }>();
  for (const { input, step, runId } of await deps.pipelines.upstreamStepRuns(task.pipelineRunId, task.stepName)) {
    if (input === packageInput || runId === undefined) continue;
    for (const metric of (await deps.tracking.getRun(runId)).data.metrics) metrics.set(metric.key, metric);
    deps.log(`metrics of step ${step} (input ${input}, run ${runId})`);
  }
  const all = [...metrics.values()];
  for (let i = 0; i < all.length; i += BATCH)
    await deps.tracking.logBatch(task.stepRunId, { metrics: all.slice(i, i + BATCH) });
  return all.length;
}
