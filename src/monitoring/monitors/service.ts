import type { Kysely, Transaction } from 'kysely';
import { describeError, InvalidInputError, NotFoundError } from '../../common/errors.js';
import type { SourceMap } from '../../common/yaml-source.js';
import { currentActor, digestOf, type AuditLog } from '../../governance/index.js';
import type { ModelSignature, RegistryService } from '../../registry/index.js';
import type { CaptureStore, DeploymentService } from '../../serving/index.js';
import type { Schema } from '../../store/index.js';
import type { AlertEvent } from '../alerts/store.js';
import type { AlertService } from '../alerts/service.js';
import type { BaselineService } from '../baselines/service.js';
import { parseMonitor, parseMonitorYaml, type MonitorDefinition } from './definition.js';
import { featuresOf, runMonitorOnce } from './monitor-run.js';
import {
  deleteResults,
  insertResult,
  latestResults,
  latestValues,
  resultMetrics,
  series,
  type MonitorResult,
  type SeriesPoint,
} from './result-store.js';
import { deleteMonitor, findMonitor, listMonitors, saveMonitor, type StoredMonitor } from './store.js';

export interface MonitorServiceDeps {
  db: Kysely<Schema>;
  registry: RegistryService;
  deployments: DeploymentService;
  captures: CaptureStore;
  baselines: BaselineService;
  alerts: AlertService;
  /** Where applying and deleting a monitor is recorded (`monitor.apply`, `monitor.delete`). */
  audit?: AuditLog;
  now?: () => number;
}

/** A monitor to create or replace, parsed from its YAML (a file, or a mapping inside ciclo.yaml). */
export interface MonitorToApply {
  monitor: MonitorDefinition;
  source: SourceMap;
  /** The text stored as the monitor's source. */
  text: string;
}

export interface ApplyOptions {
  /**
   * The deployment access control judged (REST: the one the YAML names, parsed by the route's rule; null when it
   * found none). The text must name exactly it.
   */
  judgedDeployment?: string | null;
}

/** A stored monitor with its parsed definition. */
export interface Monitor extends StoredMonitor {
  parsed: MonitorDefinition;
}

/** A run's stored result with the alert events it caused. */
export interface MonitorRun extends MonitorResult {
  alerts: AlertEvent[];
}

/**
 * Monitors (docs/monitoring.md): applied from YAML, each watching one deployment in its project; `run` reads the
 * window of the serving version's captured traffic, computes every metric in DuckDB, stores the values as a time
 * series, then lets the alert rules judge them. A failure inside a run (a capture file gone, a DuckDB error) is
 * stored as a `failed` result with its message, which no rule fires on.
 */
export class MonitorService {
  readonly #deps: MonitorServiceDeps;
  readonly #now: () => number;

  constructor(deps: MonitorServiceDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /**
   * Creates or replaces a monitor from its YAML text. The deployment must exist (the monitor joins its project),
   * and the features and columns it names must be the serving version's inputs or outputs.
   */
  async apply(text: string, fileName: string, options: ApplyOptions = {}): Promise<Monitor> {
    const { monitor: parsed, source } = parseMonitorYaml(text, fileName);
    const stored = await this.#checked({ monitor: parsed, source, text }, options);
    await this.#deps.db.transaction().execute((trx) => this.#save(trx, stored));
    return { ...stored, parsed };
  }

  /**
   * `ciclo apply`'s changes to monitors, in one transaction: every monitor checked first as `apply` checks it, then
   * all saved and the removed ones deleted with their results, or nothing.
   */
  async applyMonitorChanges(changes: { set: readonly MonitorToApply[]; remove: readonly string[] }): Promise<void> {
    const checked: StoredMonitor[] = [];
    for (const entry of changes.set) checked.push(await this.#checked(entry, {}));
    await this.#deps.db.transaction().execute(async (trx) => {
      for (const stored of checked) await this.#save(trx, stored);
      for (const name of changes.remove) await this.#delete(trx, name);
    });
  }

  /** The monitor as it will be stored, once its deployment, columns and name are checked. */
  async #checked({ monitor: parsed, source, text }: MonitorToApply, options: ApplyOptions): Promise<StoredMonitor> {
    const actor = currentActor().actor;
    if (options.judgedDeployment !== undefined && options.judgedDeployment !== parsed.deployment) {
      // Cannot happen when the access rule and this parse agree; refused rather than applied unjudged.
      throw new InvalidInputError('deployment: the monitor names a deployment access control did not judge', {
        where: source.locate(['deployment'], 'value'),
      });
    }
    const deployment = await this.#deps.deployments.show(parsed.deployment);
    if (deployment.servingVersion !== null) {
      const version = await this.#deps.registry.show(deployment.modelName, deployment.servingVersion);
      checkColumns(parsed, version.signature, source);
    }
    const existing = await findMonitor(this.#deps.db, parsed.name);
    if (existing !== undefined && existing.project !== deployment.project) {
      throw new InvalidInputError(`monitor "${parsed.name}" already exists in another project`, {
        where: source.locate(['name'], 'value'),
        hint: 'Pick another name, or delete that monitor first.',
      });
    }
    const now = this.#now();
    return {
      name: parsed.name,
      project: deployment.project,
      deployment: parsed.deployment,
      definition: JSON.stringify(parsed),
      source: text,
      createdBy: existing?.createdBy ?? actor,
      createdTime: existing?.createdTime ?? now,
      updatedTime: now,
    };
  }

  async #save(trx: Transaction<Schema>, stored: StoredMonitor): Promise<void> {
    const before = await findMonitor(trx, stored.name);
    await saveMonitor(trx, stored);
    await this.#deps.audit?.append(
      {
        action: 'monitor.apply',
        target: { type: 'monitor', id: stored.name },
        beforeDigest: before === undefined ? null : digestOf(before.definition),
        afterDigest: digestOf(stored.definition),
        details: { deployment: stored.deployment, project: stored.project },
      },
      trx,
    );
  }

  async #delete(trx: Transaction<Schema>, name: string): Promise<void> {
    const before = await findMonitor(trx, name);
    if (before === undefined) return;
    await deleteResults(trx, name);
    await deleteMonitor(trx, name);
    await this.#deps.audit?.append(
      {
        action: 'monitor.delete',
        target: { type: 'monitor', id: name },
        beforeDigest: digestOf(before.definition),
        afterDigest: null,
      },
      trx,
    );
  }

  async show(name: string): Promise<Monitor> {
    const stored = await findMonitor(this.#deps.db, name);
    if (stored === undefined) {
      throw new NotFoundError(`monitor "${name}" does not exist`, { hint: 'List monitors with `ciclo monitor list`.' });
    }
    return { ...stored, parsed: parseMonitor(JSON.parse(stored.definition)) };
  }

  /** Monitors in these projects (all without a filter), by name. */
  async list(projects?: readonly string[]): Promise<Monitor[]> {
    const stored = await listMonitors(this.#deps.db, projects);
    return stored.map((monitor) => ({ ...monitor, parsed: parseMonitor(JSON.parse(monitor.definition)) }));
  }

  /** Deletes the monitor and its results; its alert history stays (as a deployment's does). */
  async delete(name: string): Promise<void> {
    await this.show(name);
    await this.#deps.db.transaction().execute((trx) => this.#delete(trx, name));
  }

  /** Runs the monitor over its window ending now, stores the result and judges it by the alert rules. */
  async run(name: string): Promise<MonitorRun> {
    const monitor = await this.show(name);
    const time = this.#now();
    const outcome = await this.#outcome(monitor, time);
    const id = await this.#deps.db
      .transaction()
      .execute((trx) => insertResult(trx, { monitor: name, time, ...outcome }));
    const alerts = await this.#deps.alerts.evaluate(
      { name, deployment: monitor.deployment, project: monitor.project },
      monitor.parsed.alerts,
      {
        id,
        time,
        status: outcome.status,
        metrics: outcome.metrics,
        window: { start: outcome.windowStart, end: outcome.windowEnd },
      },
    );
    return { id, monitor: name, time, ...outcome, alerts };
  }

  async #outcome(monitor: Monitor, time: number): Promise<Omit<MonitorResult, 'id' | 'monitor' | 'time'>> {
    const empty = { windowStart: time, windowEnd: time, rows: 0, metrics: [], details: {} };
    try {
      const deployment = await this.#deps.deployments.show(monitor.deployment);
      if (deployment.servingVersion === null) {
        return { ...empty, status: 'no_data', message: `deployment "${deployment.name}" serves no version yet` };
      }
      const version = await this.#deps.registry.show(deployment.modelName, deployment.servingVersion);
      const target = {
        deployment: deployment.name,
        model: deployment.modelName,
        version: deployment.servingVersion,
        signature: version.signature,
      };
      return await runMonitorOnce(this.#deps, monitor.parsed, target, time);
    } catch (error) {
      return { ...empty, status: 'failed', message: describeError(error) };
    }
  }

  /** The latest results, newest first, each with its values. */
  async results(name: string, limit = 20): Promise<MonitorResult[]> {
    await this.show(name);
    const results = await latestResults(this.#deps.db, name, limit);
    return Promise.all(
      results.map(async (result) => ({ ...result, metrics: await resultMetrics(this.#deps.db, result.id) })),
    );
  }

  /** One metric over time (of one feature or segment), oldest first. */
  async series(
    name: string,
    key: { metric: string; feature?: string; segment?: string },
    limit = 50,
  ): Promise<SeriesPoint[]> {
    await this.show(name);
    return series(this.#deps.db, name, key, limit);
  }

  /** Every monitor's latest values, for the Prometheus gauges. */
  latestValues(): ReturnType<typeof latestValues> {
    return latestValues(this.#deps.db);
  }
}

/** The columns a monitor names must be the version's: a typo is caught when it is applied, not at 3 a.m. */
function checkColumns(monitor: MonitorDefinition, signature: ModelSignature, source: SourceMap): void {
  const inputs = new Set(signature.inputs.map((input) => input.name));
  const outputs = new Set(signature.outputs.map((output) => output.name));
  for (const [index, feature] of featuresOf(monitor, signature).entries()) {
    if (!inputs.has(feature.name)) {
      throw new InvalidInputError(`features[${index}]: "${feature.name}" is not an input of the served version`, {
        where: source.locate(['features', index], 'value'),
        hint: `Its inputs are: ${[...inputs].join(', ')}.`,
      });
    }
  }
  if (monitor.prediction !== undefined && !outputs.has(monitor.prediction)) {
    throw new InvalidInputError(`prediction: "${monitor.prediction}" is not an output of the served version`, {
      where: source.locate(['prediction'], 'value'),
      hint: `Its outputs are: ${[...outputs].join(', ')}.`,
    });
  }
}
