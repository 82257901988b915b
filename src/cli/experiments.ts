import type { Command } from 'commander';
import type { Experiment, TrackingApi } from '../sdk/index.js';
import { formatTime, renderTable } from './format.js';
import { withLocalContext } from './local-context.js';
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

  experiments
    .command('move')
    .description(
      'move an experiment, with its runs, to another project ' +
        '(local store; over REST an admin of both projects uses PUT /api/v1/experiments/ID/project)',
    )
    .argument('<id>', 'experiment id')
    .requiredOption('--project <project>', 'the project it moves to (it must exist)')
    .action(async (id: string, flags: { project: string }, command: Command) => {
      const experiment = await withLocalContext((context) => context.tracking.moveToProject(id, flags.project));
      emit(
        command,
        experiment,
        () => `experiment '${experiment.name}' (id ${experiment.experimentId}) is in project ${experiment.project}`,
      );
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
