import type { Command } from 'commander';
import {
  parseParamAssignments,
  reproduceRun,
  streamRunLogs,
  type LoadedPipeline,
  type PipelineEvent,
  type PipelineRunStatus,
  type PipelineService,
} from '../pipelines/index.js';
import { collectValues, parsePositiveInt } from './option-parsers.js';
import { emit, printText, wantsJson } from './output.js';
import { renderProgressEvent, renderReproduceReport, renderRunList, renderRunSummary } from './pipeline-render.js';
import { withPipelineSession } from './pipeline-session.js';
import { interruptSignal } from './signals.js';

interface RunOptions {
  param: string[];
  env?: string;
  cache: boolean;
}

export function registerPipelineCommands(program: Command): void {
  const pipeline = program.command('pipeline').description('run, follow, cancel, resume and reproduce pipelines');

  pipeline
    .command('run')
    .description('run a pipeline (pipeline.yaml, a folder holding one, or a .ts module) with live progress')
    .argument('<pipeline>', 'pipeline.yaml, its folder, or a TypeScript module exporting definePipeline(...)')
    .option('-p, --param <name=value>', 'set a param (repeatable)', collectValues, [])
    .option('--env <name>', 'overlay environments.<name> (params, executor, parallelism, env)')
    .option('--no-cache', 'run every step even when an identical earlier execution succeeded')
    .action(async (file: string, options: RunOptions, command: Command) => {
      const status = await withPipelineSession({ serveSteps: true }, async ({ context }) => {
        const loaded = await context.pipelines.load(file);
        const params = parseParamAssignments(loaded.definition, options.param);
        const pipelineRunId = await context.pipelines.start(loaded, {
          params,
          ...(options.env === undefined ? {} : { env: options.env }),
          noCache: !options.cache,
        });
        return followRun(context.pipelines, pipelineRunId, command, loaded);
      });
      process.exitCode = status === 'SUCCEEDED' ? 0 : 1;
    });

  pipeline
    .command('resume')
    .description('run again only the steps of a run that did not finish (failed, cancelled, skipped, interrupted)')
    .argument('<run-id>')
    .action(async (runId: string, _options: object, command: Command) => {
      const status = await withPipelineSession({ serveSteps: true }, ({ context }) =>
        followRun(context.pipelines, runId, command, undefined, 'resume'),
      );
      process.exitCode = status === 'SUCCEEDED' ? 0 : 1;
    });

  pipeline
    .command('cancel')
    .description('cancel a run: its driver ends running steps; a run nobody drives is cancelled at once')
    .argument('<run-id>')
    .option('--no-wait', 'return once the request is recorded')
    .action(async (runId: string, options: { wait: boolean }, command: Command) => {
      const result = await withPipelineSession({ serveSteps: false }, async ({ context }) => {
        const outcome = await context.pipelines.requestCancel(runId);
        const status =
          options.wait && outcome !== 'already-finished' ? await waitForEnd(context.pipelines, runId) : undefined;
        return { pipelineRunId: runId, outcome, ...(status === undefined ? {} : { status }) };
      });
      emit(command, result, () =>
        result.outcome === 'already-finished'
          ? `Pipeline run ${runId} had already finished.`
          : `Pipeline run ${runId}: cancel ${result.outcome}${result.status ? `; now ${result.status}` : ''}.`,
      );
    });

  pipeline
    .command('logs')
    .description("print a run's step logs (stdout and stderr); -f follows them live")
    .argument('<run-id>')
    .option('--step <name>', 'only this step')
    .option('-f, --follow', 'keep printing as steps write, until the run ends')
    .action(async (runId: string, options: { step?: string; follow?: boolean }) => {
      await withPipelineSession({ serveSteps: false }, async ({ context }) => {
        const interrupt = options.follow ? interruptSignal('stopping') : undefined;
        try {
          let current = '';
          for await (const chunk of streamRunLogs(context.pipelines, runId, {
            ...(options.step === undefined ? {} : { step: options.step }),
            follow: options.follow === true,
            ...(interrupt ? { signal: interrupt.signal } : {}),
          })) {
            const label = `${chunk.stepName}#${chunk.attempt}`;
            if (options.step === undefined && label !== current) printText(`==> ${label} <==`);
            current = label;
            if (chunk.wroteNothing === true) {
              printText(`(${label} wrote nothing to stdout or stderr)`);
              continue;
            }
            // A step's log is its process's own output, passed through byte for byte like `cat` would:
            // escaping it would break the colours and progress bars of the tools steps run.
            if (!process.stdout.write(chunk.data))
              await new Promise((resolve) => process.stdout.once('drain', resolve));
          }
        } finally {
          interrupt?.dispose();
        }
      });
    });

  pipeline
    .command('list')
    .description('pipeline runs, newest first')
    .option('--pipeline <name>', 'only runs of this pipeline')
    .option('--max <n>', 'at most this many', parsePositiveInt, 50)
    .action(async (options: { pipeline?: string; max: number }, command: Command) => {
      const runs = await withPipelineSession({ serveSteps: false }, ({ context }) =>
        context.pipelines.listRuns({
          ...(options.pipeline === undefined ? {} : { pipelineName: options.pipeline }),
          limit: options.max,
        }),
      );
      emit(command, runs, () => renderRunList(runs));
    });

  pipeline
    .command('show')
    .description('a pipeline run: status, params, trigger, and every step attempt')
    .argument('<run-id>')
    .action(async (runId: string, _options: object, command: Command) => {
      const { run, steps } = await withPipelineSession({ serveSteps: false }, ({ context }) =>
        context.pipelines.getRun(runId),
      );
      emit(command, { run, steps }, () => renderRunSummary(run, steps));
    });

  pipeline
    .command('reproduce')
    .description('re-execute a run with its recorded commit, params and environment; report byte-identical outputs')
    .argument('<run-id>')
    .action(async (runId: string, _options: object, command: Command) => {
      const report = await withPipelineSession({ serveSteps: true }, async ({ context }) => {
        const interrupt = interruptSignal();
        try {
          return await reproduceRun(context.pipelines, runId, {
            signal: interrupt.signal,
            ...(wantsJson(command) ? {} : { onEvent: progressPrinter(undefined) }),
          });
        } finally {
          interrupt.dispose();
        }
      });
      emit(command, report, () => renderReproduceReport(report));
      process.exitCode = report.status === 'SUCCEEDED' && report.outputs.every((output) => output.identical) ? 0 : 1;
    });
}

/**
 * Drives a run in this process with live progress (Ctrl-C cancels it) and prints where to look
 * next; with --json, only the final state is printed.
 */
export async function followRun(
  pipelines: PipelineService,
  pipelineRunId: string,
  command: Command,
  loaded: LoadedPipeline | undefined,
  how: 'drive' | 'resume' = 'drive',
): Promise<PipelineRunStatus> {
  const json = wantsJson(command);
  const { run } = await pipelines.getRun(pipelineRunId);
  if (!json) printText(`Pipeline ${run.pipeline_name}, run ${pipelineRunId} (executor ${run.executor})`);
  const interrupt = interruptSignal();
  let status: PipelineRunStatus;
  try {
    const control = { signal: interrupt.signal, ...(json ? {} : { onEvent: progressPrinter(loaded) }) };
    status =
      how === 'resume' ? await pipelines.resume(pipelineRunId, control) : await pipelines.drive(pipelineRunId, control);
  } finally {
    interrupt.dispose();
  }
  const final = await pipelines.getRun(pipelineRunId);
  emit(command, final, () =>
    [
      `Pipeline run ${pipelineRunId}: ${status}`,
      `  details:  ciclo pipeline show ${pipelineRunId}`,
      `  logs:     ciclo pipeline logs ${pipelineRunId} [--step <name>]`,
      ...(status === 'SUCCEEDED' ? [] : [`  resume:   ciclo pipeline resume ${pipelineRunId}`]),
    ].join('\n'),
  );
  return status;
}

function progressPrinter(loaded: LoadedPipeline | undefined): (event: PipelineEvent) => void {
  const width = loaded ? Math.max(...loaded.definition.steps.map((step) => step.name.length)) : 12;
  return (event) => {
    const line = renderProgressEvent(event, width);
    if (line !== undefined) printText(line);
  };
}

/** Until the run has ended; asking again each time takes the run over if its driver died meanwhile. */
async function waitForEnd(pipelines: PipelineService, runId: string): Promise<PipelineRunStatus> {
  for (;;) {
    await pipelines.requestCancel(runId);
    const { run } = await pipelines.getRun(runId);
    if (run.status === 'SUCCEEDED' || run.status === 'FAILED' || run.status === 'CANCELLED') return run.status;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
