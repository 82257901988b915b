import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { NotFoundError } from '../common/errors.js';
import {
  monitorResultToWire,
  monitorToWire,
  type Monitor,
  type MonitorResult,
  type MonitorRun,
  type MonitorService,
} from '../monitoring/index.js';
import { formatNumber, formatTime, renderFields, renderTable } from './format.js';
import { withLocalContext } from './local-context.js';
import { registerBaselineCommands } from './monitor-baseline.js';
import { parsePositiveInt } from './option-parsers.js';
import { emit } from './output.js';

const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;

/**
 * `ciclo monitor`: monitors over the local store (as `ciclo deployments`). `ciclo server` runs the scheduled ones;
 * `run` runs one now, in this process, and stores its result as the server would.
 */
export function registerMonitorCommands(program: Command): void {
  const monitor = program
    .command('monitor')
    .description('drift, data and model quality over captured traffic, stored as time series (docs/monitoring.md)');

  monitor
    .command('apply')
    .description('create or replace a monitor from its YAML file')
    .argument('<file>', 'monitor YAML (name, deployment, window, features, alerts, …)')
    .action(async (file: string, _flags: object, command: Command) => {
      const text = await readMonitorFile(file);
      const applied = await withMonitors((service) => service.apply(text, file));
      emit(
        command,
        monitorToWire(applied),
        () => `applied monitor ${applied.name} (deployment ${applied.deployment}, project ${applied.project})`,
      );
    });

  monitor
    .command('list')
    .description('every monitor with its deployment and schedule')
    .action(async (_flags: object, command: Command) => {
      const list = await withMonitors((service) => service.list());
      emit(command, list.map(monitorToWire), () => renderMonitors(list));
    });

  monitor
    .command('run')
    .description('run a monitor now over its window; alert rules judge the result and their actions start')
    .argument('<name>', 'monitor name')
    .action(async (name: string, _flags: object, command: Command) => {
      const run = await withMonitors((service) => service.run(name));
      emit(command, { ...monitorResultToWire(run), alerts: run.alerts }, () => renderRun(run));
    });

  monitor
    .command('show')
    .description('a monitor: its latest result and each metric over time as a sparkline')
    .argument('<name>', 'monitor name')
    .option('--points <n>', 'runs shown per sparkline (default 30)', parsePositiveInt)
    .action(async (name: string, flags: { points?: number }, command: Command) => {
      const { shown, results } = await withMonitors(async (service) => ({
        shown: await service.show(name),
        results: await service.results(name, flags.points ?? 30),
      }));
      emit(command, { ...monitorToWire(shown), results: results.map(monitorResultToWire) }, () =>
        renderShow(shown, results),
      );
    });

  monitor
    .command('delete')
    .description('delete a monitor and its results (its alert history stays)')
    .argument('<name>', 'monitor name')
    .action(async (name: string, _flags: object, command: Command) => {
      await withMonitors((service) => service.delete(name));
      emit(command, { deleted: name }, () => `deleted monitor ${name}`);
    });

  registerBaselineCommands(monitor);
}

async function withMonitors<T>(fn: (service: MonitorService) => Promise<T>): Promise<T> {
  return withLocalContext((context) => fn(context.monitors));
}

async function readMonitorFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new NotFoundError(`monitor file ${file} does not exist`, { where: file });
  }
}

function renderMonitors(list: readonly Monitor[]): string {
  if (list.length === 0) return 'no monitors (create one with `ciclo monitor apply FILE`)';
  return renderTable(
    ['NAME', 'DEPLOYMENT', 'PROJECT', 'WINDOW', 'SCHEDULE', 'ALERT RULES'],
    list.map((monitor) => [
      monitor.name,
      monitor.deployment,
      monitor.project,
      windowText(monitor),
      monitor.parsed.schedule ?? 'on demand',
      String(monitor.parsed.alerts.length),
    ]),
  );
}

function windowText(monitor: Monitor): string {
  const window = monitor.parsed.window;
  return 'hours' in window ? `last ${window.hours} h` : `last ${window.rows} rows`;
}

function renderRun(run: MonitorRun): string {
  const lines = [
    renderFields([
      ['monitor', run.monitor],
      ['result', `#${run.id} ${run.status}${run.message === null ? '' : `: ${run.message}`}`],
      ['window', `${formatTime(run.windowStart)} → ${formatTime(run.windowEnd)} (${formatNumber(run.rows)} rows)`],
    ]),
  ];
  if (run.metrics.length > 0) lines.push('', renderMetrics(run.metrics));
  for (const alert of run.alerts) {
    lines.push(
      `alert ${alert.monitor}/${alert.rule} ${alert.kind} (${alert.severity}) value ${formatNumber(alert.value)}`,
    );
  }
  return lines.join('\n');
}

function renderMetrics(metrics: MonitorResult['metrics']): string {
  return renderTable(
    ['METRIC', 'FEATURE', 'SEGMENT', 'VALUE'],
    metrics.map((metric) => [
      metric.metric,
      metric.feature ?? '',
      metric.segment ?? '',
      metric.value === null ? `null (${metric.reason ?? 'not computed'})` : formatNumber(metric.value),
    ]),
  );
}

/** The latest result's values, each with its series over the shown runs, oldest to newest. */
function renderShow(monitor: Monitor, results: readonly MonitorResult[]): string {
  const head = renderFields([
    ['monitor', monitor.name],
    ['deployment', `${monitor.deployment} (project ${monitor.project})`],
    ['window', `${windowText(monitor)} against ${monitor.parsed.reference.replace('_', ' ')}`],
    ['schedule', monitor.parsed.schedule ?? 'on demand'],
  ]);
  const latest = results.find((result) => result.status === 'ok');
  if (latest === undefined) {
    const last = results[0];
    const note =
      last === undefined ? 'no runs yet (`ciclo monitor run NAME`)' : `last run: ${last.status} ${last.message ?? ''}`;
    return `${head}\n\n${note}`;
  }
  const oldestFirst = [...results].reverse();
  const key = (metric: MonitorResult['metrics'][number]) =>
    `${metric.metric}\u0000${metric.feature ?? ''}\u0000${metric.segment ?? ''}`;
  const byRun = oldestFirst.map((result) => new Map(result.metrics.map((metric) => [key(metric), metric.value])));
  const rows = latest.metrics.map((metric) => [
    metric.metric,
    metric.feature ?? '',
    metric.segment ?? '',
    metric.value === null ? 'null' : formatNumber(metric.value),
    valueSparkline(byRun.map((values) => values.get(key(metric)) ?? null)),
  ]);
  const status = results[0]!;
  return [
    head,
    `latest: #${latest.id} at ${formatTime(latest.time)} over ${formatNumber(latest.rows)} rows` +
      (status.id === latest.id ? '' : ` (newest run #${status.id}: ${status.status})`),
    '',
    renderTable(['METRIC', 'FEATURE', 'SEGMENT', 'LATEST', `LAST ${results.length} RUNS`], rows),
  ].join('\n');
}

/** Values as bars between their own minimum and maximum; a missing value is a space, a flat series mid-height. */
export function valueSparkline(values: readonly (number | null)[]): string {
  const present = values.filter((value): value is number => value !== null);
  if (present.length === 0) return '';
  const min = Math.min(...present);
  const max = Math.max(...present);
  return values
    .map((value) => {
      if (value === null) return ' ';
      if (max === min) return BARS[3];
      return BARS[Math.round(((value - min) / (max - min)) * (BARS.length - 1))];
    })
    .join('');
}
