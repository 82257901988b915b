import type { Command } from 'commander';
import {
  renderReportJson,
  renderReportText,
  type Change,
  type DatasetDiff,
  type DatasetService,
  type DatasetSummary,
  type DatasetVersionDetail,
  type DatasetVersionInfo,
  type RegisterResult,
} from '../data/index.js';
import { InvalidInputError } from '../common/errors.js';
import { formatBytes, formatNumber, formatTime, renderFields, renderTable } from './format.js';
import { parseNonNegativeInt, parsePositiveInt } from './option-parsers.js';

import { renderProfile } from './profile-render.js';
import { emit, printJson, printText, wantsJson } from './output.js';
import { withLocalContext } from './local-context.js';

interface RegisterFlags {
  schema?: string;
  sensitive?: string;
  description?: string;
  project?: string;
  skipRows?: number;
  headerRow?: number;
}

export function registerDataCommands(program: Command): void {
  const data = program
    .command('data')
    .description('versioned datasets: register files, inspect schemas, profiles and changes');

  data
    .command('register')
    .description('register a file, a folder of data files or a glob as the next version of a dataset')
    .argument('<name>', 'dataset name')
    .argument('<path>', 'a .csv/.parquet/.jsonl file, a folder of them (one format), or a glob such as "data/*.csv"')
    .option(
      '--schema <file>',
      'a YAML/JSON file declaring the columns (columns: {name: TYPE | {type, nullable}}); the data must match it',
    )
    .option('--sensitive <columns>', 'comma-separated columns to tag sensitive (their values are never shown)')
    .option('--description <text>', "the dataset's description")
    .option(
      '--project <project>',
      "the project a new dataset goes to (default: default); a new version stays in its dataset's project",
    )
    .option('--skip-rows <n>', 'CSV: lines above the header to leave out (a metadata line)', parseNonNegativeInt)
    .option('--header-row <n>', 'CSV: the line number of the header (--header-row 2 = --skip-rows 1)', parsePositiveInt)
    .action(async (name: string, path: string, flags: RegisterFlags, command: Command) => {
      const skipRows = leadingRows(flags);
      const result = await withDatasets((datasets) =>
        datasets.register(name, path, {
          ...(flags.schema === undefined ? {} : { schema: flags.schema }),
          ...(flags.sensitive === undefined ? {} : { sensitive: splitList(flags.sensitive) }),
          ...(flags.description === undefined ? {} : { description: flags.description }),
          ...(flags.project === undefined ? {} : { project: flags.project }),
          ...(skipRows === undefined ? {} : { skipRows }),
        }),
      );
      emit(command, result, () => renderRegistered(result));
    });

  data
    .command('move')
    .description(
      'move a dataset, with every version, to another project ' +
        '(what `PUT /api/v1/datasets/NAME/project` does for an admin)',
    )
    .argument('<name>', 'dataset name')
    .requiredOption('--project <project>', 'the project it moves to (it must exist)')
    .action(async (name: string, flags: { project: string }, command: Command) => {
      const moved = await withDatasets((datasets) => datasets.moveToProject(name, flags.project));
      emit(command, moved, () => `dataset ${moved.name} is in project ${moved.project}`);
    });

  data
    .command('list')
    .description('every dataset with its latest version')
    .action(async (_options: object, command: Command) => {
      const datasets = await withDatasets((service) => service.list());
      emit(command, datasets, () => renderDatasetList(datasets));
    });

  data
    .command('show')
    .description("a version's schema (with sensitive tags), files and row count")
    .argument('<dataset>', 'NAME (latest), NAME@3 or NAME@sha256:…')
    .action(async (reference: string, _options: object, command: Command) => {
      const version = await withDatasets((datasets) => datasets.show(reference));
      const { profile: _profile, ...shown } = version;
      emit(command, shown, () => renderVersion(version));
    });

  data
    .command('versions')
    .description("a dataset's versions, oldest first")
    .argument('<name>')
    .action(async (name: string, _options: object, command: Command) => {
      const versions = await withDatasets((datasets) => datasets.versions(name));
      emit(command, versions, () => renderVersionList(versions));
    });

  data
    .command('diff')
    .description('schema and statistics changes between two versions')
    .argument('<name>')
    .argument('<from>', 'a version number (or sha256:…)')
    .argument('<to>', 'a version number (or sha256:…)')
    .action(async (name: string, from: string, to: string, _options: object, command: Command) => {
      const diff = await withDatasets((datasets) => datasets.diff(name, from, to));
      emit(command, diff, () => renderDiff(diff));
    });

  data
    .command('profile')
    .description("a version's profile: per-column statistics, quantiles, histograms and top values")
    .argument('<dataset>', 'NAME (latest), NAME@3 or NAME@sha256:…')
    .action(async (reference: string, _options: object, command: Command) => {
      const version = await withDatasets((datasets) => datasets.show(reference));
      emit(command, version.profile, () =>
        version.profile ? renderProfile(`${version.name}@${version.version}`, version.profile) : 'no profile stored',
      );
    });

  data
    .command('validate')
    .description(
      'check a version against an expectation suite (YAML); exits 1 when an error-severity expectation fails',
    )
    .argument('<dataset>', 'NAME (latest), NAME@3 or NAME@sha256:…')
    .requiredOption('--suite <file>', 'the expectation suite')
    .action(async (reference: string, options: { suite: string }, command: Command) => {
      const report = await withDatasets((datasets) => datasets.validate(reference, options.suite));
      if (wantsJson(command)) printJson(renderReportJson(report));
      else printText(renderReportText(report));
      if (!report.passed) process.exitCode = 1;
    });

  data
    .command('log-input')
    .description("record a dataset version as a run's input (what a run trained or evaluated on)")
    .argument('<run-id>')
    .argument('<dataset>', 'NAME (latest), NAME@3 or NAME@sha256:…')
    .option('--context <context>', 'what the run used it for', 'training')
    .action(async (runId: string, reference: string, options: { context: string }, command: Command) => {
      const input = await withDatasets((datasets) => datasets.logInput(runId, reference, options.context));
      emit(command, input, () => `run ${runId} input: ${input.source} (${input.digest}, ${input.context})`);
    });
}

/** Always the local store: registration reads local files and stores their blobs next to it. */
async function withDatasets<T>(fn: (datasets: DatasetService) => Promise<T>): Promise<T> {
  return withLocalContext((context) => fn(context.datasets));
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function renderRegistered({ version, created }: RegisterResult): string {
  const outcome = created ? ' (new version)' : ' (unchanged: identical content is already this version)';
  return renderFields([
    ['dataset', `${version.name}@${version.version}${outcome}`],
    ['project', version.project],
    ['digest', version.digest],
    ['rows', formatNumber(version.rowCount)],
    ['columns', String(version.schema.length)],
    ['files', `${version.files.length} ${version.format}`],
  ]);
}

function renderDatasetList(datasets: readonly DatasetSummary[]): string {
  if (datasets.length === 0) return 'no datasets yet: ciclo data register NAME PATH';
  return renderTable(
    ['name', 'latest', 'versions', 'rows', 'updated', 'project', 'description'],
    datasets.map((d) => [
      d.name,
      d.latestVersion === null ? '-' : String(d.latestVersion),
      String(d.versionCount),
      formatNumber(d.rowCount),
      formatTime(d.updatedTime),
      d.project,
      d.description ?? '',
    ]),
    ['left', 'right', 'right', 'right'],
  );
}

function renderVersion(version: DatasetVersionDetail): string {
  const size = version.files.reduce((sum, file) => sum + file.sizeBytes, 0);
  return [
    renderFields([
      ['dataset', `${version.name}@${version.version}`],
      ['project', version.project],
      ['digest', version.digest],
      ['format', version.format],
      ['rows', formatNumber(version.rowCount)],
      ['created', formatTime(version.createdTime)],
      ['size', formatBytes(size)],
    ]),
    '',
    renderTable(
      ['column', 'type', 'nullable', 'sensitive'],
      version.schema.map((c) => [c.name, c.type, c.nullable ? 'yes' : 'no', c.sensitive ? 'SENSITIVE' : '']),
    ),
    '',
    renderTable(
      ['file', 'size', 'digest'],
      version.files.map((f) => [f.path, formatBytes(f.sizeBytes), f.digest]),
      ['left', 'right'],
    ),
  ].join('\n');
}

function renderVersionList(versions: readonly DatasetVersionInfo[]): string {
  if (versions.length === 0) return 'no versions';
  return renderTable(
    ['version', 'rows', 'columns', 'files', 'created', 'digest'],
    versions.map((v) => [
      String(v.version),
      formatNumber(v.rowCount),
      String(v.schema.length),
      `${v.files.length} ${v.format}`,
      formatTime(v.createdTime),
      v.digest,
    ]),
    ['right', 'right', 'right', 'right'],
  );
}

function renderDiff(diff: DatasetDiff): string {
  const lines = [
    `${diff.name}: version ${diff.from.version} → ${diff.to.version}`,
    `rows: ${renderChange(diff.rowCount)}`,
    '',
  ];
  const { added, removed, typeChanged, flagsChanged } = diff.schema;
  if (added.length + removed.length + typeChanged.length + flagsChanged.length === 0) lines.push('schema: unchanged');
  else {
    lines.push('schema:');
    for (const c of added) lines.push(`  + ${c.name} ${c.type}`);
    for (const c of removed) lines.push(`  - ${c.name} ${c.type}`);
    for (const c of typeChanged) lines.push(`  ~ ${c.name} ${c.before} → ${c.after}`);
    for (const c of flagsChanged)
      lines.push(`  ~ ${c.name} ${c.field}: ${c.before ? 'yes' : 'no'} → ${c.after ? 'yes' : 'no'}`);
  }
  if (diff.columns.length > 0) {
    lines.push(
      '',
      renderTable(
        ['column', 'nulls', 'distinct', 'mean'],
        diff.columns.map((c) => [c.name, renderChange(c.nulls), renderChange(c.distinct), renderChange(c.mean)]),
      ),
    );
  }
  return lines.join('\n');
}

function renderChange(change: Change): string {
  if (change.before === null && change.after === null) return '-';
  if (change.delta === 0) return `${formatNumber(change.after)} (=)`;
  const delta = change.delta === null ? '' : ` (${change.delta > 0 ? '+' : ''}${formatNumber(change.delta)})`;
  return `${formatNumber(change.before)} → ${formatNumber(change.after)}${delta}`;
}

/** `--skip-rows N` or `--header-row N+1`: two ways to say it, one answer. */
function leadingRows(flags: RegisterFlags): number | undefined {
  if (flags.skipRows !== undefined && flags.headerRow !== undefined) {
    throw new InvalidInputError('give --skip-rows or --header-row, not both', {
      where: '--header-row',
      hint: '--header-row N is --skip-rows N-1',
    });
  }
  return flags.headerRow === undefined ? flags.skipRows : flags.headerRow - 1;
}
