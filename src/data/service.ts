import type { Kysely } from 'kysely';
import type { BlobStore } from '../artifacts/index.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError, InvalidStateError, NotFoundError } from '../common/errors.js';
import { DEFAULT_PROJECT, digestOf, requireProject, type AuditLog } from '../governance/index.js';
import type { Schema } from '../store/index.js';
import type { DatasetInput, TrackingService } from '../tracking/index.js';
import * as store from './dataset-store.js';
import { computeDiff, type DatasetDiff } from './diff.js';
import { DataEngine, readFilesSql } from './duckdb.js';
import { loadSuiteFile, runSuite, type SuiteReport } from './expectations/index.js';
import type {
  DatasetSummary,
  DatasetVersionDetail,
  DatasetVersionInfo,
  RegisterOptions,
  RegisterResult,
} from './records.js';
import { checkDatasetName, parseDatasetReference, parseVersionSelector, type DatasetReference } from './reference.js';
import { hashSource, inspectSource, storeFiles } from './register.js';
import { loadDeclaredSchema } from './schema.js';
import { withoutLeadingRows } from './leading-rows.js';
import { discoverSource } from './sources.js';
import type { DatasetResolver, DatasetVersion } from './types.js';
import { restoreDamagedFiles, verifiedFiles } from './verify.js';

const INSERT_ATTEMPTS = 3;

export interface DatasetServiceOptions {
  db: Kysely<Schema>;
  blobs: BlobStore;
  /** For `logInput`; a service without it cannot record run inputs. */
  tracking?: TrackingService;
  /** A new version is appended here, in the transaction that writes it. */
  audit?: AuditLog;
  now?: () => number;
}

/**
 * Named datasets as immutable, content-addressed versions. Registration reads the files in place
 * with a DuckDB of its own (opened and closed per call, so the service holds no engine), checks
 * everything, and only then copies the files into the blob store and writes the version.
 */
export class DatasetService implements DatasetResolver {
  readonly #db: Kysely<Schema>;
  readonly #blobs: BlobStore;
  readonly #tracking: TrackingService | undefined;
  readonly #audit: AuditLog | undefined;
  readonly #now: () => number;

  constructor(options: DatasetServiceOptions) {
    this.#db = options.db;
    this.#blobs = options.blobs;
    this.#tracking = options.tracking;
    this.#audit = options.audit;
    this.#now = options.now ?? Date.now;
  }

  async register(name: string, path: string, options: RegisterOptions = {}): Promise<RegisterResult> {
    checkDatasetName(name);
    // Checked before any file is read or copied, and again in the transaction that writes.
    await this.#projectFor(this.#db, name, options.project);
    const skipRows = parseSkipRows(options.skipRows);
    const engine = await DataEngine.open();
    const scratch = skipRows === 0 ? undefined : await mkdtemp(join(tmpdir(), 'ciclo-register-'));
    try {
      const declared = options.schema === undefined ? undefined : await loadDeclaredSchema(options.schema, engine);
      const discovered = await discoverSource(path, engine);
      if (scratch !== undefined && discovered.format !== 'csv') {
        throw new InvalidInputError(`--skip-rows applies to CSV files; ${path} is ${discovered.format}`, {
          where: 'skipRows',
          hint: 'leave --skip-rows out for Parquet and JSON Lines',
        });
      }
      const source = await hashSource(
        scratch === undefined ? discovered : await withoutLeadingRows(discovered, skipRows, scratch),
      );
      const existing = await store.findVersionByDigest(this.#db, name, source.digest);
      if (existing) {
        await restoreDamagedFiles(this.#blobs, store.versionInfo(existing), source.files);
        return { version: store.versionInfo(existing), created: false };
      }
      // Without --sensitive a new version keeps the previous one's tags: forgetting the flag must not unmask a column.
      const previous = options.sensitive === undefined ? await store.findLatestVersion(this.#db, name) : undefined;
      const inspection = await inspectSource(engine, source, {
        declared,
        sensitive: options.sensitive,
        inheritedSensitive: previous === undefined ? undefined : (JSON.parse(previous.sensitive) as string[]),
        where: path,
      });
      const files = await storeFiles(this.#blobs, source.files);
      return await this.#insert(
        { name, digest: source.digest, format: source.format, files, ...inspection },
        options.description,
        options.project,
      );
    } finally {
      engine.close();
      if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
    }
  }

  /**
   * Where a registration goes: an existing dataset's own project (naming another one is refused,
   * since only an admin moves a dataset), else the asked-for project, else `default`.
   */
  async #projectFor(db: Kysely<Schema>, name: string, asked: string | undefined): Promise<string> {
    const current = await store.datasetProject(db, name);
    if (current === undefined) return requireProject(db, asked ?? DEFAULT_PROJECT);
    if (asked !== undefined && asked !== current) {
      throw new InvalidStateError(
        `dataset ${name} is in project '${current}', so its versions cannot be registered into '${asked}'`,
        {
          where: 'project',
          hint:
            `Leave --project out (a new version stays in '${current}'), choose another dataset name, ` +
            `or ask an admin to move it: ciclo data move ${name} --project ${asked}`,
        },
      );
    }
    return current;
  }

  /** The next version number, unless a racing registration of the same content got there first. */
  async #insert(
    version: store.NewVersion,
    description: string | undefined,
    askedProject: string | undefined,
  ): Promise<RegisterResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#db.transaction().execute(async (trx) => {
          const now = this.#now();
          const project = await this.#projectFor(trx, version.name, askedProject);
          await store.upsertDataset(trx, version.name, project, description, now);
          const existing = await store.findVersionByDigest(trx, version.name, version.digest);
          if (existing) return { version: store.versionInfo(existing), created: false };
          const created = store.versionInfo(await store.insertNextVersion(trx, version, project, now));
          // Registering identical content again changes nothing, so only a new version is audited.
          await this.#audit?.append(
            {
              action: 'dataset.version.register',
              target: { type: 'dataset_version', id: `${created.name}@${created.version}` },
              beforeDigest: null,
              afterDigest: digestOf(created),
              details: { digest: created.digest, rowCount: created.rowCount },
            },
            trx,
          );
          return { version: created, created: true };
        });
      } catch (error) {
        // A unique violation: another process inserted this version number or this digest meanwhile.
        // A refused project is final, not a race.
        if (attempt >= INSERT_ATTEMPTS || error instanceof InvalidStateError || error instanceof NotFoundError)
          throw error;
        const existing = await store.findVersionByDigest(this.#db, version.name, version.digest);
        if (existing) return { version: store.versionInfo(existing), created: false };
      }
    }
  }

  /**
   * `NAME`, `NAME@3`, `NAME@sha256:…` → the version with local paths DuckDB can read, each file verified
   * (CORRUPT_DATASET).
   */
  async resolve(reference: string): Promise<DatasetVersion> {
    return (await this.resolveWithDetail(reference)).version;
  }

  /** `resolve` and the stored detail it read (relative paths, profile), from one lookup. */
  async resolveWithDetail(reference: string): Promise<{ version: DatasetVersion; detail: DatasetVersionDetail }> {
    const info = await this.show(reference);
    const files = await verifiedFiles(this.#blobs, info);
    const version: DatasetVersion = {
      name: info.name,
      version: info.version,
      digest: info.digest,
      format: info.format,
      files,
      schema: info.schema,
      rowCount: info.rowCount,
      createdTime: info.createdTime,
    };
    return { version, detail: info };
  }

  async show(reference: string): Promise<DatasetVersionDetail> {
    return store.versionDetail(await this.#find(parseDatasetReference(reference)));
  }

  /**
   * A version of the dataset named exactly `name` (never a reference: `x@1` is not a name): its
   * latest, or the one `selector` names (`3`, `sha256:…`). What a route judged is what it reads.
   */
  async showVersion(name: string, selector?: string): Promise<DatasetVersionDetail> {
    const reference =
      selector === undefined
        ? { name: checkDatasetName(name), kind: 'latest' as const }
        : parseVersionSelector(checkDatasetName(name), selector);
    return store.versionDetail(await this.#find(reference));
  }

  /**
   * Every dataset with its latest version; `projects` keeps only those of the projects given (what the caller may
   * read).
   */
  async list(filter: { projects?: readonly string[] } = {}): Promise<DatasetSummary[]> {
    return store.listDatasets(this.#db, filter);
  }

  /**
   * Moves the dataset, with every version, to another existing project, in one transaction with
   * its `dataset.move` audit entry. Moving it where it already is changes nothing.
   */
  async moveToProject(name: string, project: string): Promise<DatasetSummary> {
    checkDatasetName(name);
    await this.#db.transaction().execute(async (trx) => {
      const current = await store.datasetProject(trx, name);
      if (current === undefined) throw unknownDataset(name);
      const destination = await requireProject(trx, project);
      if (destination === current) return;
      await store.moveDataset(trx, name, destination, this.#now());
      await this.#audit?.append(
        {
          action: 'dataset.move',
          target: { type: 'dataset', id: name },
          beforeDigest: digestOf({ project: current }),
          afterDigest: digestOf({ project: destination }),
          details: { from: current, to: destination },
        },
        trx,
      );
    });
    const [summary] = await store.listDatasets(this.#db, { name });
    return summary!;
  }

  async versions(name: string): Promise<DatasetVersionInfo[]> {
    checkDatasetName(name);
    if (!(await store.datasetExists(this.#db, name))) throw unknownDataset(name);
    return (await store.listVersions(this.#db, name)).map(store.versionInfo);
  }

  /** Schema and statistics changes from version `from` to version `to` (numbers or digests). */
  async diff(name: string, from: string, to: string): Promise<DatasetDiff> {
    const before = store.versionDetail(await this.#find(parseVersionSelector(name, from)));
    const after = store.versionDetail(await this.#find(parseVersionSelector(name, to)));
    return computeDiff(before, after);
  }

  /**
   * Checks a version against an expectation suite: sensitive columns come from the version's tags,
   * and `schema_unchanged` compares with the version before it.
   */
  async validate(reference: string, suiteFile: string): Promise<SuiteReport> {
    const suite = await loadSuiteFile(suiteFile);
    const version = await this.resolve(reference);
    const previous =
      version.version > 1 ? await store.findVersion(this.#db, version.name, version.version - 1) : undefined;
    const engine = await DataEngine.open();
    try {
      return await runSuite(
        engine,
        {
          relationSql: readFilesSql(version.files, version.format),
          schema: version.schema,
          ...(previous ? { previousSchema: store.versionDetail(previous).schema } : {}),
          sensitive: version.schema.filter((column) => column.sensitive).map((column) => column.name),
        },
        suite,
      );
    } finally {
      engine.close();
    }
  }

  /** Records the version as the run's dataset input (`source` = `ciclo-dataset:NAME@VERSION`). */
  async logInput(runId: string, reference: string, context = 'training'): Promise<DatasetInput> {
    if (this.#tracking === undefined) throw new Error('DatasetService.logInput needs the tracking service');
    const version = await this.show(reference);
    const input: DatasetInput = {
      name: version.name,
      digest: version.digest,
      context,
      sourceType: 'ciclo-dataset',
      source: `ciclo-dataset:${version.name}@${version.version}`,
      schema: JSON.stringify(version.schema),
    };
    await this.#tracking.logInputs(runId, [input]);
    return input;
  }

  async #find(reference: DatasetReference) {
    const { name } = reference;
    const row =
      reference.kind === 'latest'
        ? await store.findLatestVersion(this.#db, name)
        : reference.kind === 'version'
          ? await store.findVersion(this.#db, name, reference.version)
          : await store.findVersionByDigest(this.#db, name, reference.digest);
    if (row) return row;
    if (!(await store.datasetExists(this.#db, name))) throw unknownDataset(name);
    const which =
      reference.kind === 'version'
        ? `version ${reference.version}`
        : reference.kind === 'digest'
          ? `version ${reference.digest}`
          : 'any version';
    throw new NotFoundError(`dataset ${name} has no ${which}`, {
      where: name,
      hint: `list them with: ciclo data versions ${name}`,
    });
  }
}

function unknownDataset(name: string): NotFoundError {
  return new NotFoundError(`no dataset named ${name}`, { where: name, hint: 'list datasets with: ciclo data list' });
}

function parseSkipRows(rows: number | undefined): number {
  if (rows === undefined) return 0;
  if (!Number.isSafeInteger(rows) || rows < 0) {
    throw new InvalidInputError(`skipRows must be a whole number of lines, 0 or more (got ${rows})`, {
      where: 'skipRows',
      hint: 'the lines above the header, e.g. --skip-rows 1 for one metadata line',
    });
  }
  return rows;
}
