import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { CicloContext } from '../app/context.js';
import { parseParamAssignments, topologicalOrder, type PipelineDefinition } from '../pipelines/index.js';
import { formatNumber } from './format.js';
import { collectValues } from './option-parsers.js';
import { DEFAULT_HOST, DEFAULT_PORT } from '../server/defaults.js';
import { emit, printText, wantsJson } from './output.js';
import { runClosedLoop, type LoopOutcome } from './quickstart-loop.js';
import { followRun } from './pipeline.js';
import { withPipelineSession } from './pipeline-session.js';
import { packagePath } from '../common/package-files.js';

const CHURN = packagePath('examples', 'churn') + '/';

/**
 * `ciclo quickstart`: the main job on the embedded default. Runs the churn example (synthetic data
 * → clean → validate → split → train → evaluate → register → gate) with live progress into ./.ciclo
 * (or CICLO_HOME), then says what it produced, which model version its policy approved, and how to
 * look at it.
 */
export function registerQuickstartCommand(program: Command): void {
  program
    .command('quickstart')
    .description('run the example churn pipeline end to end on the embedded store, then show what it made')
    .option('-p, --param <name=value>', 'set a param of the example (e.g. rows=20000)', collectValues, [])
    .option('--no-cache', 'run every step even when an identical earlier execution succeeded')
    .option(
      '--loop',
      'then close the loop: serve churn@champion, send drifting traffic with feedback, let the monitor fire, ' +
        'retrain on the newer data, gate the challenger and roll it out as a canary (docs/monitoring.md)',
    )
    .option(
      '--challenger <name=value>',
      "with --loop: a param of the retraining run over its trigger's (e.g. trees=1 for a worse challenger)",
      collectValues,
      [],
    )
    .action(async (options: QuickstartOptions, command: Command) => {
      const outcome = await withPipelineSession({ serveSteps: true }, async ({ context }) => {
        const loaded = await context.pipelines.load(CHURN);
        const params = parseParamAssignments(loaded.definition, options.param);
        const pipelineRunId = await context.pipelines.start(loaded, { params, noCache: !options.cache });
        const status = await followRun(context.pipelines, pipelineRunId, command, loaded);
        const produced = await summarize(context, pipelineRunId);
        if (!wantsJson(command)) printText(renderProduced(pipelineRunId, produced));
        const loop =
          options.loop && status === 'SUCCEEDED'
            ? await runClosedLoop(context, command, { challenger: options.challenger })
            : undefined;
        return { pipelineRunId, status, produced, loop };
      });
      const { produced, loop } = outcome;
      if (wantsJson(command)) emit(command, loop === undefined ? produced : { ...produced, loop }, () => '');
      else if (loop !== undefined) printText(renderLoopEnd(loop));
      process.exitCode = outcome.status === 'SUCCEEDED' ? 0 : 1;
    });
}

interface QuickstartOptions {
  param: string[];
  cache: boolean;
  loop?: boolean;
  challenger: string[];
}

function renderLoopEnd(loop: LoopOutcome): string {
  if (!loop.retrained) return `\nNo drift against churn/${loop.champion.before}: it still serves churn-staging.`;
  return loop.promoted
    ? `\nThe loop closed: churn/${loop.champion.after} replaced churn/${loop.champion.before} on churn-staging.`
    : `\nThe loop ran: churn/${loop.champion.before} still serves churn-staging (the challenger did not replace it).`;
}

/** What the example's `gate` step decided (its `decision` output). */
interface ModelDecision {
  model: string;
  version: number;
  status: 'pending' | 'approved' | 'rejected';
  passed: boolean;
  failed: string[];
  alias: string | null;
}

interface ServingDeployment {
  name: string;
  environment: string;
  model: string;
}

interface Produced {
  home: string;
  model: ModelDecision | null;
  deployments: ServingDeployment[];
  steps: Array<{
    step: string;
    runId: string | null;
    cachedFrom: string | null;
    outputs: string[];
    metrics: Record<string, number>;
  }>;
}

async function summarize(context: CicloContext, pipelineRunId: string): Promise<Produced> {
  const { run, steps } = await context.pipelines.getRun(pipelineRunId);
  const latest = new Map(steps.map((step) => [step.step_name, step]));
  const produced: Produced['steps'] = [];
  // In the order the steps run, so the last one listed is the pipeline's end (the gate).
  const order = topologicalOrder(JSON.parse(run.definition) as PipelineDefinition).map((step) => step.name);
  for (const name of order) {
    const step = latest.get(name);
    if (!step) continue;
    const folder = path.join(context.pipelines.scheduler.stepFolder(pipelineRunId, step.step_name), 'outputs');
    const outputs = (await readdir(folder).catch(() => [] as string[])).map((name) => path.join(folder, name));
    const metrics: Record<string, number> = {};
    // A cached step logged nothing itself: its metrics are those of the run whose outputs it reused.
    const metricsRun = step.cached_from_run_id ?? step.run_id;
    if (metricsRun !== null) {
      const run = await context.tracking.getRun(metricsRun);
      for (const metric of run.data.metrics) metrics[metric.key] = metric.value;
    }
    produced.push({ step: step.step_name, runId: step.run_id, cachedFrom: step.cached_from_run_id, outputs, metrics });
  }
  const model = await gateDecision(context, pipelineRunId);
  const deployments = await servingDeployments(context, model);
  return { home: context.config.home, model, deployments, steps: produced };
}

async function gateDecision(context: CicloContext, pipelineRunId: string): Promise<ModelDecision | null> {
  const file = path.join(context.pipelines.scheduler.stepFolder(pipelineRunId, 'gate'), 'outputs', 'decision');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  return text === undefined ? null : (JSON.parse(text) as ModelDecision);
}

function sameMetrics(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.is(a[key], b[key]));
}

/** `churn/1 approved → churn@champion`, or why it was not. */
function renderDecision(decision: ModelDecision): string {
  const reference = `${decision.model}/${decision.version}`;
  if (decision.status === 'approved')
    return `${reference} approved${decision.alias === null ? '' : ` → ${decision.model}@${decision.alias}`}`;
  const failed = decision.failed.length === 0 ? '' : ` (failed: ${decision.failed.join(', ')})`;
  return `${reference} ${decision.status}${failed}`;
}

/**
 * The example's policy deploys churn@champion to staging: the deployments serving the approved
 * version (through its alias, or pinned), read from the store so that a cached gate step shows them too.
 */
async function servingDeployments(context: CicloContext, model: ModelDecision | null): Promise<ServingDeployment[]> {
  if (model?.status !== 'approved') return [];
  return (await context.deployments.list())
    .filter(
      (deployment) =>
        deployment.modelName === model.model &&
        (model.alias === null ? deployment.pinnedVersion === model.version : deployment.alias === model.alias),
    )
    .map(({ name, environment, model: reference }) => ({ name, environment, model: reference }));
}

/** How to run and call each deployment. */
function renderDeployments(deployments: readonly ServingDeployment[]): string[] {
  const body = JSON.stringify({ dataframe_records: [CHURN_EXAMPLE_ROW] });
  return deployments.flatMap((deployment) => [
    `Deployed: ${deployment.name} (${deployment.environment}) serves ${deployment.model}; ` +
      '`npx ciclo server` runs it, then call it:',
    `  curl -X POST http://${DEFAULT_HOST}:${DEFAULT_PORT}/serve/${deployment.name}/invocations ` +
      `-H 'Content-Type: application/json' -d '${body}'`,
  ]);
}

/** A customer as the churn model's signature takes one. */
const CHURN_EXAMPLE_ROW = {
  tenure_months: 12,
  monthly_charges: 70.5,
  total_charges: 846,
  support_calls: 2,
  contract: 'month-to-month',
  payment_method: 'electronic-check',
  internet_service: 'fiber',
};

function renderProduced(pipelineRunId: string, produced: Produced): string {
  const lines = ['', 'What it produced:'];
  for (const [index, step] of produced.steps.entries()) {
    const cached = step.cachedFrom === null ? '' : `, cached from ${step.cachedFrom}`;
    lines.push(`  ${step.step}  (tracked run ${step.runId ?? '-'}${cached})`);
    for (const output of step.outputs) lines.push(`    output   ${path.relative(process.cwd(), output)}`);
    // `register` copies the evaluation's metrics into the version's snapshot: said once is enough.
    const copiedFrom = produced.steps.slice(0, index).find((earlier) => sameMetrics(earlier.metrics, step.metrics));
    if (copiedFrom !== undefined && Object.keys(step.metrics).length > 0) {
      lines.push(`    metrics  those of ${copiedFrom.step}`);
      continue;
    }
    const metrics = Object.entries(step.metrics).map(([key, value]) => `${key}=${formatNumber(value)}`);
    // A few per line: the evaluation logs a dozen or more.
    for (let i = 0; i < metrics.length; i += 4) {
      lines.push(`    ${i === 0 ? 'metrics' : '       '}  ${metrics.slice(i, i + 4).join('  ')}`);
    }
  }
  if (produced.model !== null) lines.push('', `Model: ${renderDecision(produced.model)}`);
  lines.push(...renderDeployments(produced.deployments));
  const last = produced.steps.at(-1);
  const model = produced.model;
  const commands: Array<[string, string]> = [
    [`npx ciclo pipeline show ${pipelineRunId}`, 'every step, attempt, duration and tracked run'],
    [`npx ciclo pipeline logs ${pipelineRunId}`, 'what each step printed'],
    ...(last?.runId
      ? [[`npx ciclo runs show ${last.runId}`, "the last step's metrics, params and tags"] as [string, string]]
      : []),
    ['npx ciclo runs list --experiment churn', 'every run of the pipeline, with metrics'],
    [`npx ciclo lineage ${pipelineRunId}`, 'what came from what'],
    ...(model === null
      ? []
      : ([
          [`npx ciclo models show ${model.model}/${model.version}`, 'the registered version: status, metrics, lineage'],
          [`npx ciclo models policy show ${model.model}`, 'the approval policy its gates come from'],
        ] as Array<[string, string]>)),
    [`npx ciclo pipeline reproduce ${pipelineRunId}`, 'run it again and compare outputs byte for byte'],
    ['npx ciclo server', 'the REST API (and MLflow-compatible routes) over the same store'],
  ];
  const width = Math.max(...commands.map(([command]) => command.length));
  lines.push(
    '',
    `Everything is in ${path.relative(process.cwd(), produced.home) || '.'} (the embedded store). To look at it:`,
    ...commands.map(([command, what]) => `  ${command.padEnd(width)}  ${what}`),
  );
  return lines.join('\n');
}
