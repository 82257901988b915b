import { registeredDatasetVersions } from '../data/index.js';
import type { TriggerSpec } from '../pipelines/index.js';
import { loggedDatasetVersions } from '../tracking/index.js';
import { Poller, parseInterval } from './poller.js';
import type { SourceContext, TriggerSource } from './types.js';

type DatasetSpec = Extract<TriggerSpec, { type: 'dataset' }>;

/** A version of the dataset from either source, merged by digest. */
interface SeenVersion {
  digest: string;
  /** When it was first seen: registered, or first logged by a run (its start). */
  time: number;
  /** The registered version's number (`ciclo data register`, a pipeline's `register:` output, REST). */
  version?: number;
  /** The earliest run that logged it as an input (MLflow `runs/log-inputs`, the SDK). */
  runId?: string;
}

/**
 * Fires when a new version of the named dataset appears: registered in Ciclo's dataset registry, or
 * logged as a run's input with a digest never seen before. The cursor is the sorted list of digests
 * already seen, so registering or logging a known version again does not fire; the first check only
 * records them. The payload names the newest new version and every new digest.
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
      const versions = await seenVersions(context, spec.dataset);
      const stored = await context.cursor.get();
      const known = new Set<string>(stored === undefined ? [] : (JSON.parse(stored) as string[]));
      const fresh = versions.filter((version) => !known.has(version.digest));
      if (stored !== undefined && fresh.length === 0) return;
      if (stored !== undefined) {
        const { digest, version, runId } = fresh[fresh.length - 1]!;
        await context.fire({
          dataset: spec.dataset,
          digest,
          ...(version === undefined ? {} : { version }),
          ...(runId === undefined ? {} : { runId }),
          newDigests: fresh.map((seen) => seen.digest),
        });
      }
      const all = [...new Set([...known, ...versions.map((version) => version.digest)])].sort();
      await context.cursor.set(JSON.stringify(all));
    },
  });
}

/** Both sources' versions, oldest first (registration order before logging order at the same time). */
async function seenVersions(context: SourceContext<DatasetSpec>, dataset: string): Promise<SeenVersion[]> {
  const byDigest = new Map<string, SeenVersion>();
  for (const registered of await registeredDatasetVersions(context.db, dataset)) {
    byDigest.set(registered.digest, {
      digest: registered.digest,
      time: registered.registeredTime,
      version: registered.version,
    });
  }
  for (const logged of await loggedDatasetVersions(context.db, dataset)) {
    const seen = byDigest.get(logged.digest);
    if (seen === undefined)
      byDigest.set(logged.digest, { digest: logged.digest, time: logged.firstSeen, runId: logged.runId });
    else seen.runId ??= logged.runId;
  }
  return [...byDigest.values()].sort((a, b) => a.time - b.time);
}
