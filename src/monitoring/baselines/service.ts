import type { Kysely } from 'kysely';
import type { BlobStore } from '../../artifacts/index.js';
import { InvalidStateError, NotFoundError } from '../../common/errors.js';
import { parseInput } from '../../common/validation.js';
import {
  DataEngine,
  readFilesSql,
  sqlString,
  type DatasetService,
  type DatasetVersion,
  type DatasetVersionDetail,
} from '../../data/index.js';
import { digestOf, type AuditLog } from '../../governance/index.js';
import type { PipelineService } from '../../pipelines/index.js';
import type { ModelVersion, RegistryService } from '../../registry/index.js';
import type { ModelLoader } from '../../serving/index.js';
import type { Schema } from '../../store/index.js';
import { scoreEvaluationSet, type ScoredEvaluation } from './predictions.js';
import { lineageDatasetRoles } from './roles.js';
import { deleteBaseline, findBaseline, saveBaseline } from './store.js';
import {
  BASELINE_ROLES,
  ExplicitDatasetsSchema,
  type Baseline,
  type BaselineDataset,
  type BaselineRole,
  type BaselineSource,
  type ExplicitDatasets,
} from './types.js';

/** Who records a baseline found through lineage: the registration, not a person. */
const LINEAGE_ACTOR = 'ciclo';

export interface BaselineDeps {
  db: Kysely<Schema>;
  /** Where the predictions' Parquet blobs go (the artifact store). */
  blobs: BlobStore;
  datasets: Pick<DatasetService, 'resolveWithDetail'>;
  registry: Pick<RegistryService, 'show'>;
  /** Loads the version to score the evaluation set (serving's loader, so it scores as it would serve). */
  loader: Pick<ModelLoader, 'loadVersion'>;
  /** Tells training from evaluation datasets by the step that read them (roles.ts); without it, by context. */
  pipelines?: Pick<PipelineService, 'getRun'>;
  audit?: AuditLog;
  /** Where failures of background recording are reported (they never reach the registration). */
  log?: (message: string) => void;
  now?: () => number;
  /** Evaluation rows scored per model call, and at most (predictions.ts). */
  batchRows?: number;
  maxRows?: number;
}

/**
 * Baselines of registered versions: recorded from lineage when a version is registered (or named by
 * hand), read by monitors as DuckDB relations. A baseline holds each dataset version with its role and
 * the profile the data capability stored at its registration, and the version's predictions on the
 * evaluation set (a Parquet blob and its summary), or why there are none.
 */
export class BaselineService {
  readonly #deps: BaselineDeps;
  readonly #now: () => number;
  readonly #pending = new Set<Promise<void>>();

  constructor(deps: BaselineDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /**
   * The version's baseline from its lineage datasets; a version without any gets none (and loses a
   * stale one). Answers what was stored.
   */
  async recordFromLineage(model: string, version: number): Promise<Baseline | undefined> {
    const registered = await this.#deps.registry.show(model, version);
    const found = await lineageDatasetRoles(registered, this.#deps.pipelines);
    if (found.length === 0) {
      await deleteBaseline(this.#deps.db, model, version);
      return undefined;
    }
    const datasets = await Promise.all(
      found.map(async ({ name, digest, role }) => ({
        role,
        ...(await this.#deps.datasets.resolveWithDetail(`${name}@${digest}`)),
      })),
    );
    return this.#record(registered, 'lineage', datasets, LINEAGE_ACTOR);
  }

  /** Registration's hook: records the baseline off the caller's path; failures are logged (see `settled`). */
  recordInBackground(model: string, version: number): void {
    const work = this.recordFromLineage(model, version).then(
      () => undefined,
      (error: unknown) => this.#deps.log?.(`baseline of ${model}/${version} not recorded: ${(error as Error).message}`),
    );
    this.#pending.add(work);
    void work.finally(() => this.#pending.delete(work));
  }

  /** Resolves once every baseline recorded in the background is stored (a process awaits it before exiting). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /**
   * A baseline named by hand (a version without lineage, or one whose lineage is not what it should
   * be compared with): replaces the stored one, audited as `model.baseline.set`.
   */
  async setExplicit(model: string, version: number, references: ExplicitDatasets, actor: string): Promise<Baseline> {
    const request = parseInput(ExplicitDatasetsSchema, references);
    const registered = await this.#deps.registry.show(model, version);
    const datasets: { role: BaselineRole; version: DatasetVersion; detail: DatasetVersionDetail }[] = [
      { role: 'training', ...(await this.#resolve(request.training, 'training')) },
    ];
    if (request.evaluation !== undefined) {
      datasets.push({ role: 'evaluation', ...(await this.#resolve(request.evaluation, 'evaluation')) });
    }
    const before = await findBaseline(this.#deps.db, model, version);
    const baseline = await this.#record(registered, 'explicit', datasets, actor);
    await this.#deps.audit?.append({
      action: 'model.baseline.set',
      target: { type: 'model_version', id: `${model}/${version}` },
      beforeDigest: digestOf(before === undefined ? null : before.datasets.map(datasetKey)),
      afterDigest: digestOf(baseline.datasets.map(datasetKey)),
      actor,
      details: { datasets: baseline.datasets.map((dataset) => `${dataset.role}: ${dataset.name}@${dataset.version}`) },
    });
    return baseline;
  }

  async get(model: string, version: number): Promise<Baseline> {
    const baseline = await findBaseline(this.#deps.db, model, version);
    if (baseline !== undefined) return baseline;
    await this.#deps.registry.show(model, version);
    throw new NotFoundError(`${model}/${version} has no baseline`, {
      where: `${model}/${version}`,
      hint: `Name its datasets with \`ciclo monitor baseline set ${model} ${version} --training NAME@VERSION\`.`,
    });
  }

  /** A view over the baseline's training dataset version's files in `engine`; answers its name. */
  async trainingRelation(engine: DataEngine, baseline: Baseline): Promise<string> {
    const training = baseline.datasets.find((dataset) => dataset.role === 'training');
    if (training === undefined) {
      throw new InvalidStateError(`the baseline of ${baseline.model}/${baseline.version} has no training dataset`, {
        where: `${baseline.model}/${baseline.version}`,
        hint: `Name one with \`ciclo monitor baseline set ${baseline.model} ${baseline.version} --training NAME@3\`.`,
      });
    }
    const { version } = await this.#deps.datasets.resolveWithDetail(`${training.name}@${training.digest}`);
    const view = relationName('training', baseline);
    await engine.run(
      `CREATE OR REPLACE TEMP VIEW ${view} AS SELECT * FROM ${readFilesSql(version.files, version.format)}`,
    );
    return view;
  }

  /**
   * A view over the scored evaluation rows (their columns and the prediction, named by the summary's
   * `column`) in `engine`; null when the baseline has no predictions.
   */
  async predictionsRelation(engine: DataEngine, baseline: Baseline): Promise<string | null> {
    if (baseline.predictionsDigest === null) return null;
    const file = await this.#deps.blobs.localFile(baseline.predictionsDigest);
    const view = relationName('predictions', baseline);
    await engine.run(`CREATE OR REPLACE TEMP VIEW ${view} AS SELECT * FROM read_parquet(${sqlString(file)})`);
    return view;
  }

  async #resolve(
    reference: string,
    field: BaselineRole,
  ): Promise<{ version: DatasetVersion; detail: DatasetVersionDetail }> {
    try {
      return await this.#deps.datasets.resolveWithDetail(reference);
    } catch (error) {
      if (error instanceof NotFoundError) throw new NotFoundError(error.message, { ...error.details, where: field });
      throw error;
    }
  }

  async #record(
    registered: ModelVersion,
    source: BaselineSource,
    resolved: readonly { role: BaselineRole; version: DatasetVersion; detail: DatasetVersionDetail }[],
    actor: string,
  ): Promise<Baseline> {
    const evaluation = resolved.find((dataset) => dataset.role === 'evaluation');
    const scored = evaluation === undefined ? undefined : await this.#score(registered, evaluation.version);
    const baseline: Baseline = {
      model: registered.name,
      version: registered.version,
      source,
      // Training first, then evaluation, each by name: the order lineage lists inputs in is no order.
      datasets: resolved
        .map(({ role, detail }) => baselineDataset(role, detail))
        .sort(
          (a, b) => BASELINE_ROLES.indexOf(a.role) - BASELINE_ROLES.indexOf(b.role) || a.name.localeCompare(b.name),
        ),
      predictions: scored !== undefined && 'summary' in scored ? scored.summary : null,
      predictionsDigest: scored !== undefined && 'digest' in scored ? scored.digest : null,
      predictionsError: scored === undefined ? 'no evaluation dataset' : 'error' in scored ? scored.error : null,
      createdBy: actor,
      createdTime: this.#now(),
    };
    await saveBaseline(this.#deps.db, baseline);
    return baseline;
  }

  /** The version's predictions on the evaluation set, or why none: a model that fails never fails the baseline. */
  async #score(registered: ModelVersion, evaluation: DatasetVersion): Promise<ScoredEvaluation | { error: string }> {
    let engine: DataEngine | undefined;
    let model: Awaited<ReturnType<ModelLoader['loadVersion']>> | undefined;
    try {
      model = await this.#deps.loader.loadVersion(registered, { batching: false });
      engine = await DataEngine.open({ threads: 1 });
      const options = {
        ...(this.#deps.batchRows === undefined ? {} : { batchRows: this.#deps.batchRows }),
        ...(this.#deps.maxRows === undefined ? {} : { maxRows: this.#deps.maxRows }),
      };
      return await scoreEvaluationSet(engine, this.#deps.blobs, model, evaluation, options);
    } catch (error) {
      const failed = model === undefined ? 'the model failed to load' : 'the model failed to score';
      const reason = `${failed}: ${(error as Error).message}`;
      this.#deps.log?.(`baseline of ${registered.name}/${registered.version}: ${reason}`);
      return { error: reason };
    } finally {
      engine?.close();
      await model?.close();
    }
  }
}

function baselineDataset(role: BaselineRole, detail: DatasetVersionDetail): BaselineDataset {
  return {
    name: detail.name,
    version: detail.version,
    digest: detail.digest,
    role,
    format: detail.format,
    rowCount: detail.rowCount,
    schema: detail.schema,
    profile: detail.profile,
  };
}

function datasetKey(dataset: BaselineDataset): string {
  return `${dataset.role}:${dataset.name}@${dataset.digest}`;
}

/** A view name that needs no quoting: the model name's other characters as `_`, and the version. */
function relationName(kind: 'training' | 'predictions', baseline: Baseline): string {
  return `baseline_${kind}_${baseline.model.replace(/[^A-Za-z0-9_]/g, '_')}_${baseline.version}`;
}
