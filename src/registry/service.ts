import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import { digestOf, type AuditLog } from '../governance/index.js';
import { normalizeArtifactDir } from '../artifacts/index.js';
import { CicloError, InvalidInputError, InvalidStateError, NotFoundError } from '../common/errors.js';
import { parseInput } from '../common/validation.js';
import type { Schema } from '../store/index.js';
import { SYSTEM_TAGS, type TrackingService } from '../tracking/index.js';
import { MANIFEST_FILE, parseManifest, verifyPackageFiles } from './package.js';
import * as store from './store.js';
import {
  AliasSchema,
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

export interface RegistryDeps {
  db: Kysely<Schema>;
  tracking: TrackingService;
  /** Every change is appended here, in the transaction that makes it. */
  audit?: AuditLog;
  now?: () => number;
}

/**
 * The model registry: versions of named models, each a verified package among a run's artifacts,
 * with aliases and one version per environment. Artifacts are content-addressed, so a version
 * records the run and folder and the manifest's digest; no bytes are copied.
 */
export class RegistryService {
  readonly #db: Kysely<Schema>;
  readonly #tracking: TrackingService;
  readonly #audit: AuditLog | undefined;
  readonly #now: () => number;

  constructor(deps: RegistryDeps) {
    this.#db = deps.db;
    this.#tracking = deps.tracking;
    this.#audit = deps.audit;
    this.#now = deps.now ?? Date.now;
  }

  /** Registers the package under `path` in the run's artifacts as the model's next version. */
  async register(name: string, options: RegisterOptions): Promise<ModelVersion> {
    const modelName = parseInput(ModelNameSchema, name, 'name');
    const request = parseInput(RegisterSchema, options);
    const run = await this.#tracking.getRun(request.runId);
    if (run.info.lifecycleStage !== 'active') {
      throw new InvalidStateError(`run ${request.runId} is deleted`, { where: 'run_id', hint: 'restore the run first, or register from another run' });
    }
    const source = normalizeArtifactDir(request.path);
    const manifestPath = source === '' ? MANIFEST_FILE : `${source}/${MANIFEST_FILE}`;
    const packageName = `run ${request.runId}: ${source === '' ? '/' : `${source}/`}`;

    let read: Awaited<ReturnType<TrackingService['readArtifact']>>;
    try {
      read = await this.#tracking.readArtifact(request.runId, manifestPath);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      throw new NotFoundError(`${packageName} is not a model package: the run has no artifact ${manifestPath}`, {
        where: 'path',
        hint: `Write the package with writeManifest(folder, …) and log the folder with logArtifactDirectory(runId, folder, '${source || 'model'}') (docs/model-format.md).`,
      });
    }
    const manifest = parseManifest(await readText(read.content), `${packageName}${MANIFEST_FILE}`);
    verifyPackageFiles(manifest, await store.runFilesUnder(this.#db, request.runId, source), packageName);

    const version: store.NewVersion = {
      name: modelName,
      runId: request.runId,
      source,
      manifestDigest: read.file.digest,
      flavor: manifest.flavor,
      signature: manifest.signature,
      metrics: Object.fromEntries(run.data.metrics.map((m) => [m.key, Number.isFinite(m.value) ? m.value : null])),
      lineage: await this.#lineage(run),
      description: request.description ?? null,
      tags: request.tags ?? {},
    };
    const number = await this.#insert(version);
    return this.show(modelName, number);
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
          hint: `Set it with \`ciclo models alias set ${ref.name} ${ref.alias} VERSION\`, or see the aliases with \`ciclo models show ${ref.name}\`.`,
        });
      }
      return this.show(ref.name, version);
    }
    if (ref.version !== undefined) return this.show(ref.name, ref.version);
    const latest = await store.latestVersionNumber(this.#db, ref.name);
    if (latest === undefined) {
      await this.#requireModel(ref.name);
      throw new NotFoundError(`model '${ref.name}' has no versions`, { where: reference, hint: 'Register one with `ciclo models register`.' });
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

  async getModel(name: string): Promise<RegisteredModel> {
    const [model] = (await store.listModels(this.#db)).filter((m) => m.name === name);
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
  async setAlias(name: string, alias: string, version: number): Promise<{ previous: number | null }> {
    const checkedAlias = parseInput(AliasSchema, alias, 'alias');
    return this.#db.transaction().execute(async (trx) => {
      await this.#requireAssignable(trx, name, version, `alias '${checkedAlias}'`);
      const previous = await store.aliasVersion(trx, name, checkedAlias);
      await store.upsertAlias(trx, name, checkedAlias, version, this.#now());
      await this.#record(trx, 'model.alias.set', { type: 'model_alias', id: `${name}@${checkedAlias}` }, previous ?? null, version);
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
    return this.#db.transaction().execute(async (trx) => {
      await this.#requireAssignable(trx, name, version, `stage ${env}`);
      const row = await trx.selectFrom('model_stages').select('version').where('name', '=', name).where('environment', '=', env).executeTakeFirst();
      await store.upsertStage(trx, name, env, version, this.#now());
      const previous = row === undefined ? null : Number(row.version);
      await this.#record(trx, 'model.stage.set', { type: 'model_stage', id: `${name}:${env}` }, previous, version);
      return { previous };
    });
  }

  async #requireAssignable(db: Kysely<Schema>, name: string, version: number, what: string): Promise<void> {
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new InvalidInputError(`version must be a whole number from 1 (got ${version})`, { where: 'version' });
    }
    const row = await store.findVersionRow(db, name, version);
    if (row === undefined) {
      if (!(await store.modelExists(db, name))) throw notFoundModel(name);
      throw new NotFoundError(`model '${name}' has no version ${version}`, { where: `${name}/${version}`, hint: `List its versions with \`ciclo models show ${name}\`.` });
    }
    if (row.status === 'rejected') {
      throw new InvalidStateError(`${name}/${version} was rejected; ${what} cannot point at it`, {
        where: `${name}/${version}`,
        hint: 'Point it at an approved or pending version.',
      });
    }
  }

  async #requireModel(name: string): Promise<void> {
    if (!(await store.modelExists(this.#db, name))) throw notFoundModel(name);
  }

  async #lineage(run: Awaited<ReturnType<TrackingService['getRun']>>): Promise<ModelLineage> {
    const runId = run.info.runId;
    const parent = run.data.tags[SYSTEM_TAGS.parentRunId] ?? run.info.parentRunId ?? undefined;
    let pipelineRun: string | null = null;
    if (await store.isPipelineRun(this.#db, runId)) pipelineRun = runId;
    else if (parent !== undefined && (await store.isPipelineRun(this.#db, parent))) pipelineRun = parent;
    return {
      run: runId,
      pipeline_run: pipelineRun,
      git_commit: run.data.tags[SYSTEM_TAGS.gitCommit] ?? null,
      datasets: run.inputs.map((input) => ({ name: input.name, digest: input.digest, context: input.context })),
    };
  }

  /** Appends the change to the audit log inside the transaction that makes it (nothing without a log). */
  async #record(trx: Kysely<Schema>, action: string, target: { type: string; id: string }, before: unknown, after: unknown): Promise<void> {
    if (!this.#audit) return;
    await this.#audit.append(
      { action, target, beforeDigest: digestOf(before), afterDigest: digestOf(after) },
      trx,
    );
  }

  /** The next version number in a transaction; a racing registration that took it makes this one retry. */
  async #insert(version: store.NewVersion): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#db.transaction().execute(async (trx) => {
          const now = this.#now();
          await store.touchModel(trx, version.name, now);
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

function notFoundModel(name: string): NotFoundError {
  return new NotFoundError(`no registered model named '${name}'`, {
    where: name,
    hint: 'List the models with `ciclo models list`; register one with `ciclo models register NAME --run RUN --path model/`.',
  });
}

/** A primary-key collision (PostgreSQL 23505, SQLite constraint) or SQLite's busy lock: worth another try. */
function isConflict(error: unknown): boolean {
  if (error instanceof CicloError) return false;
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === '40001' || (typeof code === 'string' && (code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_BUSY'));
}

async function readText(content: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of content) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
