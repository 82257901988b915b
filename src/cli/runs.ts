import type { Command } from 'commander';
import { InvalidInputError, type Run, type TrackingApi } from '../sdk/index.js';
import { compareRuns } from './compare.js';
import { listAllExperiments } from './experiments.js';
import { parsePositiveInt } from './option-parsers.js';
import { emit } from './output.js';
import { renderComparison, renderRun, renderRunList } from './run-render.js';
import { withTracking } from './session.js';

const DEFAULT_MAX_RUNS = 100;
// Asked of the server one page at a time; far below any limit a server puts on maxResults.
const PAGE_SIZE = 500;

interface ListOptions {
  experiment?: string;
  filter?: string;
  orderBy?: string[];
  max: number;
}

export function registerRunCommands(program: Command): void {
  const runs = program.command('runs').description('search, show and compare runs');

  runs
    .command('list')
    .description('search runs (newest first unless --order-by says otherwise)')
    .option('--experiment <name>', 'only runs of this experiment (default: every active experiment)')
    .option('--filter <expr>', `filter, e.g. "metrics.auc > 0.9 and params.model = 'gbt'"`)
    .option('--order-by <expr...>', 'order, e.g. "metrics.auc DESC"')
    .option('--max <n>', 'at most this many runs', parsePositiveInt, DEFAULT_MAX_RUNS)
    .action(async (options: ListOptions, command: Command) => {
      const found = await withTracking((api) => searchRuns(api, options));
      emit(command, found, () => renderRunList(found));
    });

  runs
    .command('show')
    .description("a run's info, params, metrics, tags and inputs")
    .argument('<run-id>')
    .action(async (runId: string, _options: object, command: Command) => {
      const { run, experiment } = await withTracking(async (api) => {
        const found = await api.getRun(runId);
        return { run: found, experiment: await api.getExperiment(found.info.experimentId) };
      });
      emit(command, run, () => renderRun(run, experiment));
    });

  runs
    .command('compare')
    .description('params and metrics of runs side by side; * marks rows that differ')
    .argument('<run-ids...>', 'two or more run ids')
    .action(async (runIds: string[], _options: object, command: Command) => {
      if (runIds.length < 2) {
        throw new InvalidInputError('compare needs at least two run ids', {
          where: 'run-ids',
          hint: 'ciclo runs compare ID ID [ID…]',
        });
      }
      const found = await withTracking((api) => Promise.all(runIds.map((id) => api.getRun(id))));
      const comparison = compareRuns(found);
      emit(command, comparison, () => renderComparison(found, comparison));
    });
}

async function searchRuns(api: TrackingApi, options: ListOptions): Promise<Run[]> {
  const experimentIds = options.experiment
    ? [(await api.getExperimentByName(options.experiment)).experimentId]
    : (await listAllExperiments(api)).map((e) => e.experimentId);
  const found: Run[] = [];
  let pageToken: string | undefined;
  do {
    const page = await api.searchRuns({
      experimentIds,
      ...(options.filter !== undefined ? { filter: options.filter } : {}),
      ...(options.orderBy !== undefined ? { orderBy: options.orderBy } : {}),
      maxResults: Math.min(PAGE_SIZE, options.max - found.length),
      ...(pageToken ? { pageToken } : {}),
    });
    found.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken && found.length < options.max);
  return found;
}
