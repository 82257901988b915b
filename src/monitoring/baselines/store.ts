import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import type { BlobReference, BlobReferenceSource } from '../../artifacts/index.js';
import type { ModelBaselinesTable, Schema } from '../../store/index.js';
import { BaselineDatasetSchema, PredictionSummarySchema, type Baseline } from './types.js';

/** The one owner of `model_baselines` (migration 0013): one row per registered version that has a baseline. */

export async function findBaseline(db: Kysely<Schema>, model: string, version: number): Promise<Baseline | undefined> {
  const row = await db
    .selectFrom('model_baselines')
    .selectAll()
    .where('model_name', '=', model)
    .where('version', '=', version)
    .executeTakeFirst();
  return row === undefined ? undefined : baselineOf(row);
}

/** Writes the version's baseline, replacing the one it had. */
export async function saveBaseline(db: Kysely<Schema>, baseline: Baseline): Promise<void> {
  const row = {
    model_name: baseline.model,
    version: baseline.version,
    source: baseline.source,
    datasets: JSON.stringify(baseline.datasets),
    predictions: baseline.predictions === null ? null : JSON.stringify(baseline.predictions),
    predictions_digest: baseline.predictionsDigest,
    predictions_error: baseline.predictionsError,
    created_by: baseline.createdBy,
    created_time: baseline.createdTime,
  };
  const { model_name: _model, version: _version, ...changes } = row;
  await db
    .insertInto('model_baselines')
    .values(row)
    .onConflict((conflict) => conflict.columns(['model_name', 'version']).doUpdateSet(changes))
    .execute();
}

export async function deleteBaseline(db: Kysely<Schema>, model: string, version: number): Promise<void> {
  await db.deleteFrom('model_baselines').where('model_name', '=', model).where('version', '=', version).execute();
}

function baselineOf(row: Selectable<ModelBaselinesTable>): Baseline {
  return {
    model: row.model_name,
    version: Number(row.version),
    source: row.source,
    datasets: z.array(BaselineDatasetSchema).parse(JSON.parse(row.datasets)),
    predictions: row.predictions === null ? null : PredictionSummarySchema.parse(JSON.parse(row.predictions)),
    predictionsDigest: row.predictions_digest,
    predictionsError: row.predictions_error,
    createdBy: row.created_by,
    createdTime: Number(row.created_time),
  };
}

/** Baselines' prediction blobs as references, so `ciclo gc` keeps them and `ciclo fsck` checks them. */
export class BaselineBlobReferences implements BlobReferenceSource {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  async *references(): AsyncIterable<BlobReference> {
    const rows = await this.#db
      .selectFrom('model_baselines')
      .select(['model_name', 'version', 'predictions_digest'])
      .where('predictions_digest', 'is not', null)
      .execute();
    for (const row of rows) {
      if (row.predictions_digest === null) continue;
      yield { digest: row.predictions_digest, referrer: `baseline ${row.model_name}/${row.version}: predictions` };
    }
  }
}
