import { InvalidArgumentError, type Command } from 'commander';
import { currentActor } from '../governance/index.js';
import type { Baseline } from '../monitoring/index.js';
import { formatNumber, formatTime, renderFields, renderTable } from './format.js';
import { withLocalContext } from './local-context.js';
import { emit } from './output.js';

/**
 * `ciclo monitor baseline show|set`: a registered version's baseline (what its deployments' traffic
 * is compared with), over the embedded store. Added to the `monitor` group by src/cli/monitor.ts.
 */
export function registerBaselineCommands(monitor: Command): void {
  const baseline = monitor
    .command('baseline')
    .description("a registered version's baseline: its training and evaluation datasets and its predictions");

  baseline
    .command('show')
    .description('the baseline of a version: its datasets with their roles, and the summary of its predictions')
    .argument('<name>', 'model name')
    .argument('<version>', 'version number', parseVersion)
    .action(async (name: string, version: number, _options: unknown, command: Command) => {
      const shown = await withLocalContext((context) => context.baselines.get(name, version));
      emit(command, shown, () => renderBaseline(shown));
    });

  baseline
    .command('set')
    .description('name the datasets of a version by hand (one without lineage): replaces its baseline')
    .argument('<name>', 'model name')
    .argument('<version>', 'version number', parseVersion)
    .requiredOption('--training <dataset>', 'the training dataset version: NAME, NAME@3 or NAME@sha256:…')
    .option('--evaluation <dataset>', 'the evaluation dataset version, scored by the model for its predictions')
    .action(
      async (name: string, version: number, options: { training: string; evaluation?: string }, command: Command) => {
        const set = await withLocalContext((context) =>
          context.baselines.setExplicit(
            name,
            version,
            {
              training: options.training,
              ...(options.evaluation === undefined ? {} : { evaluation: options.evaluation }),
            },
            currentActor().actor,
          ),
        );
        emit(command, set, () => `baseline of ${name}/${version} set\n${renderBaseline(set)}`);
      },
    );
}

function renderBaseline(baseline: Baseline): string {
  const fields = renderFields([
    ['version', `${baseline.model}/${baseline.version}`],
    ['source', baseline.source],
    ['created', `${formatTime(baseline.createdTime)} by ${baseline.createdBy}`],
  ]);
  const datasets = renderTable(
    ['ROLE', 'DATASET', 'ROWS', 'COLUMNS', 'DIGEST'],
    baseline.datasets.map((dataset) => [
      dataset.role,
      `${dataset.name}@${dataset.version}`,
      String(dataset.rowCount),
      String(dataset.schema.length),
      dataset.digest.slice(0, 19),
    ]),
  );
  return `${fields}\n\n${datasets}\n\n${renderPredictions(baseline)}`;
}

function renderPredictions(baseline: Baseline): string {
  const predictions = baseline.predictions;
  if (predictions === null) return `predictions: none (${baseline.predictionsError ?? 'not recorded'})`;
  const quantiles = predictions.quantiles ?? {};
  const distribution =
    predictions.kind === 'numeric'
      ? [
          ['mean', formatNumber(predictions.mean)],
          ['p5 / p50 / p95', [quantiles.p5, quantiles.p50, quantiles.p95].map(formatNumber).join(' / ')],
          ['min / max', `${formatNumber(predictions.min)} / ${formatNumber(predictions.max)}`],
        ]
      : [['top values', (predictions.topValues ?? []).map((top) => `${top.value} (${top.count})`).join(', ')]];
  return renderFields([
    ['predictions', `${predictions.rows} rows of ${predictions.dataset} (output ${predictions.output})`],
    ...(predictions.skippedRows > 0 ? [['not scored', `${predictions.skippedRows} rows`] as const] : []),
    ...(distribution as [string, string][]),
  ]);
}

function parseVersion(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) {
    throw new InvalidArgumentError('must be a version number (1, 2, …)');
  }
  return Number(value);
}
