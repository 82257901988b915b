import type { TriggerSpec } from '../pipelines/index.js';
import { loggedDatasetVersions } from '../tracking/index.js';
import { Poller, parseInterval } from './poller.js';
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
      const versions = await loggedDatasetVersions(context.db, spec.dataset);
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
