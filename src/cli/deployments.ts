import { InvalidArgumentError, type Command } from 'commander';
import {
  deploymentToWire,
  eventToWire,
  type Deployment,
  type DeploymentEvent,
  type DeploymentService,
} from '../serving/index.js';
import { formatTime, renderFields, renderTable } from './format.js';
import { withLocalContext } from './local-context.js';
import { parsePositiveInt } from './option-parsers.js';
import { emit } from './output.js';

type Environment = Deployment['environment'];

/**
 * Checked here rather than left to the service so a typo exits 2 naming `--env`, not the record's
 * `environment` field. A Record over the service's type makes this list fail to compile if the two drift apart.
 */
const ENVIRONMENT_NAMES: Record<Environment, true> = { dev: true, staging: true, prod: true };
const ENVIRONMENTS = Object.keys(ENVIRONMENT_NAMES);

interface CreateFlags {
  model: string;
  env: Environment;
  runtime?: string;
  replicas?: number;
}

/**
 * `ciclo deployments`: the deployment records over the local store (as `ciclo models`). `ciclo server`
 * runs them: its supervisor starts and stops `ciclo serve` replicas to match; these commands only change
 * and read what should serve where, so nothing here waits for a version to start.
 */
export function registerDeploymentsCommand(program: Command): void {
  const deployments = program
    .command('deployments')
    .description('what serves where: a model version per environment, run by `ciclo server` at /serve/NAME');

  deployments
    .command('create')
    .description('deploy a registered version; NAME@alias follows the alias, NAME/VERSION stays on that version')
    .argument('<name>', 'deployment name (lowercase letters, digits, "-"): the endpoint is /serve/NAME')
    .requiredOption('--model <model>', 'NAME@ALIAS or NAME/VERSION')
    .requiredOption('--env <environment>', `the environment it serves (${ENVIRONMENTS.join(', ')})`, parseEnvironment)
    .option('--runtime <name>', 'model runtime (onnx, js, python); default: the one for the package flavor')
    .option('--replicas <n>', 'replicas to run (default 1)', parsePositiveInt)
    .action(async (name: string, flags: CreateFlags, command: Command) => {
      const created = await withDeployments((service) =>
        service.create({
          name,
          model: flags.model,
          environment: flags.env,
          ...(flags.runtime === undefined ? {} : { runtime: flags.runtime }),
          ...(flags.replicas === undefined ? {} : { replicas: flags.replicas }),
        }),
      );
      emit(
        command,
        deploymentToWire(created),
        () => `created deployment ${created.name} (\`ciclo server\` starts it)\n${renderDeployment(created)}`,
      );
    });

  deployments
    .command('list')
    .description('every deployment with its state and the version it serves')
    .action(async (_flags: object, command: Command) => {
      const list = await withDeployments((service) => service.list());
      emit(
        command,
        list.map((deployment) => deploymentToWire(deployment)),
        () => renderDeployments(list),
      );
    });

  deployments
    .command('show')
    .description('a deployment: its model, state (with why it failed), serving version and endpoint')
    .argument('<name>', 'deployment name')
    .action(async (name: string, _flags: object, command: Command) => {
      const deployment = await withDeployments((service) => service.show(name));
      emit(command, deploymentToWire(deployment), () => renderDeployment(deployment));
    });

  deployments
    .command('history')
    .description('every change to a deployment, oldest first (kept after it is deleted)')
    .argument('<name>', 'deployment name')
    .action(async (name: string, _flags: object, command: Command) => {
      const events = await withDeployments((service) => service.history(name));
      emit(
        command,
        events.map((event) => eventToWire(event)),
        () => renderHistory(events),
      );
    });

  deployments
    .command('promote')
    .description('serve another version: a deployment that follows an alias moves the alias, a pinned one is re-pinned')
    .argument('<name>', 'deployment name')
    // Positional, as every version in the CLI: `--version` is the program's own option wherever it stands.
    .argument('<version>', 'the version of its model to serve', parsePositiveInt)
    .option('--reason <text>', 'why (kept in the history and the audit log)')
    .action(async (name: string, version: number, flags: { reason?: string }, command: Command) => {
      const promoted = await withDeployments((service) => service.promote(name, version, flags.reason));
      const target = `${promoted.modelName}/${version}`;
      const moved = promoted.alias === null ? '' : ` (${promoted.modelName}@${promoted.alias} moved)`;
      const head = `promoted ${promoted.name} to ${target}${moved}; \`ciclo server\` rolls it out`;
      emit(command, deploymentToWire(promoted), () => `${head}\n${renderDeployment(promoted)}`);
    });

  deployments
    .command('rollback')
    .description('serve again the version that served before the current one (marked rolled back on the registry)')
    .argument('<name>', 'deployment name')
    .option('--reason <text>', 'why (kept in the history and the audit log)')
    .action(async (name: string, flags: { reason?: string }, command: Command) => {
      const { deployment, event } = await withDeployments(async (service) => {
        const rolledBack = await service.rollback(name, flags.reason);
        // The service answers the record, not the versions; its rollback event names both.
        const last = (await service.history(name)).findLast((e) => e.action === 'rollback');
        return { deployment: rolledBack, event: last };
      });
      const versions = event === undefined ? '' : ` from version ${event.fromVersion} to ${event.toVersion}`;
      emit(
        command,
        deploymentToWire(deployment),
        () =>
          `rolled ${deployment.name} back${versions}; \`ciclo server\` rolls it out\n${renderDeployment(deployment)}`,
      );
    });

  deployments
    .command('delete')
    .description('remove a deployment (`ciclo server` stops its replicas); its history stays')
    .argument('<name>', 'deployment name')
    .option('--reason <text>', 'why (kept in the history and the audit log)')
    .action(async (name: string, flags: { reason?: string }, command: Command) => {
      await withDeployments((service) => service.delete(name, flags.reason));
      emit(command, { name, deleted: true }, () => `deleted deployment ${name}`);
    });
}

async function withDeployments<T>(fn: (service: DeploymentService) => Promise<T>): Promise<T> {
  return withLocalContext((context) => fn(context.deployments));
}

function parseEnvironment(value: string): Environment {
  if (!Object.hasOwn(ENVIRONMENT_NAMES, value)) {
    throw new InvalidArgumentError(`must be one of ${ENVIRONMENTS.join(', ')}`);
  }
  return value as Environment;
}

function renderDeployments(list: readonly Deployment[]): string {
  if (list.length === 0) return 'no deployments (create one with `ciclo deployments create`)';
  return renderTable(
    ['name', 'model', 'environment', 'state', 'serving', 'updated'],
    list.map((d) => [
      d.name,
      d.model,
      d.environment,
      d.state,
      d.servingVersion === null ? '-' : String(d.servingVersion),
      formatTime(d.updatedTime),
    ]),
  );
}

function renderDeployment(d: Deployment): string {
  const version = (v: number | null) => (v === null ? '-' : `${d.modelName}/${v}`);
  return renderFields([
    ['deployment', d.name],
    ['project', d.project],
    ['environment', d.environment],
    ['model', `${d.model} (${d.alias === null ? 'pinned to the version' : 'follows the alias'})`],
    ['runtime', d.runtime ?? "the package flavor's"],
    ['replicas', String(d.replicas)],
    ['strategy', d.strategy.type],
    ['state', d.state],
    ['message', d.message ?? '-'],
    ['serving', version(d.servingVersion)],
    ['starting', version(d.candidateVersion)],
    // The wire format owns the path the server answers on.
    ['endpoint', deploymentToWire(d).endpoint],
    ['created', `${formatTime(d.createdTime)} by ${d.createdBy}`],
    ['updated', formatTime(d.updatedTime)],
  ]);
}

function renderHistory(events: readonly DeploymentEvent[]): string {
  const version = (v: number | null) => (v === null ? '-' : String(v));
  return renderTable(
    ['time', 'actor', 'action', 'from → to', 'reason'],
    events.map((e) => [
      formatTime(e.time),
      e.actor,
      e.action,
      `${version(e.fromVersion)} → ${version(e.toVersion)}`,
      e.reason ?? '',
    ]),
  );
}
