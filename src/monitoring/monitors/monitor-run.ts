import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeError, NotFoundError } from '../../common/errors.js';
import { DataEngine, sqlIdentifier } from '../../data/index.js';
import type { ModelSignature } from '../../registry/index.js';
import type { CaptureStore } from '../../serving/index.js';
import type { BaselineService } from '../baselines/service.js';
import type { Baseline } from '../baselines/types.js';
import { computeDataQuality } from '../statistics/data-quality.js';
import { computeDrift } from '../statistics/drift.js';
import { computeModelQuality } from '../statistics/model-quality.js';
import type { FeatureSpec, MetricValue } from '../types.js';
import type { MonitorDefinition } from './definition.js';
import type { ResultStatus } from './result-store.js';
import { loadWindow, type LoadedWindow, type WindowSpan } from './window.js';

const HOUR_MS = 3_600_000;
const WINDOW = 'traffic';
const REFERENCE = 'reference';
const REFERENCE_PREDICTIONS = 'reference_predictions';

/** What one run of a monitor found, before it is stored. */
export interface RunOutcome {
  status: ResultStatus;
  message: string | null;
  windowStart: number;
  windowEnd: number;
  rows: number;
  metrics: MetricValue[];
  details: Record<string, unknown>;
}

/** The served version a run judges: the deployment's, with its signature. */
export interface ServedTarget {
  deployment: string;
  model: string;
  version: number;
  signature: ModelSignature;
}

export interface MonitorRunDeps {
  captures: CaptureStore;
  baselines: BaselineService;
}

/**
 * One run of a monitor at `now`: the window of the serving version's captured rows, the reference (the version's
 * baseline or the window just before), then drift, data quality, prediction drift, model quality from feedback and
 * the custom SQL, each in DuckDB over tables loaded once. A window with no rows is `no_data` and computes nothing.
 */
export async function runMonitorOnce(
  deps: MonitorRunDeps,
  monitor: MonitorDefinition,
  target: ServedTarget,
  now: number,
): Promise<RunOutcome> {
  const features = featuresOf(monitor, target.signature);
  const engine = await DataEngine.open();
  const tempDir = await mkdtemp(join(tmpdir(), 'ciclo-monitor-'));
  try {
    const columns = {
      features,
      ...(monitor.prediction === undefined ? {} : { prediction: monitor.prediction }),
      groups: [...(monitor.quality?.segments ?? []), ...(monitor.quality?.sensitive ?? [])],
    };
    const source = { captures: deps.captures, deployment: target.deployment, version: target.version, tempDir };
    const span = currentSpan(monitor, now);
    const window = await loadWindow(engine, WINDOW, source, span, columns);
    const details: Record<string, unknown> = {
      deployment: target.deployment,
      model: target.model,
      version: target.version,
      reference: monitor.reference,
      files: window.files,
      labelled: window.labelled,
    };
    if (window.rows === 0) {
      return {
        ...windowFields(window),
        status: 'no_data',
        message: 'no captured rows in the window',
        metrics: [],
        details,
      };
    }
    const metrics: MetricValue[] = [{ metric: 'window.rows', value: window.rows }];
    const reference = await loadReference(deps, engine, monitor, target, span, columns, features);
    details.reference_rows = reference.rows;
    if (reference.problem !== undefined) {
      metrics.push({ metric: 'drift', value: null, reason: reference.problem });
    } else {
      const tests = { numeric: monitor.drift.numeric, categorical: monitor.drift.categorical };
      const compared = { reference: REFERENCE, current: WINDOW, features };
      metrics.push(...(await computeDrift(engine, { ...compared, tests, bins: monitor.drift.bins })));
      metrics.push(...(await computeDataQuality(engine, compared)));
      if (monitor.prediction !== undefined)
        metrics.push(...(await predictionDrift(engine, monitor, reference.predictions)));
    }
    if (monitor.quality !== undefined) metrics.push(...(await modelQuality(engine, monitor, window)));
    metrics.push(...(await customMetrics(engine, monitor)));
    return { ...windowFields(window), status: 'ok', message: null, metrics, details };
  } finally {
    engine.close();
    await rm(tempDir, { recursive: true, force: true });
  }
}

function windowFields(window: LoadedWindow): Pick<RunOutcome, 'windowStart' | 'windowEnd' | 'rows'> {
  return { windowStart: window.start, windowEnd: window.end, rows: window.rows };
}

function currentSpan(monitor: MonitorDefinition, now: number): WindowSpan {
  return 'hours' in monitor.window
    ? { kind: 'time', start: now - monitor.window.hours * HOUR_MS, end: now }
    : { kind: 'rows', rows: monitor.window.rows, end: now, skip: 0 };
}

/** The span just before the current one, as long (or as many rows). */
function previousSpan(span: WindowSpan): WindowSpan {
  return span.kind === 'time'
    ? { kind: 'time', start: span.start - (span.end - span.start), end: span.start }
    : { ...span, skip: span.skip + span.rows };
}

/**
 * The features a monitor watches: those it names, or every input of the version's signature; numeric for
 * number types, categorical for the rest (strings, booleans), unless the monitor says otherwise.
 */
export function featuresOf(monitor: MonitorDefinition, signature: ModelSignature): FeatureSpec[] {
  const typeOf = new Map(signature.inputs.map((input) => [input.name, input.type]));
  const kindOf = (name: string): FeatureSpec['kind'] =>
    /^(double|float|long|integer|int|number)/i.test(typeOf.get(name) ?? '') ? 'numeric' : 'categorical';
  if (monitor.features === undefined)
    return signature.inputs.map((input) => ({ name: input.name, kind: kindOf(input.name) }));
  return monitor.features.map((entry) =>
    typeof entry === 'string'
      ? { name: entry, kind: kindOf(entry) }
      : { name: entry.name, kind: entry.kind ?? kindOf(entry.name) },
  );
}

interface LoadedReference {
  rows: number;
  /** Why there is nothing to compare with (no baseline); drift is then not computed. */
  problem?: string;
  /** The reference predictions' table, when there are any. */
  predictions?: string;
}

async function loadReference(
  deps: MonitorRunDeps,
  engine: DataEngine,
  monitor: MonitorDefinition,
  target: ServedTarget,
  span: WindowSpan,
  columns: Parameters<typeof loadWindow>[4],
  features: readonly FeatureSpec[],
): Promise<LoadedReference> {
  if (monitor.reference === 'previous_window') {
    const source = {
      captures: deps.captures,
      deployment: target.deployment,
      version: target.version,
      tempDir: tmpdir(),
    };
    const previous = await loadWindow(engine, REFERENCE, source, previousSpan(span), columns);
    if (previous.rows === 0) return { rows: 0, problem: 'the previous window has no captured rows' };
    const predictions = monitor.prediction === undefined ? undefined : REFERENCE;
    return { rows: previous.rows, ...(predictions === undefined ? {} : { predictions }) };
  }
  const baseline = await deps.baselines.get(target.model, target.version).catch((error: unknown) => {
    if (error instanceof NotFoundError) return null;
    throw error;
  });
  if (baseline === null) {
    return {
      rows: 0,
      problem:
        `${target.model}/${target.version} has no baseline: register it from a pipeline that records its datasets, ` +
        `or set one with \`ciclo monitor baseline set ${target.model} ${target.version} --training DATASET\``,
    };
  }
  const relation = await deps.baselines.trainingRelation(engine, baseline);
  const present = new Set((await engine.all(`DESCRIBE ${relation}`)).map((row) => row.column_name as string));
  const selected = features.map((feature) => {
    const column = sqlIdentifier(feature.name);
    const type = feature.kind === 'numeric' ? 'DOUBLE' : 'VARCHAR';
    if (!present.has(feature.name)) return `NULL::${type} AS ${column}`;
    return `${feature.kind === 'numeric' ? 'TRY_CAST' : 'CAST'}(${column} AS ${type}) AS ${column}`;
  });
  await engine.run(`CREATE OR REPLACE TABLE ${REFERENCE} AS SELECT ${selected.join(', ')} FROM ${relation}`);
  const [count] = await engine.all(`SELECT count(*) AS n FROM ${REFERENCE}`);
  const predictions = await baselinePredictions(deps, engine, baseline, monitor.prediction);
  return { rows: Number(count?.n ?? 0), ...(predictions === undefined ? {} : { predictions }) };
}

async function baselinePredictions(
  deps: MonitorRunDeps,
  engine: DataEngine,
  baseline: Baseline,
  prediction: string | undefined,
): Promise<string | undefined> {
  if (prediction === undefined || baseline.predictions === null) return undefined;
  const relation = await deps.baselines.predictionsRelation(engine, baseline);
  if (relation === null) return undefined;
  await engine.run(
    `CREATE OR REPLACE TABLE ${REFERENCE_PREDICTIONS} AS
     SELECT TRY_CAST(${sqlIdentifier(baseline.predictions.column)} AS DOUBLE) AS ${sqlIdentifier(prediction)}
     FROM ${relation}`,
  );
  return REFERENCE_PREDICTIONS;
}

async function predictionDrift(
  engine: DataEngine,
  monitor: MonitorDefinition,
  reference: string | undefined,
): Promise<MetricValue[]> {
  const name = monitor.prediction!;
  if (reference === undefined) {
    return [
      {
        metric: 'prediction_drift',
        feature: name,
        value: null,
        reason: 'the reference has no predictions (the baseline was stored without scoring its evaluation set)',
      },
    ];
  }
  const drift = await computeDrift(engine, {
    reference,
    current: WINDOW,
    features: [{ name, kind: 'numeric' }],
    prefix: 'prediction_drift',
    tests: { numeric: monitor.drift.numeric },
    bins: monitor.drift.bins,
  });
  return drift;
}

async function modelQuality(
  engine: DataEngine,
  monitor: MonitorDefinition,
  window: LoadedWindow,
): Promise<MetricValue[]> {
  const quality = monitor.quality!;
  if (monitor.prediction === undefined) {
    return [
      { metric: 'model', value: null, reason: 'model quality needs `prediction:`, the output scored against feedback' },
    ];
  }
  if (window.labelled === 0) {
    return [{ metric: 'model.rows', value: 0, reason: "no feedback joined to the window's requests yet" }];
  }
  return computeModelQuality(engine, {
    relation: `(SELECT * FROM ${WINDOW} WHERE label IS NOT NULL AND ${sqlIdentifier(monitor.prediction)} IS NOT NULL)`,
    label: 'label',
    score: monitor.prediction,
    task: quality.task,
    threshold: quality.threshold,
    segments: quality.segments,
    sensitive: quality.sensitive,
  });
}

/**
 * A monitor's own SQL over `traffic` (the window), each statement answering one number. It runs last, after
 * DuckDB's access to files and the network is switched off (and the setting locked), so a monitor's author reads
 * the window and nothing else the server can reach.
 */
async function customMetrics(engine: DataEngine, monitor: MonitorDefinition): Promise<MetricValue[]> {
  if (monitor.custom.length === 0) return [];
  await engine.run('SET enable_external_access = false');
  await engine.run('SET lock_configuration = true');
  const values: MetricValue[] = [];
  for (const custom of monitor.custom) {
    const metric = `custom.${custom.name}`;
    try {
      const rows = await engine.all(custom.sql);
      const cells = rows.length === 1 ? Object.values(rows[0]!) : [];
      const value = cells.length === 1 ? cells[0] : undefined;
      if (value === null) values.push({ metric, value: null, reason: 'the query answered NULL' });
      else if (typeof value === 'number' && Number.isFinite(value)) values.push({ metric, value });
      else if (typeof value === 'boolean') values.push({ metric, value: value ? 1 : 0 });
      else {
        values.push({
          metric,
          value: null,
          reason:
            'the query must answer one row with one number ' +
            `(it answered ${rows.length} row(s) of ${cells.length} column(s))`,
        });
      }
    } catch (error) {
      values.push({ metric, value: null, reason: `the query failed: ${describeError(error)}` });
    }
  }
  return values;
}
