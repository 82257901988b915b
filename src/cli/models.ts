import { InvalidArgumentError, type Command } from 'commander';
import {
  parseModelReference,
  type ModelVersion,
  type RegisteredModel,
  type RegistryService,
} from '../registry/index.js';
import { formatTime, renderFields, renderTable } from './format.js';
import { emit } from './output.js';
import { withLocalContext } from './local-context.js';
import { type ApprovalRecord, type GateEvaluation } from '../governance/approvals/index.js';
import { registerApprovalCommands } from './models-approval.js';
import { addModelCardCommand } from './models-card.js';

interface RegisterFlags {
  run: string;
  path: string;
  description?: string;
  tag: Record<string, string>;
}

export function registerModelCommands(program: Command): void {
  const models = program
    .command('models')
    .description('the model registry: versions of named models, aliases and stages');
  registerApprovalCommands(models);

  models
    .command('register')
    .description("register the model package in a run's artifacts as the model's next version")
    .argument('<name>', 'model name')
    .requiredOption('--run <run-id>', 'the run that logged the package')
    .requiredOption('--path <artifact-dir>', "the package's folder among the run's artifacts (holds ciclo-model.json)")
    .option('--description <text>', "the version's description")
    .option('--tag <key=value>', 'a tag on the version (repeatable)', collectTag, {})
    .action(async (name: string, flags: RegisterFlags, command: Command) => {
      const version = await withRegistry((registry) =>
        registry.register(name, {
          runId: flags.run,
          path: flags.path,
          ...(flags.description === undefined ? {} : { description: flags.description }),
          tags: flags.tag,
        }),
      );
      emit(command, version, () => `registered ${version.name}/${version.version}\n${renderVersion(version)}`);
    });

  models
    .command('list')
    .description('every registered model with its latest version, aliases and stages')
    .option('--name-like <pattern>', 'only names matching this LIKE pattern (% and _), ignoring case')
    .action(async (options: { nameLike?: string }, command: Command) => {
      const list = await withRegistry((registry) =>
        registry.search(options.nameLike === undefined ? {} : { nameLike: options.nameLike }),
      );
      emit(command, list, () => renderModels(list));
    });

  models
    .command('show')
    .description('a model (its versions), or one version: NAME/3, NAME@alias')
    .argument('<model>', 'NAME, NAME/VERSION or NAME@ALIAS')
    .action(async (reference: string, _options: object, command: Command) => {
      const ref = parseModelReference(reference);
      if (ref.version === undefined && ref.alias === undefined) {
        const shown = await withRegistry(async (registry) => ({
          model: await registry.getModel(ref.name),
          versions: await registry.versions(ref.name),
        }));
        emit(command, shown, () => renderModel(shown.model, shown.versions));
        return;
      }
      const shown = await withLocalContext(async (context) => {
        const version = await context.registry.resolve(reference);
        const approvals = context.approvals;
        const decisions = await approvals.history(version.name, version.version);
        const gates = (await approvals.gateResults(version.name, version.version)).at(-1) ?? null;
        return { ...version, decisions, gates };
      });
      emit(command, shown, () => renderVersion(shown, shown.decisions, shown.gates));
    });

  models
    .command('move')
    .description(
      'move a registered model, with its versions, to another project ' +
        '(local store; over REST an admin of both projects uses PUT /api/v1/models/NAME/project)',
    )
    .argument('<name>', 'model name')
    .requiredOption('--project <project>', 'the project it moves to (it must exist)')
    .action(async (name: string, flags: { project: string }, command: Command) => {
      const model = await withRegistry((registry) => registry.moveToProject(name, flags.project));
      emit(command, model, () => `model ${model.name} is in project ${model.project}`);
    });

  const alias = models.command('alias').description("set or delete a model's alias (NAME@ALIAS)");
  alias
    .command('set')
    .description('point the alias at the version, moving it if it pointed elsewhere')
    .argument('<name>')
    .argument('<alias>')
    .argument('<version>', 'version number', parseVersion)
    .action(async (name: string, aliasName: string, version: number, _options: object, command: Command) => {
      const { previous } = await withRegistry((registry) => registry.setAlias(name, aliasName, version));
      const result = { name, alias: aliasName, version, previous };
      emit(
        command,
        result,
        () =>
          `${name}@${aliasName} → ${version}${previous === null || previous === version ? '' : ` (was ${previous})`}`,
      );
    });
  alias
    .command('delete')
    .description('remove the alias')
    .argument('<name>')
    .argument('<alias>')
    .action(async (name: string, aliasName: string, _options: object, command: Command) => {
      await withRegistry((registry) => registry.deleteAlias(name, aliasName));
      emit(command, { name, alias: aliasName, deleted: true }, () => `deleted ${name}@${aliasName}`);
    });

  models
    .command('stage')
    .description('make the version the one an environment (dev, staging, prod) runs')
    .argument('<name>')
    .argument('<environment>', 'dev, staging or prod')
    .argument('<version>', 'version number', parseVersion)
    .action(async (name: string, environment: string, version: number, _options: object, command: Command) => {
      const { previous } = await withRegistry((registry) => registry.setStage(name, environment, version));
      const result = { name, environment, version, previous };
      emit(
        command,
        result,
        () =>
          `${name} ${environment} → ${version}${previous === null || previous === version ? '' : ` (was ${previous})`}`,
      );
    });

  addModelCardCommand(models);
}

/** Always the local store, as `ciclo data` does: the registry has no REST routes yet. */
async function withRegistry<T>(fn: (registry: RegistryService) => Promise<T>): Promise<T> {
  return withLocalContext((context) => fn(context.registry));
}

function renderModels(models: readonly RegisteredModel[]): string {
  if (models.length === 0) return 'no registered models';
  return renderTable(
    ['name', 'latest', 'versions', 'aliases', 'stages', 'updated', 'description'],
    models.map((m) => [
      m.name,
      m.latestVersion === null ? '-' : String(m.latestVersion),
      String(m.versionCount),
      formatPairs(m.aliases, '@'),
      formatPairs(m.stages, ''),
      formatTime(m.updatedTime),
      m.description ?? '',
    ]),
  );
}

function renderModel(model: RegisteredModel, versions: readonly ModelVersion[]): string {
  const head = renderFields([
    ['model', model.name],
    ['description', model.description ?? ''],
    ['aliases', formatPairs(model.aliases, '@') || '-'],
    ['stages', formatPairs(model.stages, '') || '-'],
  ]);
  const table = renderTable(
    ['version', 'status', 'flavor', 'run', 'aliases', 'stages', 'created', 'description'],
    versions.map((v) => [
      String(v.version),
      v.status,
      v.flavor,
      v.runId.slice(0, 8),
      v.aliases.join(','),
      v.stages.join(','),
      formatTime(v.createdTime),
      v.description ?? '',
    ]),
  );
  return `${head}\n\n${table}`;
}

function renderVersion(
  v: ModelVersion,
  decisions: readonly ApprovalRecord[] = [],
  gates: GateEvaluation | null = null,
): string {
  const columns = (list: readonly { name: string; type: string }[]) =>
    list.map((c) => `${c.name}:${c.type}`).join(', ') || '-';
  return renderFields([
    ['model', `${v.name}/${v.version}`],
    ['status', v.status],
    ['flavor', v.flavor],
    ['inputs', columns(v.signature.inputs)],
    ['outputs', columns(v.signature.outputs)],
    ['run', v.runId],
    ['source', `runs:/${v.runId}/${v.source}`],
    ['manifest', v.manifestDigest ?? 'none: no verified package (registered over MLflow without one)'],
    [
      'metrics',
      Object.entries(v.metrics)
        .map(([k, value]) => `${k}=${value ?? 'NaN'}`)
        .join(' ') || '-',
    ],
    ['git commit', v.lineage.git_commit ?? '-'],
    ['pipeline run', v.lineage.pipeline_run ?? '-'],
    ['datasets', v.lineage.datasets.map((d) => `${d.name}@${d.digest.slice(0, 19)}`).join(', ') || '-'],
    ['aliases', v.aliases.join(', ') || '-'],
    ['stages', v.stages.join(', ') || '-'],
    [
      'tags',
      Object.entries(v.tags)
        .map(([k, value]) => `${k}=${value}`)
        .join(' ') || '-',
    ],
    ['description', v.description ?? ''],
    ['created', `${formatTime(v.createdTime)} by ${v.createdBy}`],
    [
      'decisions',
      decisions
        .map((d) => `${d.decision} by ${d.actor} at ${formatTime(d.time)}${d.comment ? ` (${d.comment})` : ''}`)
        .join('; ') || '-',
    ],
    [
      'gates',
      gates === null
        ? '-'
        : `${gates.results.filter((r) => r.passed).length}/${gates.results.length} ` +
          `passed at ${formatTime(gates.evaluatedTime)}` +
          (gates.passed
            ? ''
            : `; failed: ${gates.results
                .filter((r) => !r.passed)
                .map((r) => r.gate)
                .join(', ')}`) +
          ` (\`ciclo models gates ${v.name} ${v.version}\`)`,
    ],
  ]);
}

/** `@champion=2 @challenger=3` for aliases (prefix '@'), `staging=2 prod=1` for stages. */
function formatPairs(pairs: Record<string, number | undefined>, prefix: string): string {
  return Object.entries(pairs)
    .map(([key, version]) => `${prefix}${key}=${version}`)
    .join(' ');
}

function collectTag(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('must be key=value');
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

function parseVersion(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1)
    throw new InvalidArgumentError('must be a version number (1, 2, …)');
  return Number(value);
}
