import { createReadStream } from 'node:fs';
import type { Kysely } from 'kysely';
import type { BlobReference, BlobReferenceSource, BlobStore } from '../../artifacts/index.js';
import type { Schema } from '../../store/index.js';

/** Ids per insert: 3 values each, well inside SQLite's and PostgreSQL's bound-value limits. */
const ID_CHUNK = 2000;

/** A Parquet file of captured requests. */
export interface CaptureFile {
  deployment: string;
  path: string;
  /** Start of the hour its rows were answered in (ms). */
  hour: number;
  digest: string;
  rows: number;
  bytes: number;
  createdTime: number;
}

export interface Feedback {
  deployment: string;
  requestId: string;
  label: unknown;
  actor: string;
  time: number;
}

/**
 * The one owner of `capture_files` and `prediction_feedback` (migration `0012_deployments`): capture
 * files go into the artifact store as blobs and are listed here by deployment and hour; feedback is a
 * row per request id, the latest label winning. Monitoring reads both through this class.
 */
export class CaptureStore {
  readonly #db: Kysely<Schema>;
  readonly #blobs: BlobStore;
  readonly #now: () => number;

  constructor(db: Kysely<Schema>, blobs: BlobStore, now: () => number = Date.now) {
    this.#db = db;
    this.#blobs = blobs;
    this.#now = now;
  }

  /**
   * Stores the local file as a blob and lists it under `path`, with the request ids it holds (one transaction:
   * feedback can name a request once its file is listed, never before).
   */
  async addFile(
    deployment: string,
    path: string,
    hour: number,
    file: string,
    rows: number,
    requestIds: readonly string[] = [],
  ): Promise<CaptureFile> {
    const blob = await this.#blobs.put(createReadStream(file));
    const row = {
      deployment,
      path,
      hour,
      digest: blob.digest,
      rows,
      bytes: blob.sizeBytes,
      created_time: this.#now(),
    };
    await this.#db.transaction().execute(async (trx) => {
      await trx.insertInto('capture_files').values(row).execute();
      const unique = [...new Set(requestIds)];
      for (let start = 0; start < unique.length; start += ID_CHUNK) {
        await trx
          .insertInto('captured_requests')
          .values(unique.slice(start, start + ID_CHUNK).map((id) => ({ deployment, request_id: id, hour })))
          // A caller may send the same x-request-id again: the first capture of it is enough to join feedback.
          .onConflict((conflict) => conflict.columns(['deployment', 'request_id']).doNothing())
          .execute();
      }
    });
    return { ...row, createdTime: row.created_time };
  }

  /** Whether a capture file of the deployment holds the request (an index lookup). */
  async isCaptured(deployment: string, requestId: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom('captured_requests')
      .select('hour')
      .where('deployment', '=', deployment)
      .where('request_id', '=', requestId)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** The deployment's files with hours in [from, to), oldest first (the index on deployment and hour answers it). */
  async files(deployment: string, range: { from?: number; to?: number } = {}): Promise<CaptureFile[]> {
    let query = this.#db.selectFrom('capture_files').selectAll().where('deployment', '=', deployment);
    if (range.from !== undefined) query = query.where('hour', '>=', range.from);
    if (range.to !== undefined) query = query.where('hour', '<', range.to);
    const rows = await query.orderBy('hour').orderBy('created_time').execute();
    return rows.map((row) => ({
      deployment: row.deployment,
      path: row.path,
      hour: Number(row.hour),
      digest: row.digest,
      rows: Number(row.rows),
      bytes: Number(row.bytes),
      createdTime: Number(row.created_time),
    }));
  }

  /** A local path of the file's blob, for DuckDB to read in place. */
  async localFile(file: CaptureFile): Promise<string> {
    return this.#blobs.localFile(file.digest);
  }

  async putFeedback(deployment: string, requestId: string, label: unknown, actor: string): Promise<void> {
    const row = { deployment, request_id: requestId, label: JSON.stringify(label), actor, time: this.#now() };
    await this.#db
      .insertInto('prediction_feedback')
      .values(row)
      .onConflict((conflict) =>
        conflict.columns(['deployment', 'request_id']).doUpdateSet({ label: row.label, actor, time: row.time }),
      )
      .execute();
  }

  async feedback(deployment: string): Promise<Feedback[]> {
    const rows = await this.#db
      .selectFrom('prediction_feedback')
      .selectAll()
      .where('deployment', '=', deployment)
      .orderBy('time')
      .execute();
    return rows.map((row) => ({
      deployment: row.deployment,
      requestId: row.request_id,
      label: JSON.parse(row.label) as unknown,
      actor: row.actor,
      time: Number(row.time),
    }));
  }
}

/** Capture files as blob references, so `ciclo gc` keeps them and `ciclo fsck` checks them. */
export class CaptureBlobReferences implements BlobReferenceSource {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  async *references(): AsyncIterable<BlobReference> {
    const rows = await this.#db.selectFrom('capture_files').select(['deployment', 'path', 'digest']).execute();
    for (const row of rows) yield { digest: row.digest, referrer: `capture ${row.deployment}: ${row.path}` };
  }
}
