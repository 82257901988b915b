import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Poller, parseInterval } from './poller.js';
import type { TriggerSpec } from '../pipelines/index.js';
import type { SourceContext, TriggerSource } from './types.js';

type GitSpec = Extract<TriggerSpec, { type: 'git' }>;

const run = promisify(execFile);

/**
 * Fires when `ref` moves to a commit that changes one of `paths` (relative to the pipeline's folder,
 * which is where git runs, so pathspecs resolve from there). The cursor is the last commit seen; a
 * move that touches nothing watched moves the cursor without firing. The first check only records.
 */
export function gitSource(context: SourceContext<GitSpec>): TriggerSource {
  const { spec, pipeline } = context.target;
  const git = async (...args: string[]) =>
    (await run('git', args, { cwd: pipeline.workDir, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 })).stdout.trim();
  return new Poller({
    intervalMs: parseInterval(spec.interval),
    describe: () =>
      `watches ${spec.ref} in ${pipeline.workDir} (paths: ${spec.paths.join(', ')}) every ${spec.interval}`,
    afterCheck: (error) => {
      if (error !== undefined) context.report(error);
      context.checked();
    },
    check: async () => {
      const commit = await git('rev-parse', '--verify', '--quiet', `${spec.ref}^{commit}`);
      const previous = await context.cursor.get();
      if (previous === commit) return;
      if (previous !== undefined) {
        const changed = await changedFiles(git, previous, commit, spec.paths);
        if (changed === undefined || changed.length > 0) {
          await context.fire({
            ref: spec.ref,
            commit,
            previousCommit: previous,
            paths: spec.paths,
            changed: changed ?? null,
          });
        }
      }
      await context.cursor.set(commit);
    },
  });
}

/**
 * Files under `paths` that differ between the two commits; undefined when git cannot compare them
 * (the old commit was garbage-collected after a force push), which counts as a change: better one
 * run too many than a missed one.
 */
async function changedFiles(
  git: (...args: string[]) => Promise<string>,
  from: string,
  to: string,
  paths: readonly string[],
): Promise<string[] | undefined> {
  try {
    const out = await git('diff', '--name-only', from, to, '--', ...paths);
    return out === '' ? [] : out.split('\n');
  } catch {
    return undefined;
  }
}
