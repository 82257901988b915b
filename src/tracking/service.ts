import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { RunArtifacts } from '../artifacts/index.js';
import { AlreadyExistsError, InvalidInputError, InvalidStateError, NotFoundError } from '../common/errors.js';
import { parseInput } from '../common/validation.js';
import type { Schema } from '../store/schema.js';
import * as experiments from './experiment-store.js';
import { insertMetrics, readMetricHistory } from './metric-store.js';
import * as runs from './run-store.js';
import { decodePageToken, encodePageToken, searchExperimentIds, searchRunIds } from './search/index.js';
import {
  CreateExperimentSchema,
  CreateRunSchema,
  DatasetInputSchema,
  KeySchema,
  LIMITS,
  LogBatchSchema,
  SearchExperimentsSchema,
  SearchRunsSchema,
  SYSTEM_TAGS,
  TagInputSchema,
  toMetricNumber,
  UpdateRunSchema,
  type CreateExperimentInput,
  type CreateRunInput,
  type DatasetInput,
  type Experiment,
  type LogBatchInput,
  type Metric,
  type MetricInput,
  type Page,
  type Run,
  type RunInfo,
  type SearchExperimentsInput,
  type SearchRunsInput,
  type UpdateRunInput,
} from './types.js';

const HISTORY_PAGE_DEFAULT = 25_000;

/**
 * Experiment tracking: every operation of C3, over the metadata store and the artifact store.
 * Rules live here (params are immutable, deleted runs take no writes, batches are all-or-nothing);
 * the HTTP routes and the SDK only translate into these calls.
 */
export class TrackingService {
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly artifacts: RunArtifacts,
    private readonly now: () => number = Date.now,
  ) {}

  // ── experiments ──────────────────────────────────────────────────────────────

  async createExperiment(input: CreateExperimentInput): Promise<Experiment> {
    const { name, artifactLocation, tags } = parseInput(CreateExperimentSchema, input);
    if (tags) for (const key of Object.keys(tags)) parseInput(KeySchema, key, `tags.${key}`);
    const id = await this.db.transaction().execute(async (trx) => {
      if ((await experiments.findExperimentIdByName(trx, name)) !== undefined) {
        throw new AlreadyExistsError(`experiment '${name}' already exists`, {
          where: 'name',
          hint: 'choose another name, or get the existing experiment by name',
        });
      }
      const created = await experiments.insertExperiment(trx, { name, artifactLocation, now: this.now() });
      if (tags) await experiments.upsertExperimentTags(trx, created, tags);
      return created;
    });
    return this.getExperiment(String(id));
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    const [experiment] = await experiments.loadExperiments(this.db, [parseExperimentId(experimentId)]);
    if (!experiment) throw new NotFoundError(`no experiment with id ${experimentId}`, { where: 'experiment_id' });
    return experiment;
  }

  async getExperimentByName(name: string): Promise<Experiment> {
    const id = await experiments.findExperimentIdByName(this.db, name);
    if (id === undefined) throw new NotFoundError(`no experiment named '${name}'`, { where: 'experiment_name' });
    return this.getExperiment(String(id));
  }

  /** The experiment with this name, created when missing: what `startRun({experiment})` wants. */
  async getOrCreateExperiment(name: string): Promise<Experiment> {
    const id = await experiments.findExperimentIdByName(this.db, name);
    if (id !== undefined) return this.getExperiment(String(id));
    try {
      return await this.createExperiment({ name });
    } catch (error) {
      if (error instanceof AlreadyExistsError) return this.getExperimentByName(name);
      throw error;
    }
  }

  async searchExperiments(input: SearchExperimentsInput = {}): Promise<Page<Experiment>> {
    const request = parseInput(SearchExperimentsSchema, input);
    const { experimentIds, nextPageToken } = await searchExperimentIds(this.db, request);
    const items = await experiments.loadExperiments(this.db, experimentIds);
    return nextPageToken ? { items, nextPageToken } : { items };
  }

  async renameExperiment(experimentId: string, newName: string): Promise<Experiment> {
    const id = (await this.getExperiment(experimentId)).experimentId;
    const name = parseInput(CreateExperimentSchema.shape.name, newName, 'new_name');
    await this.db.transaction().execute(async (trx) => {
      const holder = await experiments.findExperimentIdByName(trx, name);
      if (holder !== undefined && String(holder) !== id) {
        throw new AlreadyExistsError(`experiment '${name}' already exists`, { where: 'new_name' });
      }
      await experiments.updateExperiment(trx, Number(id), { name, now: this.now() });
    });
    return this.getExperiment(id);
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    const experiment = await this.getExperiment(experimentId);
    const tag = parseInput(TagInputSchema, { key, value });
    await experiments.upsertExperimentTags(this.db, Number(experiment.experimentId), { [tag.key]: tag.value });
  }

  /** Deleting an experiment also moves its runs to the deleted stage, as MLflow does. */
  async deleteExperiment(experimentId: string): Promise<void> {
    await this.setExperimentStage(experimentId, 'deleted');
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    await this.setExperimentStage(experimentId, 'active');
  }

  private async setExperimentStage(experimentId: string, stage: 'active' | 'deleted'): Promise<void> {
    const experiment = await this.getExperiment(experimentId);
    if (experiment.experimentId === '0' && stage === 'deleted') {
      throw new InvalidInputError('the Default experiment (id 0) cannot be deleted', { where: 'experiment_id' });
    }
    const now = this.now();
    await this.db.transaction().execute(async (trx) => {
      await experiments.updateExperiment(trx, Number(experiment.experimentId), { lifecycleStage: stage, now });
      await trx
        .updateTable('runs')
        .set({ lifecycle_stage: stage, deleted_time: stage === 'deleted' ? now : null })
        .where('experiment_id', '=', Number(experiment.experimentId))
        .execute();
    });
  }

  // ── runs ─────────────────────────────────────────────────────────────────────

  async createRun(input: CreateRunInput): Promise<Run> {
    const request = parseInput(CreateRunSchema, input);
    const experiment = await this.getExperiment(request.experimentId);
    if (experiment.lifecycleStage !== 'active') {
      throw new InvalidStateError(`experiment ${experiment.experimentId} is deleted`, {
        where: 'experiment_id',
        hint: 'restore the experiment first, or log to another one',
      });
    }
    const tags = Object.entries(request.tags ?? {}).map(([key, value], i) => parseInput(TagInputSchema, { key, value }, `tags[${i}]`));
    const parentRunId = request.parentRunId ?? request.tags?.[SYSTEM_TAGS.parentRunId];
    if (parentRunId !== undefined) await this.requireRun(parentRunId, 'parent_run_id');

    const runId = randomUUID().replaceAll('-', '');
    const runName = request.runName ?? request.tags?.[SYSTEM_TAGS.runName] ?? `run-${runId.slice(0, 8)}`;
    const userId = request.userId ?? request.tags?.[SYSTEM_TAGS.user] ?? '';
    const systemTags = [
      { key: SYSTEM_TAGS.runName, value: runName },
      ...(userId ? [{ key: SYSTEM_TAGS.user, value: userId }] : []),
      ...(parentRunId ? [{ key: SYSTEM_TAGS.parentRunId, value: parentRunId }] : []),
    ];
    const row: runs.RunRow = {
      run_uuid: runId,
      experiment_id: Number(experiment.experimentId),
      run_name: runName,
      user_id: userId,
      status: 'RUNNING',
      start_time: request.startTime ?? this.now(),
      end_time: null,
      lifecycle_stage: 'active',
      artifact_uri: `${experiment.artifactLocation.replace(/\/+$/, '')}/${runId}/artifacts`,
      parent_run_id: parentRunId ?? null,
      deleted_time: null,
    };
    const allTags = [...tags, ...systemTags];
    await this.db.transaction().execute(async (trx) => {
      await runs.insertRun(trx, row);
      await runs.upsertTags(trx, runId, allTags);
    });
    // A new run holds exactly what was just written: built here rather than read back.
    return {
      info: runs.toRunInfo(row),
      data: { metrics: [], params: {}, tags: Object.fromEntries(allTags.map((tag) => [tag.key, tag.value])) },
      inputs: [],
    };
  }

  async getRun(runId: string): Promise<Run> {
    const [run] = await runs.loadRuns(this.db, [runId]);
    if (!run) throw notFoundRun(runId);
    return run;
  }

  async updateRun(runId: string, input: UpdateRunInput): Promise<RunInfo> {
    const changes = parseInput(UpdateRunSchema, input);
    const current = await this.requireActiveRun(runId);
    const rowChanges: Partial<runs.RunRow> = {
      ...(changes.status ? { status: changes.status } : {}),
      ...(changes.endTime !== undefined ? { end_time: changes.endTime } : {}),
      ...(changes.status && changes.status !== 'RUNNING' && changes.endTime === undefined ? { end_time: this.now() } : {}),
      ...(changes.runName !== undefined ? { run_name: changes.runName } : {}),
    };
    await this.db.transaction().execute(async (trx) => {
      await runs.updateRunRow(trx, runId, rowChanges);
      if (changes.runName !== undefined) await runs.upsertTags(trx, runId, [{ key: SYSTEM_TAGS.runName, value: changes.runName }]);
    });
    return runs.toRunInfo({ ...current, ...rowChanges });
  }

  async deleteRun(runId: string): Promise<void> {
    await this.requireRun(runId);
    await runs.updateRunRow(this.db, runId, { lifecycle_stage: 'deleted', deleted_time: this.now() });
  }

  async restoreRun(runId: string): Promise<void> {
    await this.requireRun(runId);
    await runs.updateRunRow(this.db, runId, { lifecycle_stage: 'active', deleted_time: null });
  }

  async searchRuns(input: SearchRunsInput): Promise<Page<Run>> {
    const request = parseInput(SearchRunsSchema, input);
    const { runIds, nextPageToken } = await searchRunIds(this.db, {
      ...request,
      experimentIds: request.experimentIds.map(Number),
    });
    const items = await runs.loadRuns(this.db, runIds);
    return nextPageToken ? { items, nextPageToken } : { items };
  }

  // ── logging ──────────────────────────────────────────────────────────────────

  async logMetric(runId: string, metric: MetricInput): Promise<void> {
    await this.logBatch(runId, { metrics: [metric] });
  }

  async logParam(runId: string, key: string, value: string): Promise<void> {
    await this.logBatch(runId, { params: [{ key, value }] });
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.logBatch(runId, { tags: [{ key, value }] });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    await this.requireActiveRun(runId);
    if ((await runs.deleteTag(this.db, runId, key)) === 0) {
      throw new NotFoundError(`run ${runId} has no tag '${key}'`, { where: 'key' });
    }
  }

  /**
   * All-or-nothing: every entry is validated before anything is written, and the writes share one
   * transaction, so a bad metric at index 900 leaves the first 899 unwritten too.
   */
  async logBatch(runId: string, input: LogBatchInput): Promise<void> {
    const batch = parseInput(LogBatchSchema, input);
    const total = batch.metrics.length + batch.params.length + batch.tags.length;
    if (total > LIMITS.batchTotal) {
      throw new InvalidInputError(`a batch may hold at most ${LIMITS.batchTotal} metrics, params and tags together (got ${total})`, {
        hint: 'split the batch',
      });
    }
    const now = this.now();
    const metrics: Metric[] = batch.metrics.map((m) => ({
      key: m.key,
      value: toMetricNumber(m.value),
      timestamp: m.timestamp ?? now,
      step: m.step ?? 0,
    }));
    const params = dedupeParams(batch.params);
    await this.db.transaction().execute(async (trx) => {
      await this.requireActiveRun(runId, trx);
      if (params.length > 0) {
        const existing = await runs.findParams(trx, runId, params.map((p) => p.key));
        for (const [i, param] of params.entries()) {
          const old = existing.get(param.key);
          if (old !== undefined && old !== param.value) {
            throw new InvalidInputError(
              `param '${param.key}' was already logged with value '${old}'; params are immutable (new value '${param.value}')`,
              { where: `params[${i}].value`, hint: 'log the changed value under another key, or start a new run' },
            );
          }
        }
        await runs.insertParams(trx, runId, params);
      }
      await insertMetrics(trx, runId, metrics);
      if (batch.tags.length > 0) {
        await runs.upsertTags(trx, runId, batch.tags);
        const renamed = batch.tags.findLast((t) => t.key === SYSTEM_TAGS.runName);
        if (renamed) await runs.updateRunRow(trx, runId, { run_name: renamed.value });
      }
    });
  }

  async logInputs(runId: string, datasets: readonly unknown[]): Promise<void> {
    const inputs: DatasetInput[] = datasets.map((d, i) => parseInput(DatasetInputSchema, d, `datasets[${i}]`));
    await this.db.transaction().execute(async (trx) => {
      await this.requireActiveRun(runId, trx);
      await runs.insertInputs(trx, runId, inputs);
    });
  }

  async getMetricHistory(
    runId: string,
    key: string,
    page: { maxResults?: number | undefined; pageToken?: string | undefined } = {},
  ): Promise<Page<Metric>> {
    await this.requireRun(runId);
    const limit = page.maxResults ?? HISTORY_PAGE_DEFAULT;
    const offset = page.pageToken ? decodePageToken(page.pageToken).offset : 0;
    const items = await readMetricHistory(this.db, runId, key, { offset, limit: limit + 1 });
    if (items.length <= limit) return { items };
    return { items: items.slice(0, limit), nextPageToken: encodePageToken({ offset: offset + limit }) };
  }

  // ── artifacts ────────────────────────────────────────────────────────────────

  async logArtifact(runId: string, artifactPath: string, content: Readable) {
    await this.requireActiveRun(runId);
    return this.artifacts.put(runId, artifactPath, content);
  }

  async logArtifactFile(runId: string, localFile: string, artifactPath: string) {
    await this.requireActiveRun(runId);
    return this.artifacts.putFile(runId, artifactPath, localFile);
  }

  async logArtifactDirectory(runId: string, localDir: string, artifactDir: string) {
    await this.requireActiveRun(runId);
    return this.artifacts.putDirectory(runId, artifactDir, localDir);
  }

  async listArtifacts(runId: string, dir?: string) {
    await this.requireRun(runId);
    return this.artifacts.list(runId, dir);
  }

  async openArtifact(runId: string, path: string): Promise<Readable> {
    await this.requireRun(runId);
    return this.artifacts.open(runId, path);
  }

  async readArtifact(runId: string, path: string) {
    await this.requireRun(runId);
    return this.artifacts.read(runId, path);
  }

  // ── guards ───────────────────────────────────────────────────────────────────

  private async requireRun(runId: string, where = 'run_id', db: Kysely<Schema> = this.db): Promise<runs.RunRow> {
    const row = await runs.findRunRow(db, runId);
    if (!row) throw notFoundRun(runId, where);
    return row;
  }

  private async requireActiveRun(runId: string, db: Kysely<Schema> = this.db): Promise<runs.RunRow> {
    const row = await this.requireRun(runId, 'run_id', db);
    if (row.lifecycle_stage !== 'active') {
      throw new InvalidInputError(`run ${runId} is deleted; a deleted run takes no writes`, {
        where: 'run_id',
        hint: 'restore the run first, or log to another run',
      });
    }
    return row;
  }
}

function notFoundRun(runId: string, where = 'run_id'): NotFoundError {
  return new NotFoundError(`no run with id '${runId}'`, { where });
}

function parseExperimentId(experimentId: string): number {
  if (!/^\d{1,15}$/.test(experimentId)) {
    throw new NotFoundError(`no experiment with id '${experimentId}'`, { where: 'experiment_id', hint: 'experiment ids are whole numbers' });
  }
  return Number(experimentId);
}

/** The same key twice in one batch with one value is one param; with two values it is an error. */
function dedupeParams(params: readonly { key: string; value: string }[]): { key: string; value: string }[] {
  const byKey = new Map<string, string>();
  for (const [i, param] of params.entries()) {
    const seen = byKey.get(param.key);
    if (seen !== undefined && seen !== param.value) {
      throw new InvalidInputError(`param '${param.key}' appears twice in the batch with different values`, { where: `params[${i}]` });
    }
    byKey.set(param.key, param.value);
  }
  return [...byKey].map(([key, value]) => ({ key, value }));
}

