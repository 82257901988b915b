import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { CicloContext } from '../../src/app/context.js';
import { sha256Digest } from '../../src/artifacts/index.js';
import type { LineageGraph, LineageNode } from '../../src/lineage/index.js';
import { definePipeline, type StepExecutionRow } from '../../src/pipelines/index.js';
import type { DialectName } from '../../src/store/index.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** A `command` step running a shell script. */
function shell(script: string): { kind: 'command'; command: string[] } {
  return { kind: 'command', command: ['sh', '-c', script] };
}

/** ingest (raw file from a param) → features (a folder) → train (a model file). */
export const trainPipeline = definePipeline({
  name: 'churn-train',
  params: { raw: { type: 'string', default: 'raw.csv' }, seed: { type: 'integer', default: 1 } },
  steps: [
    {
      name: 'ingest',
      ...shell('sort "$CICLO_INPUT_RAW" > "$CICLO_OUTPUT_DIR/data"'),
      inputs: { raw: 'params.raw' },
      outputs: { data: { type: 'file' } },
    },
    {
      name: 'features',
      ...shell(
        'mkdir -p "$CICLO_OUTPUT_DIR/features" && cut -d, -f1 "$CICLO_INPUT_DATA" > "$CICLO_OUTPUT_DIR/features/ids" ' +
          '&& cut -d, -f2 "$CICLO_INPUT_DATA" > "$CICLO_OUTPUT_DIR/features/labels"',
      ),
      inputs: { data: 'steps.ingest.outputs.data' },
      outputs: { features: { type: 'folder' } },
    },
    {
      name: 'train',
      ...shell(
        'sort "$CICLO_INPUT_FEATURES/labels" | uniq -c > "$CICLO_OUTPUT_DIR/model"; ' +
          'echo "seed $CICLO_PARAM_SEED" >> "$CICLO_OUTPUT_DIR/model"',
      ),
      inputs: { features: 'steps.features.outputs.features' },
      outputs: { model: { type: 'model' } },
    },
  ],
});

/** Another pipeline that reads, as its raw input, a file with the same content as ingest's output. */
export const evaluatePipeline = definePipeline({
  name: 'churn-evaluate',
  params: { snapshot: { type: 'string', default: 'snapshot.csv' } },
  steps: [
    {
      name: 'score',
      ...shell('wc -l < "$CICLO_INPUT_DATA" > "$CICLO_OUTPUT_DIR/score"'),
      inputs: { data: 'params.snapshot' },
      outputs: { score: { type: 'file' } },
    },
  ],
});

export const RAW = '3,b\n1,a\n2,a\n';

export interface Scenario {
  /** The first run of churn-train: every step SUCCEEDED. */
  first: string;
  /** The same pipeline again: every step CACHED from `first`. */
  cached: string;
  /** churn-evaluate over a copy of first's ingest output. */
  evaluate: string;
  /** Step name → its (only) execution, per pipeline run. */
  steps: Record<'first' | 'cached' | 'evaluate', Record<string, StepExecutionRow>>;
  /** A plain tracked run that used dataset `churn@v1` and logged raw.csv. */
  exportRun: string;
  digests: { raw: string; data: string; model: string };
  workDir: string;
}

/** Runs the pipelines and the export run of the scenario in a context. */
export async function buildScenario(context: CicloContext): Promise<Scenario> {
  const workDir = path.join(context.config.home, 'work');
  await mkdir(workDir, { recursive: true });
  await writeFile(path.join(workDir, 'raw.csv'), RAW);

  const exportRun = await logExportRun(context, path.join(workDir, 'raw.csv'));

  const first = await context.pipelines.run({ definition: trainPipeline, workDir }, {});
  expect(first.status).toBe('SUCCEEDED');
  const cached = await context.pipelines.run({ definition: trainPipeline, workDir }, {});
  expect(cached.status).toBe('SUCCEEDED');
  await copyFile(
    path.join(context.pipelines.scheduler.stepFolder(first.pipelineRunId, 'ingest'), 'outputs', 'data'),
    path.join(workDir, 'snapshot.csv'),
  );
  const evaluate = await context.pipelines.run({ definition: evaluatePipeline, workDir }, {});
  expect(evaluate.status).toBe('SUCCEEDED');

  const steps = {
    first: await stepsOf(context, first.pipelineRunId),
    cached: await stepsOf(context, cached.pipelineRunId),
    evaluate: await stepsOf(context, evaluate.pipelineRunId),
  };
  expect(Object.values(steps.cached).map((step) => step.status)).toEqual(['CACHED', 'CACHED', 'CACHED']);
  const outputs = (step: StepExecutionRow) => JSON.parse(step.output_digests!) as Record<string, string>;
  return {
    first: first.pipelineRunId,
    cached: cached.pipelineRunId,
    evaluate: evaluate.pipelineRunId,
    steps,
    exportRun,
    digests: {
      raw: sha256Digest(RAW),
      data: outputs(steps.first.ingest!).data!,
      model: outputs(steps.first.train!).model!,
    },
    workDir,
  };
}

async function stepsOf(context: CicloContext, pipelineRunId: string): Promise<Record<string, StepExecutionRow>> {
  const { steps } = await context.pipelines.getRun(pipelineRunId);
  return Object.fromEntries(steps.map((step) => [step.step_name, step]));
}

async function logExportRun(context: CicloContext, rawFile: string): Promise<string> {
  const experiment = await context.tracking.getOrCreateExperiment('exports');
  const run = await context.tracking.createRun({ experimentId: experiment.experimentId, runName: 'export-churn' });
  const runId = run.info.runId;
  await context.tracking.logInputs(runId, [{ name: 'churn', digest: 'v1', context: 'export' }]);
  await context.tracking.logArtifactFile(runId, rawFile, 'raw.csv');
  await context.tracking.updateRun(runId, { status: 'FINISHED' });
  return runId;
}

export interface LineageSuite {
  server: TestServer;
  scenario: Scenario;
}

/** One server (and its context) per suite, with the scenario recorded in it before the first test. */
export function useLineageSuite(dialect: DialectName): LineageSuite {
  const suite = {} as LineageSuite;
  beforeAll(async () => {
    suite.server = await startTestServer(dialect);
    suite.scenario = await buildScenario(suite.server.context);
  }, 60_000);
  afterAll(async () => suite.server?.stop());
  return suite;
}

export function nodeIds(graph: LineageGraph): string[] {
  return graph.nodes.map((node) => node.id);
}

export function runNode(graph: LineageGraph, runId: string): Extract<LineageNode, { kind: 'run' }> | undefined {
  const found = graph.nodes.find((node) => node.id === `run:${runId}`);
  return found?.kind === 'run' ? found : undefined;
}

/** `from —type→ to` for each edge, with run ids and digests as given: easy to assert on. */
export function edgeList(graph: LineageGraph): string[] {
  return graph.edges.map((edge) => `${edge.from} -${edge.type}-> ${edge.to}`);
}
