import path from 'node:path';
import { digestPath, type TriggerSpec } from '../pipelines/index.js';
import { Poller, parseInterval } from './poller.js';
import type { SourceContext, TriggerSource } from './types.js';

type PathSpec = Extract<TriggerSpec, { type: 'path' }>;

/** Stands for "nothing there" in the cursor, so a file that appears later fires too. */
const ABSENT = 'absent';

/**
 * Fires when the content digest of a file or folder (relative to the pipeline's folder) changes.
 * The first check only records the digest: a trigger seen for the first time has nothing to compare
 * with, and firing on every first start would start runs nobody asked for.
 */
export function pathSource(context: SourceContext<PathSpec>): TriggerSource {
  const { spec, pipeline } = context.target;
  const target = path.resolve(pipeline.workDir, spec.path);
  return new Poller({
    intervalMs: parseInterval(spec.interval),
    describe: () => `watches ${target} every ${spec.interval}`,
    afterCheck: (error) => {
      if (error !== undefined) context.report(error);
      context.checked();
    },
    check: async () => {
      const digest = await digestPath(target).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return ABSENT;
        throw error;
      });
      const previous = await context.cursor.get();
      if (previous === digest) return;
      if (previous !== undefined) {
        await context.fire({
          path: spec.path,
          digest: digest === ABSENT ? null : digest,
          previousDigest: previous === ABSENT ? null : previous,
        });
      }
      // Moved on only after the firing was taken (started, queued or dropped): a firing that failed
      // is tried again on the next check.
      await context.cursor.set(digest);
    },
  });
}
