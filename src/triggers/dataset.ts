import type { Kysely } from 'kysely';
import type { Schema } from '../store/index.js';
import { Poller, parseInterval } from './poller.js';
import type { TriggerSpec } from '../pipelines/index.js';
import type { SourceContext, TriggerSource } from './types.js';

type DatasetSpec = Extract<TriggerSpec, { type: 'dataset' }>;

/**
 * Fires when a run logs an input of the named dataset with a digest never seen before: for now the
 * datasets the tracking capability knows (`run_inputs`). The cursor is the sorted list of digests
 * already seen, so logging an old version again does not fire; the first check only records them.
 */
export function datasetSource(context: SourceContext<DatasetSpec>): TriggerSource {
  const { spec } = context.target;
  return new Poller({
    intervalMs: parseInterval(spec.interval),
    describe: () => `watches dataset "${spec.dataset}" for new versions every ${spec.interval}`,
    afterCheck: (error) => {
      if (error !== undefined) context.report(error);
      context.checked();
    },
    check: async () => {
      const versions = await datasetVersions(context.db, spec.dataset);
      const stored = await context.cursor.get();
      const known = new Set<string>(stored === undefined ? [] : (JSON.parse(stored) as string[]));
      const fresh = versions.filter((version) => !known.has(version.digest));
      if (stored !== undefined && fresh.length === 0) return;
      if (stored !== undefined) {
        const newest = fresh[fresh.length - 1]!;
        await context.fire({
          dataset: spec.dataset,
          digest: newest.digest,
          runId: newest.runId,
          newDigests: fresh.map((version) => version.digest),
        });
      }
      const all = [...new Set([...known, ...versions.map((version) => version.digest)])].sort();
      await context.cursor.set(JSON.stringify(all));
    },
  });
}

interface DatasetVersion {
  digest: string;
  /** A run that logged it (the earliest). */
  runId: string;
  firstSeen: number;
}

/**
 * Every digest logged for the dataset, oldest first by the start of the first run that logged it.
 * Read straight from the tracking tables: the tracking service has no "versions of a dataset" query
 * yet, and this one is read-only.
 */
async function datasetVersions(db: Kysely<Schema>, dataset: string): Promise<DatasetVersion[]> {
  const rows = await db
    .selectFrom('run_inputs')
    .innerJoin('runs', 'runs.run_uuid', 'run_inputs.run_uuid')
    .select(['run_inputs.dataset_digest as digest', 'runs.run_uuid as runId', 'runs.start_time as startTime'])
    .where('run_inputs.dataset_name', '=', dataset)
    .where('runs.lifecycle_stage', '=', 'active')
    .orderBy('runs.start_time')
    .orderBy('runs.run_uuid')
    .execute();
  const versions = new Map<string, DatasetVersion>();
  for (const row of rows) {
    if (!versions.has(row.digest)) versions.set(row.digest, { digest: row.digest, runId: row.runId, firstSeen: Number(row.startTime) });
  }
  return [...versions.values()];
}
