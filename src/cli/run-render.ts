import type { Experiment, Run } from '../sdk/index.js';
import type { RunComparison } from './compare.js';
import { formatDuration, formatNumber, formatTime, renderFields, renderTable } from './format.js';

const LIST_METRIC_COLUMNS = 4;

export function renderRunList(runs: readonly Run[]): string {
  if (runs.length === 0) return 'No runs.';
  const metricKeys = [...new Set(runs.flatMap((run) => run.data.metrics.map((m) => m.key)))]
    .sort()
    .slice(0, LIST_METRIC_COLUMNS);
  const rows = runs.map((run) => {
    const metrics = new Map(run.data.metrics.map((m) => [m.key, m.value]));
    return [
      run.info.runId,
      run.info.runName,
      run.info.status,
      formatTime(run.info.startTime),
      formatDuration(duration(run)),
      ...metricKeys.map((key) => formatNumber(metrics.get(key))),
    ];
  });
  const align = ['left', 'left', 'left', 'left', 'right', ...metricKeys.map(() => 'right' as const)] as const;
  return renderTable(['ID', 'NAME', 'STATUS', 'START', 'DURATION', ...metricKeys], rows, align);
}

export function renderRun(run: Run, experiment: Experiment): string {
  const { info, data, inputs } = run;
  const sections = [
    renderFields([
      ['Run', `${info.runId} (${info.runName})`],
      ['Experiment', `${experiment.name} (id ${experiment.experimentId})`],
      ['Status', info.status],
      ['Started', formatTime(info.startTime)],
      ['Ended', formatTime(info.endTime)],
      ['Duration', formatDuration(duration(run))],
      ['User', info.userId || '-'],
      ['Parent run', info.parentRunId ?? '-'],
      ['Stage', info.lifecycleStage],
      ['Artifacts', info.artifactUri],
    ]),
    section('Params', ['KEY', 'VALUE'], sortedEntries(data.params)),
    section(
      'Metrics',
      ['KEY', 'VALUE', 'STEP', 'TIME'],
      [...data.metrics]
        .sort((a, b) => compareText(a.key, b.key))
        .map((m) => [m.key, formatNumber(m.value), String(m.step), formatTime(m.timestamp)]),
    ),
    section('Tags', ['KEY', 'VALUE'], sortedEntries(data.tags)),
    section(
      'Inputs',
      ['NAME', 'DIGEST', 'CONTEXT', 'SOURCE'],
      inputs.map((d) => [d.name, d.digest, d.context, d.source]),
    ),
  ];
  return sections.join('\n\n');
}

/** Params and metrics side by side, one column per run; `*` marks the rows whose values differ. */
export function renderComparison(runs: readonly Run[], comparison: RunComparison): string {
  const headers = ['', 'KEY', ...runs.map((run) => `${run.info.runName} (${run.info.runId.slice(0, 8)})`)];
  const differing = new Set(comparison.differing);
  const rows = <V>(
    kind: 'params' | 'metrics',
    values: Record<string, Record<string, V | null>>,
    show: (value: V) => string,
  ) =>
    Object.entries(values).map(([key, byRun]) => [
      differing.has(`${kind}.${key}`) ? '*' : '',
      key,
      ...runs.map((run) => {
        const value = byRun[run.info.runId];
        return value === null || value === undefined ? '-' : show(value);
      }),
    ]);
  return [
    section('Params', headers, rows('params', comparison.params, String)),
    section('Metrics', headers, rows('metrics', comparison.metrics, formatNumber)),
  ].join('\n\n');
}

function section(title: string, headers: readonly string[], rows: readonly (readonly string[])[]): string {
  return rows.length === 0 ? `${title}: none` : `${title}\n${indent(renderTable(headers, rows))}`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

function sortedEntries(record: Record<string, string>): string[][] {
  return Object.entries(record)
    .sort(([a], [b]) => compareText(a, b))
    .map(([key, value]) => [key, value]);
}

function duration(run: Run): number | null {
  return run.info.endTime === null
    ? run.info.status === 'RUNNING'
      ? Date.now() - run.info.startTime
      : null
    : run.info.endTime - run.info.startTime;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
