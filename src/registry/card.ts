import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError, NotFoundError } from '../common/errors.js';
import type { ColumnProfile, ColumnSchema, DatasetVersionDetail } from '../data/index.js';
import type { ModelSignature } from './package.js';
import type { RegistryService } from './service.js';
import type { Environment, ModelLineage, ModelVersionStatus } from './types.js';

/**
 * The model card: what the registry knows about one version, gathered into a plain object (the
 * JSON form) and rendered as Markdown from that object. Nothing here is typed in by hand: a card
 * says "not stated" rather than guess.
 */

export const MODEL_CARD_FORMAT = 'ciclo-model-card/1';

/** One decision on a version, as the approvals capability records it. */
export interface CardApprovalRecord {
  decision: string;
  actor: string;
  comment: string | null;
  time: number;
}

/** One policy gate's verdict on a version. */
export interface CardGateResult {
  gate: string;
  passed: boolean;
  observed?: unknown;
  expected?: unknown;
  message?: string | null;
}

/**
 * What the card reads from approvals (src/governance/approvals): kept to what the card shows, so
 * the approval service satisfies it as it is.
 */
export interface CardApprovals {
  history(name: string, version: number): Promise<readonly CardApprovalRecord[]>;
  gateResults(name: string, version: number): Promise<readonly CardGateResult[]>;
  /** The `description` of the model's approval policy: what it is approved for; null without one. */
  policyDescription(name: string): Promise<string | null>;
}

/** Dataset profiles by `NAME@sha256:…`; `DatasetService` is one. */
export interface CardDatasets {
  show(reference: string): Promise<DatasetVersionDetail>;
}

export interface ModelCardDeps {
  registry: Pick<RegistryService, 'resolve' | 'getModel'>;
  /** Without it, training data is listed by name and digest only. */
  datasets?: CardDatasets;
  /** Without it, the card has no approval records. */
  approvals?: CardApprovals;
  now?: () => number;
}

export interface CardColumn extends ColumnSchema {
  /** Null values in the version, from its profile; null when it has no profile. */
  nulls: number | null;
  /** What the version's profile says of the column (distinct, range, mean, most frequent values); null without one. */
  statistics: CardColumnStatistics | null;
}

export interface CardColumnStatistics {
  distinct: number | null;
  /** Numbers, dates and timestamps. */
  min?: number | string | null;
  max?: number | string | null;
  /** Numbers. */
  mean?: number | null;
  std?: number | null;
  /** Up to three, most frequent first (categorical columns). */
  topValues?: Array<{ value: string; count: number }>;
}

export interface CardDataset {
  name: string;
  digest: string;
  /** How the run used it (`training`, `validation`, …). */
  context: string;
  /**
   * The registered dataset version with this digest; null when the run logged data the registry of datasets does not
   * hold.
   */
  registered: {
    version: number;
    format: string;
    rowCount: number;
    columns: CardColumn[];
    sensitiveColumns: string[];
  } | null;
}

/** `fairness.<attribute>.<metric>` and the per-group `<metric>.<attribute>.<group>` of one attribute. */
export interface CardFairness {
  attribute: string;
  summary: Record<string, number | null>;
  /** Sorted by group; `metrics` by metric name. */
  groups: Array<{ group: string; metrics: Record<string, number | null> }>;
}

export type IntendedUseSource =
  'tag intended_use' | 'version description' | 'model description' | 'approval policy description';

export interface ModelCard {
  format: typeof MODEL_CARD_FORMAT;
  generatedTime: number;
  model: {
    name: string;
    version: number;
    /** The model's own description, shared by its versions. */
    description: string | null;
  };
  /** The version's description. */
  description: string | null;
  status: ModelVersionStatus;
  createdTime: number;
  createdBy: string;
  /** `runs:/<run>/<folder>`: where the package is. */
  source: string;
  /** null: the version has no verified package (registered over MLflow from files without one). */
  manifestDigest: string | null;
  flavor: string;
  signature: ModelSignature;
  tags: Record<string, string>;
  intendedUse: { statement: string; source: IntendedUseSource } | null;
  trainingData: CardDataset[];
  /** The metrics snapshot less the fairness metrics; null stands for NaN or ±Infinity. */
  metrics: Record<string, number | null>;
  fairness: CardFairness[];
  approvals: { history: CardApprovalRecord[]; gates: CardGateResult[] };
  lineage: ModelLineage;
  aliases: string[];
  stages: Environment[];
}

export const INTENDED_USE_TAG = 'intended_use';

/** The card of `NAME`, `NAME/3` or `NAME@alias`. */
export async function buildModelCard(reference: string, deps: ModelCardDeps): Promise<ModelCard> {
  const version = await deps.registry.resolve(reference);
  const model = await deps.registry.getModel(version.name);
  const { metrics, fairness } = splitFairness(version.metrics);
  const trainingData: CardDataset[] = [];
  for (const input of version.lineage.datasets) trainingData.push(await cardDataset(input, deps.datasets));
  return {
    format: MODEL_CARD_FORMAT,
    generatedTime: (deps.now ?? Date.now)(),
    model: { name: version.name, version: version.version, description: model.description },
    description: version.description,
    status: version.status,
    createdTime: version.createdTime,
    createdBy: version.createdBy,
    source: `runs:/${version.runId}/${version.source}`,
    manifestDigest: version.manifestDigest,
    flavor: version.flavor,
    signature: version.signature,
    tags: version.tags,
    intendedUse: intendedUse(
      version.tags,
      version.description,
      model.description,
      (await deps.approvals?.policyDescription(version.name)) ?? null,
    ),
    trainingData,
    metrics,
    fairness,
    approvals: {
      history: deps.approvals ? [...(await deps.approvals.history(version.name, version.version))] : [],
      gates: deps.approvals ? [...(await deps.approvals.gateResults(version.name, version.version))] : [],
    },
    lineage: version.lineage,
    aliases: version.aliases,
    stages: version.stages,
  };
}

/** The tag says it outright; failing that, the version's description, the model's, then its approval policy's. */
function intendedUse(
  tags: Record<string, string>,
  versionDescription: string | null,
  modelDescription: string | null,
  policyDescription: string | null,
): ModelCard['intendedUse'] {
  const candidates: Array<[string | null | undefined, IntendedUseSource]> = [
    [tags[INTENDED_USE_TAG], 'tag intended_use'],
    [versionDescription, 'version description'],
    [modelDescription, 'model description'],
    [policyDescription, 'approval policy description'],
  ];
  for (const [statement, source] of candidates) {
    if (statement !== undefined && statement !== null && statement.trim() !== '')
      return { statement: statement.trim(), source };
  }
  return null;
}

function statisticsOf(profile: ColumnProfile): CardColumnStatistics {
  return {
    distinct: profile.distinct,
    ...(profile.min === undefined ? {} : { min: profile.min }),
    ...(profile.max === undefined ? {} : { max: profile.max }),
    ...(profile.mean === undefined ? {} : { mean: profile.mean }),
    ...(profile.std === undefined ? {} : { std: profile.std }),
    ...(profile.topValues === undefined ? {} : { topValues: profile.topValues.slice(0, 3) }),
  };
}

async function cardDataset(
  input: ModelLineage['datasets'][number],
  datasets: CardDatasets | undefined,
): Promise<CardDataset> {
  const base = { name: input.name, digest: input.digest, context: input.context };
  if (datasets === undefined) return { ...base, registered: null };
  let detail: DatasetVersionDetail;
  try {
    detail = await datasets.show(`${input.name}@${input.digest}`);
  } catch (error) {
    // Runs may log inputs that were never registered (any name, any digest): the card says so.
    if (error instanceof NotFoundError || error instanceof InvalidInputError) return { ...base, registered: null };
    throw error;
  }
  const profiled = new Map(detail.profile?.columns.map((column) => [column.name, column]) ?? []);
  return {
    ...base,
    registered: {
      version: detail.version,
      format: detail.format,
      rowCount: detail.rowCount,
      columns: detail.schema.map((column) => {
        const profile = profiled.get(column.name);
        return { ...column, nulls: profile?.nulls ?? null, statistics: profile ? statisticsOf(profile) : null };
      }),
      sensitiveColumns: detail.schema.filter((column) => column.sensitive).map((column) => column.name),
    },
  };
}

/**
 * Fairness metrics as `reportMetrics` (src/evaluation) names them: `fairness.<attribute>.<metric>`
 * gives the attributes; a metric `<metric>.<attribute>.<group>` of a known attribute is that
 * group's. Only known attributes count, so an unrelated dotted name (`val.auc.last`) stays a metric.
 */
export function splitFairness(snapshot: Record<string, number | null>): {
  metrics: Record<string, number | null>;
  fairness: CardFairness[];
} {
  const tables = new Map<string, CardFairness>();
  const rest: Array<[string, number | null]> = [];
  for (const [key, value] of Object.entries(snapshot)) {
    const match = /^fairness\.(.+)\.([^.]+)$/.exec(key);
    if (match === null) {
      rest.push([key, value]);
      continue;
    }
    const [, attribute, metric] = match as unknown as [string, string, string];
    const table = tables.get(attribute) ?? { attribute, summary: {}, groups: [] };
    table.summary[metric] = value;
    tables.set(attribute, table);
  }
  // Longest attribute first: `age.band` must win over `age` for `recall.age.band.60_`.
  const attributes = [...tables.keys()].sort((a, b) => b.length - a.length);
  const metrics: Record<string, number | null> = {};
  for (const [key, value] of rest) {
    const dot = key.indexOf('.');
    const metric = key.slice(0, dot);
    const after = key.slice(dot + 1);
    const attribute =
      dot > 0 ? attributes.find((name) => after.startsWith(`${name}.`) && after.length > name.length + 1) : undefined;
    if (attribute === undefined) {
      metrics[key] = value;
      continue;
    }
    const group = after.slice(attribute.length + 1);
    const table = tables.get(attribute)!;
    let row = table.groups.find((entry) => entry.group === group);
    if (row === undefined) {
      row = { group, metrics: {} };
      table.groups.push(row);
    }
    row.metrics[metric] = value;
  }
  const fairness = [...tables.values()].sort((a, b) => compare(a.attribute, b.attribute));
  for (const table of fairness) {
    table.summary = sortedRecord(table.summary);
    table.groups.sort((a, b) => compare(a.group, b.group));
    for (const row of table.groups) row.metrics = sortedRecord(row.metrics);
  }
  return { metrics: sortedRecord(metrics), fairness };
}

// ── Markdown ─────────────────────────────────────────────────────────────────

/** The card as Markdown: one section per part of the card, in a fixed order. */
export function renderModelCard(card: ModelCard): string {
  const title = `${card.model.name} v${card.model.version}`;
  const sections = [
    `# Model card: ${title}`,
    `_Generated from the Ciclo model registry on ${iso(card.generatedTime)}. Format ${card.format}._`,
    section('Model details', modelDetails(card)),
    section('Description', [card.description?.trim() || 'Not stated for this version.']),
    section('Intended use', [
      card.intendedUse === null
        ? `Not stated. Record it with a version tag \`${INTENDED_USE_TAG}\` or a description.`
        : `${card.intendedUse.statement}\n\n_(from the ${card.intendedUse.source})_`,
    ]),
    section('Signature', signature(card.signature)),
    section('Training data', trainingData(card.trainingData)),
    section('Metrics', metricsTable(card.metrics)),
    section('Fairness', fairness(card.fairness)),
    section('Approvals', approvals(card)),
    section('Lineage', lineage(card.lineage)),
    section('Aliases and stages', [
      table(
        ['', ''],
        [
          [
            'aliases',
            card.aliases.length === 0
              ? 'none'
              : card.aliases.map((alias) => code(`${card.model.name}@${alias}`)).join(', '),
          ],
          ['stages', card.stages.length === 0 ? 'none' : card.stages.join(', ')],
        ],
      ),
    ]),
  ];
  return `${sections.join('\n\n')}\n`;
}

function modelDetails(card: ModelCard): string[] {
  const tags = Object.entries(card.tags);
  return [
    table(
      ['field', 'value'],
      [
        ['name', card.model.name],
        ['version', String(card.model.version)],
        ['status', card.status],
        ['flavor', card.flavor],
        ['registered', `${iso(card.createdTime)} by ${card.createdBy}`],
        ['source', code(card.source)],
        [
          'manifest digest',
          card.manifestDigest === null
            ? 'none: no verified package, so it cannot be approved or deployed'
            : code(card.manifestDigest),
        ],
        ['model description', card.model.description ?? 'not stated'],
      ],
    ),
    tags.length === 0
      ? 'Tags: none.'
      : table(
          ['tag', 'value'],
          tags.map(([key, value]) => [code(key), value]),
        ),
  ];
}

function signature(sig: ModelSignature): string[] {
  const columns = (list: ModelSignature['inputs']) =>
    list.length === 0
      ? 'none declared'
      : table(
          ['name', 'type'],
          list.map((column) => [code(column.name), column.type]),
        );
  return [`**Inputs**\n\n${columns(sig.inputs)}`, `**Outputs**\n\n${columns(sig.outputs)}`];
}

function trainingData(datasets: readonly CardDataset[]): string[] {
  if (datasets.length === 0) return ['No datasets were recorded as inputs of the run.'];
  return datasets.map((dataset) => {
    const head = `### ${dataset.name} (${dataset.context})\n\nDigest ${code(dataset.digest)}.`;
    if (dataset.registered === null) return `${head} Not a registered dataset version: no profile.`;
    const { registered } = dataset;
    const sensitive =
      registered.sensitiveColumns.length === 0 ? 'none' : registered.sensitiveColumns.map(code).join(', ');
    return [
      `${head} Version ${registered.version}, ${registered.format}, ` +
        `${registered.rowCount} rows, ${registered.columns.length} columns.`,
      `Sensitive columns: ${sensitive}.`,
      table(
        ['column', 'type', 'nullable', 'nulls', 'distinct', 'range', 'mean ± std', 'most frequent', 'sensitive'],
        registered.columns.map((column) => [
          code(column.name),
          column.type,
          column.nullable ? 'yes' : 'no',
          column.nulls === null ? '-' : String(column.nulls),
          ...statisticsCells(column.statistics),
          column.sensitive ? 'yes' : 'no',
        ]),
      ),
    ].join('\n\n');
  });
}

/** distinct, range, mean ± std and most frequent values, `-` where the profile has none. */
function statisticsCells(statistics: CardColumnStatistics | null): string[] {
  if (statistics === null) return ['-', '-', '-', '-'];
  const bound = (value: number | string | null | undefined) => (typeof value === 'string' ? value : number(value));
  const range = statistics.min === undefined ? '-' : `${bound(statistics.min)} … ${bound(statistics.max)}`;
  const mean =
    statistics.mean === undefined || statistics.mean === null
      ? '-'
      : `${number(statistics.mean)} ± ${number(statistics.std ?? null)}`;
  const top =
    statistics.topValues === undefined || statistics.topValues.length === 0
      ? '-'
      : statistics.topValues.map((entry) => `${code(entry.value)} (${entry.count})`).join(', ');
  return [statistics.distinct === null ? '-' : `~${statistics.distinct}`, range, mean, top];
}

function metricsTable(metrics: Record<string, number | null>): string[] {
  const entries = Object.entries(metrics);
  if (entries.length === 0) return ['No metrics were logged on the run.'];
  return [
    table(
      ['metric', 'value'],
      entries.map(([key, value]) => [code(key), number(value)]),
    ),
  ];
}

function fairness(tables: readonly CardFairness[]): string[] {
  if (tables.length === 0) return ['No fairness metrics (`fairness.<attribute>.<metric>`) were logged on the run.'];
  return tables.map((entry) => {
    const parts = [`### Attribute ${code(entry.attribute)}`];
    parts.push(
      table(
        ['metric', 'value'],
        Object.entries(entry.summary).map(([key, value]) => [key, number(value)]),
      ),
    );
    if (entry.groups.length > 0) {
      const names = [...new Set(entry.groups.flatMap((row) => Object.keys(row.metrics)))].sort(compare);
      parts.push(
        table(
          ['group', ...names],
          entry.groups.map((row) => [code(row.group), ...names.map((name) => number(row.metrics[name]))]),
        ),
      );
    }
    return parts.join('\n\n');
  });
}

function approvals(card: ModelCard): string[] {
  const { history, gates } = card.approvals;
  const parts = [`Status: **${card.status}**.`];
  if (history.length === 0 && gates.length === 0) {
    parts.push('No approval records.');
    return parts;
  }
  parts.push(
    history.length === 0
      ? 'No decisions recorded.'
      : table(
          ['time', 'decision', 'by', 'comment'],
          history.map((record) => [iso(record.time), record.decision, record.actor, record.comment ?? '']),
        ),
  );
  if (gates.length > 0) {
    parts.push(
      table(
        ['gate', 'result', 'observed', 'expected', 'message'],
        gates.map((gate) => [
          gate.gate,
          gate.passed ? 'passed' : 'failed',
          shown(gate.observed),
          shown(gate.expected),
          gate.message ?? '',
        ]),
      ),
    );
  }
  return parts;
}

function lineage(recorded: ModelLineage): string[] {
  return [
    table(
      ['', ''],
      [
        ['run', code(recorded.run)],
        ['pipeline run', recorded.pipeline_run === null ? 'none' : code(recorded.pipeline_run)],
        ['git commit', recorded.git_commit === null ? 'not recorded' : code(recorded.git_commit)],
        [
          'datasets',
          recorded.datasets.length === 0
            ? 'none'
            : recorded.datasets.map((d) => `${d.name} ${code(d.digest)} (${d.context})`).join('<br>'),
        ],
      ],
    ),
  ];
}

function section(title: string, body: readonly string[]): string {
  return [`## ${title}`, ...body].join('\n\n');
}

function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(headers), `|${headers.map(() => ' --- ').join('|')}|`, ...rows.map(line)].join('\n');
}

/** A table cell is one line, and `|` would end it. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function number(value: number | null | undefined): string {
  if (value === undefined) return '-';
  if (value === null) return 'not finite';
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

function shown(value: unknown): string {
  if (value === undefined || value === null) return '-';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function iso(time: number): string {
  return new Date(time).toISOString();
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compare(a, b)));
}

// ── files ────────────────────────────────────────────────────────────────────

/**
 * Writes `<name>-v<version>.md` and `.json` into `dir`, each through a temp file renamed into
 * place, so a reader never sees half a card. Returns the two paths.
 */
export async function writeModelCard(card: ModelCard, dir: string): Promise<{ markdown: string; json: string }> {
  await mkdir(dir, { recursive: true });
  const base = path.join(dir, `${card.model.name}-v${card.model.version}`);
  const markdown = `${base}.md`;
  const json = `${base}.json`;
  await writeAtomically(markdown, renderModelCard(card));
  await writeAtomically(json, `${JSON.stringify(card, null, 2)}\n`);
  return { markdown, json };
}

async function writeAtomically(file: string, content: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, content, { flush: true });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
