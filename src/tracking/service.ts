import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { RunArtifacts } from '../artifacts/index.js';
import { AlreadyExistsError, InvalidInputError, InvalidStateError, NotFoundError } from '../common/errors.js';
import { parseInput } from '../common/validation.js';
import { digestOf, findProject, requireProject, type AuditLog } from '../governance/index.js';
import type { Schema } from '../store/index.js';
import * as experiments from './experiment-store.js';
import { copyMetrics, insertMetrics, readMetricHistory } from './metric-store.js';
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
const ENDED: ReadonlySet<string> = new Set(['FINISHED', 'FAILED', 'KILLED']);

export interface TrackingOptions {
  now?: () => number;
  /** Changes people review are appended here, in the transaction that makes them (see `record`). */
  audit?: AuditLog;
}

/**
 * Experiment tracking: experiments, runs and everything logged to them, over the metadata store and the artifact store.
 * Rules live here (params are immutable, deleted runs take no writes, batches are all-or-nothing);
 * the HTTP routes and the SDK only translate into these calls.
 */
export class TrackingService {
  readonly #db: Kysely<Schema>;
  readonly #artifacts: RunArtifacts;
  readonly #now: () => number;
  readonly #audit: AuditLog | undefined;

  constructor(db: Kysely<Schema>, artifacts: RunArtifacts, options: TrackingOptions = {}) {
    this.#db = db;
    this.#artifacts = artifacts;
    this.#now = options.now ?? Date.now;
    this.#audit = options.audit;
  }

  // ── experiments ──────────────────────────────────────────────────────────────

  async createExperiment(input: CreateExperimentInput): Promise<Experiment> {
    const { name, artifactLocation, tags, project } = parseInput(CreateExperimentSchema, input);
    if (tags) for (const key of Object.keys(tags)) parseInput(KeySchema, key, `tags.${key}`);
    const id = await this.#db.transaction().execute(async (trx) => {
      if ((await experiments.findExperimentIdByName(trx, name)) !== undefined) {
        throw new AlreadyExistsError(`experiment '${name}' already exists`, {
          where: 'name',
          hint: 'choose another name, or get the existing experiment by name',
        });
      }
      if (project !== undefined && (await findProject(trx, project)) === undefined) {
        throw new NotFoundError(`no project named '${project}'`, {
          where: 'project',
          hint: 'Create it with `ciclo projects create NAME`, or leave it out for `default`.',
        });
      }
      const created = await experiments.insertExperiment(trx, { name, artifactLocation, project, now: this.#now() });
      if (tags) await experiments.upsertExperimentTags(trx, created, tags);
      await this.#record(
        trx,
        'experiment.create',
        experimentTarget(created),
        null,
        await experimentRecord(trx, created),
      );
      return created;
    });
    return this.getExperiment(String(id));
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    const [experiment] = await experiments.loadExperiments(this.#db, [parseExperimentId(experimentId)]);
    if (!experiment) throw new NotFoundError(`no experiment with id ${experimentId}`, { where: 'experiment_id' });
    return experiment;
  }

  async getExperimentByName(name: string): Promise<Experiment> {
    const id = await experiments.findExperimentIdByName(this.#db, name);
    if (id === undefined) throw new NotFoundError(`no experiment named '${name}'`, { where: 'experiment_name' });
    return this.getExperiment(String(id));
  }

  /** The experiment with this name, created when missing: what `startRun({experiment})` wants. */
  async getOrCreateExperiment(name: string, project?: string): Promise<Experiment> {
    const id = await experiments.findExperimentIdByName(this.#db, name);
    if (id !== undefined) return this.getExperiment(String(id));
    try {
      return await this.createExperiment({ name, ...(project === undefined ? {} : { project }) });
    } catch (error) {
      if (error instanceof AlreadyExistsError) return this.getExperimentByName(name);
      throw error;
    }
  }

  async searchExperiments(input: SearchExperimentsInput = {}): Promise<Page<Experiment>> {
    const request = parseInput(SearchExperimentsSchema, input);
    const { experimentIds, nextPageToken } = await searchExperimentIds(this.#db, request);
    const items = await experiments.loadExperiments(this.#db, experimentIds);
    return nextPageToken ? { items, nextPageToken } : { items };
  }

  async renameExperiment(experimentId: string, newName: string): Promise<Experiment> {
    const id = (await this.getExperiment(experimentId)).experimentId;
    const name = parseInput(CreateExperimentSchema.shape.name, newName, 'new_name');
    await this.#db.transaction().execute(async (trx) => {
      const holder = await experiments.findExperimentIdByName(trx, name);
      if (holder !== undefined && String(holder) !== id) {
        throw new AlreadyExistsError(`experiment '${name}' already exists`, { where: 'new_name' });
      }
      const before = await experimentRecord(trx, Number(id));
      await experiments.updateExperiment(trx, Number(id), { name, now: this.#now() });
      await this.#record(
        trx,
        'experiment.rename',
        experimentTarget(id),
        before,
        await experimentRecord(trx, Number(id)),
      );
    });
    return this.getExperiment(id);
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    const id = Number((await this.getExperiment(experimentId)).experimentId);
    const tag = parseInput(TagInputSchema, { key, value });
    await this.#db.transaction().execute(async (trx) => {
      const before = (await experimentRecord(trx, id))?.tags[tag.key];
      await experiments.upsertExperimentTags(trx, id, { [tag.key]: tag.value });
      await this.#record(
        trx,
        'experiment.tag.set',
        tagTarget('experiment_tag', String(id), tag.key),
        tagRecord(tag.key, before),
        tag,
      );
    });
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    const id = Number((await this.getExperiment(experimentId)).experimentId);
    await this.#db.transaction().execute(async (trx) => {
      const before = (await experimentRecord(trx, id))?.tags[key];
      if ((await experiments.deleteExperimentTag(trx, id, key)) === 0) {
        throw new NotFoundError(`experiment ${id} has no tag '${key}'`, { where: 'key' });
      }
      await this.#record(
        trx,
        'experiment.tag.delete',
        tagTarget('experiment_tag', String(id), key),
        tagRecord(key, before),
        null,
      );
    });
  }

  /**
   * Moves the experiment to another existing project, in one transaction with its
   * `experiment.move` audit entry; its runs (and so their artifacts) go with it, having no project
   * of their own. Moving it where it already is changes nothing. The Default experiment (id 0),
   * where runs without an experiment land, stays in `default`.
   */
  async moveToProject(experimentId: string, project: string): Promise<Experiment> {
    const experiment = await this.getExperiment(experimentId);
    if (experiment.experimentId === '0') {
      throw new InvalidInputError('the Default experiment (id 0) stays in project default', {
        where: 'experiment_id',
        hint: 'Runs without an experiment land there; create an experiment in the other project and log to it instead.',
      });
    }
    const id = Number(experiment.experimentId);
    await this.#db.transaction().execute(async (trx) => {
      const destination = await requireProject(trx, project);
      const before = await experimentRecord(trx, id);
      if (before === null || before.project === destination) return;
      await experiments.updateExperiment(trx, id, { project: destination, now: this.#now() });
      await this.#record(
        trx,
        'experiment.move',
        experimentTarget(id),
        { project: before.project },
        { project: destination },
        { from: before.project, to: destination },
      );
    });
    return this.getExperiment(String(id));
  }

  /** Deleting an experiment also moves its runs to the deleted stage, as MLflow does. */
  async deleteExperiment(experimentId: string): Promise<void> {
    await this.#setExperimentStage(experimentId, 'deleted');
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    await this.#setExperimentStage(experimentId, 'active');
  }

  async #setExperimentStage(experimentId: string, stage: 'active' | 'deleted'): Promise<void> {
    const experiment = await this.getExperiment(experimentId);
    if (experiment.experimentId === '0' && stage === 'deleted') {
      throw new InvalidInputError('the Default experiment (id 0) cannot be deleted', { where: 'experiment_id' });
    }
    const now = this.#now();
    const id = Number(experiment.experimentId);
    await this.#db.transaction().execute(async (trx) => {
      const before = await experimentRecord(trx, id);
      await experiments.updateExperiment(trx, id, { lifecycleStage: stage, now });
      // Its runs move with it: one entry for the experiment, not one per run.
      await runs.setExperimentRunsStage(trx, id, stage, now);
      const action = stage === 'deleted' ? 'experiment.delete' : 'experiment.restore';
      await this.#record(trx, action, experimentTarget(id), before, await experimentRecord(trx, id));
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
    const tags = Object.entries(request.tags ?? {}).map(([key, value], i) =>
      parseInput(TagInputSchema, { key, value }, `tags[${i}]`),
    );
    const parentRunId = request.parentRunId ?? request.tags?.[SYSTEM_TAGS.parentRunId];
    if (parentRunId !== undefined) await this.#requireRun(parentRunId, 'parent_run_id');

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
      start_time: request.startTime ?? this.#now(),
      end_time: null,
      lifecycle_stage: 'active',
      artifact_uri: `${experiment.artifactLocation.replace(/\/+$/, '')}/${runId}/artifacts`,
      parent_run_id: parentRunId ?? null,
      deleted_time: null,
    };
    const allTags = [...tags, ...systemTags];
    await this.#db.transaction().execute(async (trx) => {
      await runs.insertRun(trx, row);
      await runs.upsertTags(trx, runId, allTags);
      await this.#record(trx, 'run.create', runTarget(runId), null, {
        ...row,
        tags: Object.fromEntries(allTags.map((tag) => [tag.key, tag.value])),
      });
    });
    // A new run holds exactly what was just written: built here rather than read back.
    return {
      info: runs.toRunInfo(row),
      data: { metrics: [], params: {}, tags: Object.fromEntries(allTags.map((tag) => [tag.key, tag.value])) },
      inputs: [],
    };
  }

  async getRun(runId: string): Promise<Run> {
    const [run] = await runs.loadRuns(this.#db, [runId]);
    if (!run) throw notFoundRun(runId);
    return run;
  }

  /**
   * A run's end (a move to FINISHED, FAILED or KILLED) is audited; moves between SCHEDULED and
   * RUNNING are progress every pipeline step makes, not a change anyone reviews.
   */
  async updateRun(runId: string, input: UpdateRunInput): Promise<RunInfo> {
    const changes = parseInput(UpdateRunSchema, input);
    const rowChanges: Partial<runs.RunRow> = {
      ...(changes.status ? { status: changes.status } : {}),
      ...(changes.endTime !== undefined ? { end_time: changes.endTime } : {}),
      ...(changes.status && changes.status !== 'RUNNING' && changes.endTime === undefined
        ? { end_time: this.#now() }
        : {}),
      ...(changes.runName !== undefined ? { run_name: changes.runName } : {}),
    };
    const updated = await this.#db.transaction().execute(async (trx) => {
      const current = await this.#requireActiveRun(runId, trx);
      await runs.updateRunRow(trx, runId, rowChanges);
      if (changes.runName !== undefined)
        await runs.upsertTags(trx, runId, [{ key: SYSTEM_TAGS.runName, value: changes.runName }]);
      const after = { ...current, ...rowChanges };
      if (after.status !== current.status && ENDED.has(after.status)) {
        await this.#record(trx, 'run.end', runTarget(runId), current, after, { status: after.status });
      }
      return after;
    });
    return runs.toRunInfo(updated);
  }

  async deleteRun(runId: string): Promise<void> {
    await this.#setRunStage(runId, 'deleted');
  }

  async restoreRun(runId: string): Promise<void> {
    await this.#setRunStage(runId, 'active');
  }

  async #setRunStage(runId: string, stage: 'active' | 'deleted'): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const before = await this.#requireRun(runId, 'run_id', trx);
      const changes = { lifecycle_stage: stage, deleted_time: stage === 'deleted' ? this.#now() : null };
      await runs.updateRunRow(trx, runId, changes);
      await this.#record(trx, stage === 'deleted' ? 'run.delete' : 'run.restore', runTarget(runId), before, {
        ...before,
        ...changes,
      });
    });
  }

  async searchRuns(input: SearchRunsInput): Promise<Page<Run>> {
    const request = parseInput(SearchRunsSchema, input);
    const { runIds, nextPageToken } = await searchRunIds(this.#db, {
      ...request,
      experimentIds: request.experimentIds.map(Number),
    });
    const items = await runs.loadRuns(this.#db, runIds);
    return nextPageToken ? { items, nextPageToken } : { items };
  }

  // ── logging ──────────────────────────────────────────────────────────────────

  async logMetric(runId: string, metric: MetricInput): Promise<void> {
    await this.logBatch(runId, { metrics: [metric] });
  }

  async logParam(runId: string, key: string, value: string): Promise<void> {
    await this.logBatch(runId, { params: [{ key, value }] });
  }

  /** One tag, audited; tags in a batch (`logBatch`, which the SDK's `setTags` uses) are not. */
  async setTag(runId: string, key: string, value: string): Promise<void> {
    const tag = parseInput(TagInputSchema, { key, value });
    await this.#db.transaction().execute(async (trx) => {
      await this.#requireActiveRun(runId, trx);
      const before = await runs.findTag(trx, runId, tag.key);
      await runs.upsertTags(trx, runId, [tag]);
      if (tag.key === SYSTEM_TAGS.runName) await runs.updateRunRow(trx, runId, { run_name: tag.value });
      await this.#record(trx, 'run.tag.set', tagTarget('run_tag', runId, tag.key), tagRecord(tag.key, before), tag);
    });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await this.#requireActiveRun(runId, trx);
      const before = await runs.findTag(trx, runId, key);
      if ((await runs.deleteTag(trx, runId, key)) === 0) {
        throw new NotFoundError(`run ${runId} has no tag '${key}'`, { where: 'key' });
      }
      await this.#record(trx, 'run.tag.delete', tagTarget('run_tag', runId, key), tagRecord(key, before), null);
    });
  }

  /**
   * All-or-nothing: every entry is validated before anything is written, and the writes share one
   * transaction, so a bad metric at index 900 leaves the first 899 unwritten too.
   *
   * Not audited: metrics, params and tags arrive here by the thousand per run, and every append
   * holds the audit chain's head until its transaction commits, so auditing them would flood the
   * chain and serialize all logging behind it. What a run was trained with is its params, which
   * are immutable anyway; the changes reviewers ask about (create, end, delete, restore, a tag set
   * or deleted on its own) are audited where they happen.
   */
  async logBatch(runId: string, input: LogBatchInput): Promise<void> {
    const batch = parseInput(LogBatchSchema, input);
    const total = batch.metrics.length + batch.params.length + batch.tags.length;
    if (total > LIMITS.batchTotal) {
      throw new InvalidInputError(
        `a batch may hold at most ${LIMITS.batchTotal} metrics, params and tags together (got ${total})`,
        {
          hint: 'split the batch',
        },
      );
    }
    const now = this.#now();
    const metrics: Metric[] = batch.metrics.map((m) => ({
      key: m.key,
      value: toMetricNumber(m.value),
      timestamp: m.timestamp ?? now,
      step: m.step ?? 0,
    }));
    const params = dedupeParams(batch.params);
    await this.#db.transaction().execute(async (trx) => {
      await this.#requireActiveRun(runId, trx);
      if (params.length > 0) {
        const existing = await runs.findParams(
          trx,
          runId,
          params.map((p) => p.key),
        );
        for (const [i, param] of params.entries()) {
          const old = existing.get(param.key);
          if (old !== undefined && old !== param.value) {
            throw new InvalidInputError(
              `param '${param.key}' was already logged with value '${old}'; ` +
                `params are immutable (new value '${param.value}')`,
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

  /**
   * Every point of `fromRunId`'s metrics, logged again on `toRunId` (active, with no metrics yet): a
   * pipeline step reused from the cache carries the numbers of the execution it reused, so `runs show`
   * and `runs compare` see them on every pipeline run's steps.
   */
  async copyMetrics(fromRunId: string, toRunId: string): Promise<void> {
    await this.#requireRun(fromRunId);
    await this.#db.transaction().execute(async (trx) => {
      await this.#requireActiveRun(toRunId, trx);
      await copyMetrics(trx, fromRunId, toRunId);
    });
  }

  async logInputs(runId: string, datasets: readonly unknown[]): Promise<void> {
    const inputs: DatasetInput[] = datasets.map((d, i) => parseInput(DatasetInputSchema, d, `datasets[${i}]`));
    await this.#db.transaction().execute(async (trx) => {
      await this.#requireActiveRun(runId, trx);
      await runs.insertInputs(trx, runId, inputs);
    });
  }

  async getMetricHistory(
    runId: string,
    key: string,
    page: { maxResults?: number | undefined; pageToken?: string | undefined } = {},
  ): Promise<Page<Metric>> {
    await this.#requireRun(runId);
    const limit = page.maxResults ?? HISTORY_PAGE_DEFAULT;
    const offset = page.pageToken ? decodePageToken(page.pageToken).offset : 0;
    const items = await readMetricHistory(this.#db, runId, key, { offset, limit: limit + 1 });
    if (items.length <= limit) return { items };
    return { items: items.slice(0, limit), nextPageToken: encodePageToken({ offset: offset + limit }) };
  }

  // ── artifacts ────────────────────────────────────────────────────────────────

  async logArtifact(runId: string, artifactPath: string, content: Readable) {
    await this.#requireActiveRun(runId);
    return this.#artifacts.put(runId, artifactPath, content);
  }

  async logArtifactFile(runId: string, localFile: string, artifactPath: string) {
    await this.#requireActiveRun(runId);
    return this.#artifacts.putFile(runId, artifactPath, localFile);
  }

  async logArtifactDirectory(runId: string, localDir: string, artifactDir: string) {
    await this.#requireActiveRun(runId);
    return this.#artifacts.putDirectory(runId, artifactDir, localDir);
  }

  async listArtifacts(runId: string, dir?: string) {
    await this.#requireRun(runId);
    return this.#artifacts.list(runId, dir);
  }

  async openArtifact(runId: string, path: string): Promise<Readable> {
    await this.#requireRun(runId);
    return this.#artifacts.open(runId, path);
  }

  async readArtifact(runId: string, path: string) {
    await this.#requireRun(runId);
    return this.#artifacts.read(runId, path);
  }

  // ── audit ────────────────────────────────────────────────────────────────────

  /** Appends the change in the transaction that makes it, so both commit or neither (nothing without a log). */
  async #record(
    trx: Kysely<Schema>,
    action: string,
    target: { type: string; id: string },
    before: unknown,
    after: unknown,
    details?: Record<string, unknown>,
  ): Promise<void> {
    if (!this.#audit) return;
    await this.#audit.append(
      {
        action,
        target,
        beforeDigest: digestOf(before),
        afterDigest: digestOf(after),
        ...(details === undefined ? {} : { details }),
      },
      trx,
    );
  }

  // ── guards ───────────────────────────────────────────────────────────────────

  async #requireRun(runId: string, where = 'run_id', db: Kysely<Schema> = this.#db): Promise<runs.RunRow> {
    const row = await runs.findRunRow(db, runId);
    if (!row) throw notFoundRun(runId, where);
    return row;
  }

  async #requireActiveRun(runId: string, db: Kysely<Schema> = this.#db): Promise<runs.RunRow> {
    const row = await this.#requireRun(runId, 'run_id', db);
    if (row.lifecycle_stage !== 'active') {
      throw new InvalidInputError(`run ${runId} is deleted; a deleted run takes no writes`, {
        where: 'run_id',
        hint: 'restore the run first, or log to another run',
      });
    }
    return row;
  }
}

async function experimentRecord(db: Kysely<Schema>, id: number): Promise<Experiment | null> {
  const [experiment] = await experiments.loadExperiments(db, [id]);
  return experiment ?? null;
}

function experimentTarget(id: number | string): { type: string; id: string } {
  return { type: 'experiment', id: String(id) };
}

function runTarget(runId: string): { type: string; id: string } {
  return { type: 'run', id: runId };
}

/** `<experiment or run id>/<key>`: ids hold no `/`, so the first one splits. */
function tagTarget(type: 'experiment_tag' | 'run_tag', ownerId: string, key: string): { type: string; id: string } {
  return { type, id: `${ownerId}/${key}` };
}

function tagRecord(key: string, value: string | undefined): { key: string; value: string } | null {
  return value === undefined ? null : { key, value };
}

function notFoundRun(runId: string, where = 'run_id'): NotFoundError {
  return new NotFoundError(`no run with id '${runId}'`, { where });
}

function parseExperimentId(experimentId: string): number {
  if (!/^\d{1,15}$/.test(experimentId)) {
    throw new NotFoundError(`no experiment with id '${experimentId}'`, {
      where: 'experiment_id',
      hint: 'experiment ids are whole numbers',
    });
  }
  return Number(experimentId);
}

/** The same key twice in one batch with one value is one param; with two values it is an error. */
function dedupeParams(params: readonly { key: string; value: string }[]): { key: string; value: string }[] {
  const byKey = new Map<string, string>();
  for (const [i, param] of params.entries()) {
    const seen = byKey.get(param.key);
    if (seen !== undefined && seen !== param.value) {
      throw new InvalidInputError(`param '${param.key}' appears twice in the batch with different values`, {
        where: `params[${i}]`,
      });
    }
    byKey.set(param.key, param.value);
  }
  return [...byKey].map(([key, value]) => ({ key, value }));
}
