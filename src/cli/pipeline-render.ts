import type { PipelineEvent, PipelineRunRow, ReproduceReport, StepExecutionRow } from '../pipelines/index.js';
import { formatDuration, formatTime, renderFields, renderTable } from './format.js';

const MARK: Record<string, string> = {
  RUNNING: '▶',
  SUCCEEDED: '✓',
  CACHED: '↺',
  FAILED: '✗',
  SKIPPED: '–',
  CANCELLED: '■',
};

/** One line per step event as it happens: readable in a terminal and in a CI log alike. */
export function renderProgressEvent(event: PipelineEvent, stepWidth: number): string | undefined {
  if (event.type === 'run') return undefined;
  if (event.warning !== undefined) return `  ! ${event.stepName.padEnd(stepWidth)}  ${event.warning}`;
  const mark = MARK[event.status] ?? ' ';
  const name = event.stepName.padEnd(stepWidth);
  const attempt = event.attempt > 1 ? ` (attempt ${event.attempt})` : '';
  switch (event.status) {
    case 'RUNNING':
      return `  ${mark} ${name}  started${attempt}`;
    case 'SUCCEEDED':
      return `  ${mark} ${name}  done in ${formatDuration(event.durationMs)}${attempt}`;
    case 'CACHED':
      return `  ${mark} ${name}  cached (outputs of run ${event.cachedFromRunId ?? '?'})`;
    case 'FAILED': {
      const retry =
        event.nextAttemptAt === undefined
          ? ''
          : `; retrying in ${formatDuration(Math.max(0, event.nextAttemptAt - Date.now()))}`;
      const [first, ...output] = (event.error ?? 'unknown error').split('\n');
      return [`  ${mark} ${name}  failed${attempt}: ${first}${retry}`, ...indented(output)].join('\n');
    }
    default: {
      const status = event.status.toLowerCase();
      return `  ${mark} ${name}  ${status}${event.error && event.error !== status ? `: ${event.error}` : ''}`;
    }
  }
}

export function renderRunSummary(run: PipelineRunRow, steps: readonly StepExecutionRow[]): string {
  const fields: Array<[string, string]> = [
    ['pipeline run', run.id],
    ['pipeline', run.pipeline_name],
    ['status', run.status],
    ['created', formatTime(run.created_time)],
    ['updated', formatTime(run.updated_time)],
    ['executor', run.executor],
    ['environment', run.environment ?? '-'],
    ['trigger', run.trigger_name ?? 'manual'],
    ['commit', run.git_commit ?? '-'],
    ['folder', run.work_dir],
    ['params', run.params],
  ];
  if (run.reproduces_run_id !== null) fields.push(['reproduces', run.reproduces_run_id]);
  return `${renderFields(fields)}\n\n${renderStepTable(steps)}`;
}

/** Every attempt of every step, in the order they ran. */
export function renderStepTable(steps: readonly StepExecutionRow[]): string {
  const ordered = [...steps].sort(
    (a, b) =>
      (a.started_time ?? Number.MAX_SAFE_INTEGER) - (b.started_time ?? Number.MAX_SAFE_INTEGER) ||
      a.step_name.localeCompare(b.step_name) ||
      a.attempt - b.attempt,
  );
  const rows = ordered.map((step) => [
    step.step_name,
    String(step.attempt),
    step.status,
    step.exit_code === null ? '-' : String(step.exit_code),
    formatDuration(step.duration_ms),
    step.run_id ?? '-',
    step.cached_from_run_id === null ? (step.error ?? '').split('\n')[0]! : `cached from ${step.cached_from_run_id}`,
  ]);
  const table = renderTable(['step', 'attempt', 'status', 'exit', 'duration', 'tracked run', 'note'], rows);
  // A failed step's last output lines (see the executor) would break the table: they follow it.
  const outputs = ordered.flatMap((step) => {
    const [, ...output] = (step.error ?? '').split('\n');
    return output.length === 0
      ? []
      : [`\n${step.step_name} (attempt ${step.attempt}) printed last:`, ...indented(output)];
  });
  return [table, ...outputs].join('\n');
}

function indented(lines: readonly string[]): string[] {
  return lines.map((line) => `      ${line}`);
}

export function renderRunList(runs: readonly PipelineRunRow[]): string {
  if (runs.length === 0) return 'No pipeline runs.';
  return renderTable(
    ['pipeline run', 'pipeline', 'status', 'created', 'trigger', 'environment'],
    runs.map((run) => [
      run.id,
      run.pipeline_name,
      run.status,
      formatTime(run.created_time),
      run.trigger_name ?? 'manual',
      run.environment ?? '-',
    ]),
  );
}

export function renderReproduceReport(report: ReproduceReport): string {
  const same = report.outputs.filter((output) => output.identical).length;
  const lines = [
    `Reproduced ${report.originalRunId} as ${report.pipelineRunId}: ${report.status}`,
    `code: ${report.commit ?? 'not a git checkout'}` +
      `${report.checkout === 'recorded-commit' ? ' (checked out for this run)' : ''}`,
    '',
    renderTable(
      ['step', 'output', 'result', 'original', 'reproduced'],
      report.outputs.map((output) => [
        output.step,
        output.name,
        output.identical
          ? 'identical'
          : output.reproduced === null
            ? 'not produced'
            : output.original === null
              ? 'new'
              : 'DIFFERENT',
        shortDigest(output.original),
        shortDigest(output.reproduced),
      ]),
    ),
    '',
    `${same} of ${report.outputs.length} outputs came out byte-identical.`,
  ];
  const changedInputs = report.inputs.filter(
    (input) => input.original !== null && input.reproduced !== null && !input.identical,
  );
  if (changedInputs.length > 0) {
    const changed = changedInputs.map((input) => `${input.step}.${input.name}`).join(', ');
    lines.push(`Inputs that differ from the original run: ${changed}`);
  }
  return lines.join('\n');
}

function shortDigest(digest: string | null): string {
  if (digest === null) return '-';
  return digest.startsWith('sha256:') ? `sha256:${digest.slice(7, 19)}` : digest;
}
