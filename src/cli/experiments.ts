import type { Command } from 'commander';
import type { Experiment, TrackingApi } from '../sdk/index.js';
import { formatTime, renderTable } from './format.js';
import { emit } from './output.js';
import { withTracking } from './session.js';

export function registerExperimentCommands(program: Command): void {
  const experiments = program.command('experiments').description('list and create experiments');

  experiments
    .command('list')
    .description('list active experiments')
    .action(async (_options: object, command: Command) => {
      const list = await withTracking(listAllExperiments);
      emit(command, list, () =>
        renderTable(
          ['ID', 'NAME', 'CREATED'],
          list.map((e) => [e.experimentId, e.name, formatTime(e.creationTime)]),
          ['right'],
        ),
      );
    });

  experiments
    .command('create')
    .description('create an experiment')
    .argument('<name>', 'experiment name (unique)')
    .action(async (name: string, _options: object, command: Command) => {
      const experiment = await withTracking((api) => api.createExperiment({ name }));
      emit(command, experiment, () => `Created experiment '${experiment.name}' (id ${experiment.experimentId})`);
    });
}

export async function listAllExperiments(api: TrackingApi): Promise<Experiment[]> {
  const all: Experiment[] = [];
  let pageToken: string | undefined;
  do {
    const page = await api.searchExperiments(pageToken ? { pageToken } : {});
    all.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return all;
}
