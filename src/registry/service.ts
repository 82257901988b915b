import type { Readable } from 'node:stream';
import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import { DEFAULT_PROJECT, digestOf, requireProject, type AuditLog } from '../governance/index.js';
import { normalizeArtifactDir, runFilesUnder } from '../artifacts/index.js';
import {
  AlreadyExistsError,
  CicloError,
  InvalidInputError,
  InvalidStateError,
  NotFoundError,
  StoreBusyError,
} from '../common/errors.js';
import { parseInput } from '../common/validation.js';
import type { PipelineService } from '../pipelines/index.js';
import { inTransaction, type Schema } from '../store/index.js';
import { projectOfRun, SYSTEM_TAGS, type TrackingService } from '../tracking/index.js';
import { MLMODEL_FILE, parseMlmodel } from './mlflow/mlmodel.js';
import { MANIFEST_FILE, parseManifest, verifyPackageFiles, type ModelSignature } from './package.js';
import { PACKAGE_STATUS_TAG } from './package-status.js';
import { fetchPackage, type FetchedPackage } from './package-fetch.js';
import { decodePageToken, encodePageToken, MODEL_FILTER, parseFilter, parseOrderBy, VERSION_FILTER } from './search.js';
import * as store from './store.js';
import {
  AliasSchema,
  CreateModelSchema,
  DescriptionSchema,
  SearchModelsSchema,
  SearchVersionsSchema,
  TagKeySchema,
  TagValueSchema,
  type CreateModelOptions,
  type Page,
  type SearchModelsOptions,
  type SearchVersionsOptions,
  EnvironmentSchema,
  ModelNameSchema,
  RegisterSchema,
  type Environment,
  type ModelLineage,
  type ModelReference,
  type ModelVersion,
  type RegisteredModel,
  type RegisterOptions,
} from './types.js';

const INSERT_ATTEMPTS = 8;
const TagSchema = z.strictObject({ key: TagKeySchema, value: TagValueSchema });

export interface RegistryDeps {
  db: Kysely<Schema>;
  tracking: TrackingService;
  /** Whether a version's run, or its parent, is a pipeline run: recorded as the version's lineage. */
  pipelineRuns: Pick<PipelineService, 'hasRun'>;
  /** Every change is appended here, in the transaction that makes it. */
  audit?: AuditLog;
  now?: () => number;
  /**
   * Told of each new version once its transaction has committed (monitoring records its baseline).
   * Not awaited and never allowed to fail the registration: what it does it does in the background.
   */
  onVersionRegistered?: (version: ModelVersion) => void;
}

/**
 * The model registry: versions of named models, each a verified package among a run's artifacts,
 * with aliases and one version per environment. Artifacts are content-addressed, so a version
 * records the run and folder and the manifest's digest; no bytes are copied.
 */
export class RegistryService {
  readonly #db: Kysely<Schema>;
  readonly #tracking: TrackingService;
  readonly #pipelineRuns: Pick<PipelineService, 'hasRun'>;
  readonly #audit: AuditLog | undefined;
  readonly #now: () => number;
  readonly #onVersionRegistered: ((version: ModelVersion) => void) | undefined;

  constructor(deps: RegistryDeps) {
    this.#db = deps.db;
    this.#tracking = deps.tracking;
    this.#pipelineRuns = deps.pipelineRuns;
    this.#audit = deps.audit;
    this.#now = deps.now ?? Date.now;
    this.#onVersionRegistered = deps.onVersionRegistered;
  }

  /** Registers the package under `path` in the run's artifacts as the model's next version. */
  async register(name: string, options: RegisterOptions): Promise<ModelVersion> {
    return this.#register(name, options, 'required');
  }

  /**
   * As MLflow's `model-versions/create`: any folder of the run, even one that holds no package
   * (or does not exist yet: MLflow clients may upload the files after). Without `ciclo-model.json`
   * or `MLmodel` under it, the version is recorded without a verified package (flavor `unknown`, no
   * signature) and cannot be approved or deployed (package-status.ts). Only the MLflow route calls
   * this; the native route and the `register` step require a package.
   */
  async registerAllowingNoPackage(name: string, options: RegisterOptions): Promise<ModelVersion> {
    return this.#register(name, options, 'optional');
  }

  async #register(name: string, options: RegisterOptions, packageNeed: 'required' | 'optional'): Promise<ModelVersion> {
    const modelName = parseInput(ModelNameSchema, name, 'name');
    const request = parseInput(RegisterSchema, options);
    const run = await this.#tracking.getRun(request.runId);
    if (run.info.lifecycleStage !== 'active') {
      throw new InvalidStateError(`run ${request.runId} is deleted`, {
        where: 'run_id',
        hint: 'restore the run first, or register from another run',
      });
    }
    const source = normalizeArtifactDir(request.path);
    const read = await this.#readPackage(request.runId, source);
    if (read === undefined && packageNeed === 'required') throw noPackage(request.runId, source);
    const found = read ?? NO_PACKAGE;
    const version: store.NewVersion = {
      name: modelName,
      runId: request.runId,
      source,
      manifestDigest: found.digest,
      flavor: found.flavor,
      signature: found.signature,
      metrics: Object.fromEntries(run.data.metrics.map((m) => [m.key, Number.isFinite(m.value) ? m.value : null])),
      lineage: await this.#lineage(run),
      description: request.description ?? null,
      tags: request.tags ?? {},
    };
    const project = request.project ?? (await projectOfRun(this.#db, request.runId)) ?? DEFAULT_PROJECT;
    const number = await this.#insert(version, project);
    const registered = await this.show(modelName, number);
    try {
      this.#onVersionRegistered?.(registered);
    } catch {
      // The version is registered; a listener's own failure is its to report.
    }
    return registered;
  }

  /**
   * The package under `source`: a Ciclo package (`ciclo-model.json`, every file verified against
   * it) or, as MLflow clients log models, a folder with an `MLmodel` file.
   */
  async #readPackage(runId: string, source: string): Promise<FoundPackage | undefined> {
    const packageName = packageNameOf(runId, source);
    const files = await runFilesUnder(this.#db, runId, source);
    if (files.has(MANIFEST_FILE)) {
      const read = await this.#tracking.readArtifact(runId, joinPath(source, MANIFEST_FILE));
      const manifest = parseManifest(await readText(read.content), `${packageName}${MANIFEST_FILE}`);
      verifyPackageFiles(manifest, files, packageName);
      return { digest: read.file.digest, flavor: manifest.flavor, signature: manifest.signature };
    }
    if (files.has(MLMODEL_FILE)) {
      const read = await this.#tracking.readArtifact(runId, joinPath(source, MLMODEL_FILE));
      const mlmodel = parseMlmodel(await readText(read.content), `${packageName}${MLMODEL_FILE}`);
      return { digest: read.file.digest, ...mlmodel };
    }
    return undefined;
  }

  /** The version's package as local files under `cacheRoot`: copied once, verified on every call (package-fetch.ts). */
  async fetchPackage(version: ModelVersion, cacheRoot: string): Promise<FetchedPackage> {
    return fetchPackage(this.#db, this.#tracking, version, cacheRoot);
  }

  /** A registered model without versions yet, in `project` (default: `default`). */
  async createModel(name: string, options: CreateModelOptions = {}): Promise<RegisteredModel> {
    const modelName = parseInput(ModelNameSchema, name, 'name');
    const request = parseInput(CreateModelSchema, options);
    const model = {
      name: modelName,
      description: request.description ?? null,
      project: request.project ?? DEFAULT_PROJECT,
      tags: request.tags ?? {},
    };
    await this.#db.transaction().execute(async (trx) => {
      if (await store.modelExists(trx, modelName)) throw alreadyExists(modelName);
      await store.insertModel(trx, model, this.#now());
      await this.#record(trx, 'model.create', modelTarget(modelName), null, model);
    });
    return this.getModel(modelName);
  }

  /** Renames the model; its versions, tags, aliases and stages move with it. */
  async renameModel(name: string, newName: string): Promise<RegisteredModel> {
    return this.changeModel(name, { newName });
  }

  async updateModel(name: string, changes: { description?: string | null }): Promise<RegisteredModel> {
    return this.changeModel(name, { description: changes.description ?? null });
  }

  /**
   * A rename and a new description at once (PATCH /models/:name): both are validated before
   * either is made, and both are made in one transaction, so a refused request changes nothing.
   */
  async changeModel(
    name: string,
    changes: { newName?: string; description?: string | null },
  ): Promise<RegisteredModel> {
    const target = changes.newName === undefined ? name : parseInput(ModelNameSchema, changes.newName, 'new_name');
    const description =
      changes.description === undefined
        ? undefined
        : parseInput(DescriptionSchema.nullable(), changes.description, 'description');
    await this.#db.transaction().execute(async (trx) => {
      const row = await store.modelRow(trx, name);
      if (row === undefined) throw notFoundModel(name);
      if (target !== name) {
        if (await store.modelExists(trx, target)) throw alreadyExists(target);
        await store.renameModel(trx, name, target, this.#now());
        await this.#record(trx, 'model.rename', modelTarget(name), { name }, { name: target });
      }
      if (description !== undefined) {
        await store.updateModelDescription(trx, target, description, this.#now());
        await this.#record(trx, 'model.update', modelTarget(target), { description: row.description }, { description });
      }
    });
    return this.getModel(target);
  }

  /**
   * Moves the model to another existing project, in one transaction with its `model.move` audit
   * entry; its versions, aliases and stages go with it, having no project of their own (the runs
   * they were registered from stay where they are). Moving it where it already is changes nothing.
   */
  async moveToProject(name: string, project: string): Promise<RegisteredModel> {
    await this.#db.transaction().execute(async (trx) => {
      const row = await store.modelRow(trx, name);
      if (row === undefined) throw notFoundModel(name);
      const destination = await requireProject(trx, project);
      if (row.project === destination) return;
      await store.moveModel(trx, name, destination, this.#now());
      await this.#record(
        trx,
        'model.move',
        modelTarget(name),
        { project: row.project },
        { project: destination },
        { from: row.project, to: destination },
      );
    });
    return this.getModel(name);
  }

  /** Deletes the model with all its versions, tags, aliases and stages. */
  async deleteModel(name: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const before = await store.getModel(trx, name);
      if (before === undefined) throw notFoundModel(name);
      await store.deleteModel(trx, name);
      await this.#record(trx, 'model.delete', modelTarget(name), before, null);
    });
  }

  async updateVersion(name: string, version: number, changes: { description?: string | null }): Promise<ModelVersion> {
    const description = parseInput(DescriptionSchema.nullable(), changes.description ?? null, 'description');
    await this.#db.transaction().execute(async (trx) => {
      const row = await this.#requireVersion(trx, name, version);
      await store.updateVersionDescription(trx, name, version, description, this.#now());
      await this.#record(
        trx,
        'model.version.update',
        versionTarget(name, version),
        { description: row.description },
        { description },
      );
    });
    return this.show(name, version);
  }

  /** Deletes the version with its tags; aliases and stages that pointed at it are dropped. */
  async deleteVersion(name: string, version: number): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await this.#requireVersion(trx, name, version);
      const [before] = await store.loadVersions(trx, name, version);
      await store.deleteVersion(trx, name, version);
      await store.touchModelTime(trx, name, this.#now());
      await this.#record(trx, 'model.version.delete', versionTarget(name, version), before, null);
    });
  }

  async setModelTag(name: string, key: string, value: string): Promise<void> {
    const tag = parseInput(TagSchema, { key, value });
    await this.#db.transaction().execute(async (trx) => {
      if (!(await store.modelExists(trx, name))) throw notFoundModel(name);
      const previous = await store.modelTag(trx, name, tag.key);
      await store.upsertModelTag(trx, name, tag.key, tag.value);
      await store.touchModelTime(trx, name, this.#now());
      await this.#record(
        trx,
        'model.tag.set',
        { type: 'model_tag', id: `${name}#${tag.key}` },
        previous ?? null,
        tag.value,
      );
    });
  }

  async deleteModelTag(name: string, key: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      if (!(await store.modelExists(trx, name))) throw notFoundModel(name);
      const previous = await store.modelTag(trx, name, key);
      if (previous === undefined) throw new NotFoundError(`model '${name}' has no tag '${key}'`, { where: 'key' });
      await store.deleteModelTag(trx, name, key);
      await store.touchModelTime(trx, name, this.#now());
      await this.#record(trx, 'model.tag.delete', { type: 'model_tag', id: `${name}#${key}` }, previous, null);
    });
  }

  /**
   * Marks `version` as rolled back by `deployment` (the read-only tag `ciclo.rolled_back`), audited;
   * in the caller's transaction when given (the deployment's rollback event).
   */
  async markRolledBack(name: string, version: number, deployment: string, within?: Transaction<Schema>): Promise<void> {
    await inTransaction(within ?? this.#db, async (trx) => {
      await this.#requireVersion(trx, name, version);
      const previous = await store.versionTag(trx, name, version, ROLLED_BACK_TAG);
      const deployments = new Set([...(previous?.split(',') ?? []), deployment]);
      const value = [...deployments].sort().join(',');
      await store.upsertVersionTag(trx, name, version, ROLLED_BACK_TAG, value);
      await store.touchVersion(trx, name, version, this.#now());
      const target = { type: 'model_version_tag', id: `${name}/${version}#${ROLLED_BACK_TAG}` };
      await this.#record(trx, 'model.version.rolled_back', target, previous ?? null, value);
    });
  }

  async setVersionTag(name: string, version: number, key: string, value: string): Promise<void> {
    const tag = parseInput(TagSchema, { key, value });
    refuseReservedTag(tag.key);
    await this.#db.transaction().execute(async (trx) => {
      await this.#requireVersion(trx, name, version);
      const previous = await store.versionTag(trx, name, version, tag.key);
      await store.upsertVersionTag(trx, name, version, tag.key, tag.value);
      await store.touchVersion(trx, name, version, this.#now());
      await this.#record(
        trx,
        'model.version.tag.set',
        { type: 'model_version_tag', id: `${name}/${version}#${tag.key}` },
        previous ?? null,
        tag.value,
      );
    });
  }

  async deleteVersionTag(name: string, version: number, key: string): Promise<void> {
    refuseReservedTag(key);
    await this.#db.transaction().execute(async (trx) => {
      await this.#requireVersion(trx, name, version);
      const previous = await store.versionTag(trx, name, version, key);
      if (previous === undefined) throw new NotFoundError(`${name}/${version} has no tag '${key}'`, { where: 'key' });
      await store.deleteVersionTag(trx, name, version, key);
      await store.touchVersion(trx, name, version, this.#now());
      await this.#record(
        trx,
        'model.version.tag.delete',
        { type: 'model_version_tag', id: `${name}/${version}#${key}` },
        previous,
        null,
      );
    });
  }

  /** Models matching an MLflow filter, a page at a time (`maxResults` ≤ 1000, `pageToken` from the previous page). */
  async searchModels(options: SearchModelsOptions = {}): Promise<Page<RegisteredModel>> {
    const request = parseInput(SearchModelsSchema, options);
    const offset = decodePageToken(request.pageToken);
    const found = await store.searchModels(this.#db, {
      clauses: parseFilter(request.filter, MODEL_FILTER),
      order: parseOrderBy(request.orderBy, ['name', 'last_updated_timestamp', 'creation_timestamp']),
      offset,
      limit: request.maxResults + 1,
      projects: request.projects,
    });
    return pageOf(found, request.maxResults, offset);
  }

  /** Versions matching an MLflow filter, a page at a time. */
  async searchVersions(options: SearchVersionsOptions = {}): Promise<Page<ModelVersion>> {
    const request = parseInput(SearchVersionsSchema, options);
    const offset = decodePageToken(request.pageToken);
    const found = await store.searchVersions(this.#db, {
      clauses: parseFilter(request.filter, VERSION_FILTER),
      order: parseOrderBy(request.orderBy, [
        'name',
        'version',
        'version_number',
        'last_updated_timestamp',
        'creation_timestamp',
      ]),
      offset,
      limit: request.maxResults + 1,
      projects: request.projects,
    });
    return pageOf(found, request.maxResults, offset);
  }

  /** `NAME` (its latest version), `NAME/3` or `NAME@alias` → the version. */
  async resolve(reference: string): Promise<ModelVersion> {
    const ref = parseModelReference(reference);
    if (ref.alias !== undefined) {
      const version = await store.aliasVersion(this.#db, ref.name, ref.alias);
      if (version === undefined) {
        await this.#requireModel(ref.name);
        throw new NotFoundError(`model '${ref.name}' has no alias '${ref.alias}'`, {
          where: reference,
          hint:
            `Set it with \`ciclo models alias set ${ref.name} ${ref.alias} VERSION\`, ` +
            `or see the aliases with \`ciclo models show ${ref.name}\`.`,
        });
      }
      return this.show(ref.name, version);
    }
    if (ref.version !== undefined) return this.show(ref.name, ref.version);
    const latest = await store.latestVersionNumber(this.#db, ref.name);
    if (latest === undefined) {
      await this.#requireModel(ref.name);
      throw new NotFoundError(`model '${ref.name}' has no versions`, {
        where: reference,
        hint: 'Register one with `ciclo models register`.',
      });
    }
    return this.show(ref.name, latest);
  }

  async show(name: string, version: number): Promise<ModelVersion> {
    const [found] = await store.loadVersions(this.#db, name, version);
    if (found === undefined) {
      await this.#requireModel(name);
      throw new NotFoundError(`model '${name}' has no version ${version}`, {
        where: `${name}/${version}`,
        hint: `List its versions with \`ciclo models show ${name}\`.`,
      });
    }
    return found;
  }

  /** Every version of the model, oldest first. */
  async versions(name: string): Promise<ModelVersion[]> {
    await this.#requireModel(name);
    return store.loadVersions(this.#db, name);
  }

  async exists(name: string): Promise<boolean> {
    return store.modelExists(this.#db, name);
  }

  async getModel(name: string): Promise<RegisteredModel> {
    const model = await store.getModel(this.#db, name);
    if (model === undefined) throw notFoundModel(name);
    return model;
  }

  async list(): Promise<RegisteredModel[]> {
    return store.listModels(this.#db);
  }

  /** Models whose name matches the SQL LIKE pattern (`%` any run of characters, `_` one), ignoring case. */
  async search(filter: { nameLike?: string } = {}): Promise<RegisteredModel[]> {
    return store.listModels(this.#db, filter.nameLike);
  }

  /** Points the alias at the version, moving it when it pointed elsewhere. Returns the previous version. */
  /** Points the alias at `version`, audited; in the caller's transaction when given. */
  async setAlias(
    name: string,
    alias: string,
    version: number,
    within?: Transaction<Schema>,
  ): Promise<{ previous: number | null }> {
    const checkedAlias = parseInput(AliasSchema, alias, 'alias');
    return inTransaction(within ?? this.#db, async (trx) => {
      await this.#requireAssignable(trx, name, version, `alias '${checkedAlias}'`);
      const previous = await store.aliasVersion(trx, name, checkedAlias);
      await store.upsertAlias(trx, name, checkedAlias, version, this.#now());
      await this.#record(
        trx,
        'model.alias.set',
        { type: 'model_alias', id: `${name}@${checkedAlias}` },
        previous ?? null,
        version,
      );
      return { previous: previous ?? null };
    });
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.#requireModel(name);
    await this.#db.transaction().execute(async (trx) => {
      const previous = await store.aliasVersion(trx, name, alias);
      if (previous === undefined || (await store.deleteAlias(trx, name, alias)) === 0) {
        throw new NotFoundError(`model '${name}' has no alias '${alias}'`, { where: `${name}@${alias}` });
      }
      await this.#record(trx, 'model.alias.delete', { type: 'model_alias', id: `${name}@${alias}` }, previous, null);
    });
  }

  /** Makes the version the one the environment runs. A rejected version is refused, as for aliases. */
  async setStage(name: string, environment: string, version: number): Promise<{ previous: number | null }> {
    const env: Environment = parseInput(EnvironmentSchema, environment, 'environment');
    return this.#db.transaction().execute(async (trx) => this.#assignStage(trx, name, env, version));
  }

  /**
   * In one transaction: the version becomes the one `assign` runs (refused as by `setStage`), and
   * leaves each of `release` it runs in (`model.stage.delete`; an environment another version
   * runs is left alone). MLflow's `transition-stage` is this (mlflow/mapping.ts `stageChange`).
   */
  async changeStages(
    name: string,
    version: number,
    change: { assign?: string; release: readonly string[] },
  ): Promise<ModelVersion> {
    const assign =
      change.assign === undefined ? undefined : parseInput(EnvironmentSchema, change.assign, 'environment');
    const release = change.release.map((env, i) => parseInput(EnvironmentSchema, env, `release[${i}]`));
    await this.#db.transaction().execute(async (trx) => {
      if (assign !== undefined) await this.#assignStage(trx, name, assign, version);
      else await this.#requireVersion(trx, name, version);
      for (const env of release) {
        if ((await store.deleteStage(trx, name, env, version)) === 1) {
          await this.#record(trx, 'model.stage.delete', { type: 'model_stage', id: `${name}:${env}` }, version, null);
        }
      }
    });
    return this.show(name, version);
  }

  async #assignStage(
    trx: Kysely<Schema>,
    name: string,
    env: Environment,
    version: number,
  ): Promise<{ previous: number | null }> {
    await this.#requireAssignable(trx, name, version, `stage ${env}`);
    const row = await trx
      .selectFrom('model_stages')
      .select('version')
      .where('name', '=', name)
      .where('environment', '=', env)
      .executeTakeFirst();
    await store.upsertStage(trx, name, env, version, this.#now());
    const previous = row === undefined ? null : Number(row.version);
    await this.#record(trx, 'model.stage.set', { type: 'model_stage', id: `${name}:${env}` }, previous, version);
    return { previous };
  }

  async #requireAssignable(db: Kysely<Schema>, name: string, version: number, what: string): Promise<void> {
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new InvalidInputError(`version must be a whole number from 1 (got ${version})`, { where: 'version' });
    }
    const row = await store.findVersionRow(db, name, version);
    if (row === undefined) {
      if (!(await store.modelExists(db, name))) throw notFoundModel(name);
      throw new NotFoundError(`model '${name}' has no version ${version}`, {
        where: `${name}/${version}`,
        hint: `List its versions with \`ciclo models show ${name}\`.`,
      });
    }
    if (row.status === 'rejected') {
      throw new InvalidStateError(`${name}/${version} was rejected; ${what} cannot point at it`, {
        where: `${name}/${version}`,
        hint: 'Point it at an approved or pending version.',
      });
    }
  }

  async #requireVersion(db: Kysely<Schema>, name: string, version: number): Promise<store.VersionRow> {
    const row =
      Number.isSafeInteger(version) && version >= 1 ? await store.findVersionRow(db, name, version) : undefined;
    if (row !== undefined) return row;
    if (!(await store.modelExists(db, name))) throw notFoundModel(name);
    throw new NotFoundError(`model '${name}' has no version ${version}`, {
      where: `${name}/${version}`,
      hint: `List its versions with \`ciclo models show ${name}\`.`,
    });
  }

  async #requireModel(name: string): Promise<void> {
    if (!(await store.modelExists(this.#db, name))) throw notFoundModel(name);
  }

  async #lineage(run: Awaited<ReturnType<TrackingService['getRun']>>): Promise<ModelLineage> {
    const runId = run.info.runId;
    const parent = run.data.tags[SYSTEM_TAGS.parentRunId] ?? run.info.parentRunId ?? undefined;
    let pipelineRun: string | null = null;
    if (await this.#pipelineRuns.hasRun(runId)) pipelineRun = runId;
    else if (parent !== undefined && (await this.#pipelineRuns.hasRun(parent))) pipelineRun = parent;
    return {
      run: runId,
      pipeline_run: pipelineRun,
      git_commit: run.data.tags[SYSTEM_TAGS.gitCommit] ?? null,
      datasets: run.inputs.map((input) => ({ name: input.name, digest: input.digest, context: input.context })),
    };
  }

  /** Appends the change to the audit log inside the transaction that makes it (nothing without a log). */
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

  /** The next version number in a transaction; a racing registration that took it makes this one retry. */
  async #insert(version: store.NewVersion, project: string): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#db.transaction().execute(async (trx) => {
          const now = this.#now();
          await store.touchModel(trx, version.name, project, now);
          const number = await store.insertNextVersion(trx, version, now);
          await this.#record(trx, 'model.register', { type: 'model_version', id: `${version.name}/${number}` }, null, {
            ...version,
            version: number,
          });
          return number;
        });
      } catch (error) {
        if (attempt >= INSERT_ATTEMPTS || !isConflict(error)) throw error;
      }
    }
  }
}

/** Parses `NAME`, `NAME/3` or `NAME@alias`. */
export function parseModelReference(reference: string): ModelReference {
  const match = /^([^@/]+)(?:\/(\d+)|@(.+))?$/.exec(reference.trim());
  const name = match?.[1];
  if (match === null || name === undefined || !ModelNameSchema.safeParse(name).success) {
    throw new InvalidInputError(`${JSON.stringify(reference)} is not a model reference`, {
      where: reference,
      hint: 'Write NAME (latest version), NAME/3 (a version) or NAME@champion (an alias).',
    });
  }
  if (match[2] !== undefined) return { name, version: Number(match[2]) };
  if (match[3] !== undefined) return { name, alias: match[3] };
  return { name };
}

function alreadyExists(name: string): AlreadyExistsError {
  return new AlreadyExistsError(`a registered model named '${name}' already exists`, {
    where: name,
    hint: 'Pick another name, or register a new version of it.',
  });
}

function modelTarget(name: string) {
  return { type: 'registered_model', id: name };
}

function versionTarget(name: string, version: number) {
  return { type: 'model_version', id: `${name}/${version}` };
}

/** The approval status is shown as this tag (approvals change it, tags do not). */
export const APPROVAL_STATUS_TAG = 'ciclo.approval_status';
/** Read-only: the deployments that rolled back from this version (comma-separated), set by `markRolledBack`. */
export const ROLLED_BACK_TAG = 'ciclo.rolled_back';

function refuseReservedTag(key: string): void {
  if (key === ROLLED_BACK_TAG) {
    throw new InvalidInputError(
      `the tag '${ROLLED_BACK_TAG}' is read-only: it names the deployments rolled back from it`,
      {
        where: 'key',
        hint: 'It is set when a deployment rolls back (`ciclo deployments rollback`).',
      },
    );
  }
  if (key === APPROVAL_STATUS_TAG) {
    throw new InvalidInputError(
      `the tag '${APPROVAL_STATUS_TAG}' is read-only: it shows the version's approval status`,
      {
        where: 'key',
        hint: 'Approve or reject the version through the approvals workflow.',
      },
    );
  }
  if (key === PACKAGE_STATUS_TAG) {
    throw new InvalidInputError(
      `the tag '${PACKAGE_STATUS_TAG}' is read-only: it shows that the version has no verified package`,
      {
        where: 'key',
        hint: 'Log a package folder (ciclo-model.json or MLmodel) to the run and register it as a new version.',
      },
    );
  }
}

interface FoundPackage {
  digest: string | null;
  flavor: string;
  signature: ModelSignature;
}

/** What a version registered without a verified package records (package-status.ts). */
const NO_PACKAGE: FoundPackage = { digest: null, flavor: 'unknown', signature: { inputs: [], outputs: [] } };

function packageNameOf(runId: string, source: string): string {
  return `run ${runId}: ${source === '' ? '/' : `${source}/`}`;
}

function noPackage(runId: string, source: string): NotFoundError {
  return new NotFoundError(
    `${packageNameOf(runId, source)} is not a model package: ` +
      `the run has no artifact ${joinPath(source, MANIFEST_FILE)} (nor an MLflow ${MLMODEL_FILE})`,
    {
      where: 'path',
      hint:
        'Write the package with writeManifest(folder, …) ' +
        `and log the folder with logArtifactDirectory(runId, folder, '${source || 'model'}') (docs/model-format.md).`,
    },
  );
}

function pageOf<T>(found: T[], maxResults: number, offset: number): Page<T> {
  if (found.length <= maxResults) return { items: found };
  return { items: found.slice(0, maxResults), nextPageToken: encodePageToken(offset + maxResults) };
}

function joinPath(dir: string, file: string): string {
  return dir === '' ? file : `${dir}/${file}`;
}

function notFoundModel(name: string): NotFoundError {
  return new NotFoundError(`no registered model named '${name}'`, {
    where: name,
    hint:
      'List the models with `ciclo models list`; ' +
      'register one with `ciclo models register NAME --run RUN --path model/`.',
  });
}

/**
 * A primary-key collision (PostgreSQL 23505, SQLite constraint) or a busy store (STORE_BUSY, nothing written): worth
 * another try.
 */
function isConflict(error: unknown): boolean {
  if (error instanceof StoreBusyError) return true;
  if (error instanceof CicloError) return false;
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === '40001' || (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT'));
}

export async function readText(content: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of content) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
