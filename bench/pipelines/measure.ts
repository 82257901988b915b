import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openContext, type CicloContext } from '../../src/app/context.js';
import { loadConfig } from '../../src/common/config.js';
import type { PipelineDefinition } from '../../src/pipelines/index.js';
import { makeTempDir } from '../../test/support/temp.js';
import { elapsedMs } from '../stats.js';

/** A context on the embedded default (SQLite in `<home>/ciclo.db`) in a temp folder of its own. */
export interface BenchContext {
  context: CicloContext;
  /** The steps' working directory: a plain folder, not a git checkout. */
  workDir: string;
  drop(): Promise<void>;
}

export async function openBenchContext(): Promise<BenchContext> {
  const temp = makeTempDir('ciclo-bench-pipelines-');
  const config = loadConfig({ CICLO_HOME: join(temp.dir, 'home'), CICLO_LOG_LEVEL: 'silent' }, temp.dir);
  if (config.database.dialect !== 'sqlite') throw new Error('expected the embedded SQLite default');
  const workDir = join(temp.dir, 'work');
  mkdirSync(config.home, { recursive: true });
  mkdirSync(workDir, { recursive: true });
  const context = await openContext(config);
  return {
    context,
    workDir,
    drop: async () => {
      await context.close();
      temp.remove();
    },
  };
}

/**
 * Milliseconds for one `PipelineService.run` of the definition, start to final status; throws unless
 * the run succeeded and every step ended in `expect`.
 */
export async function timePipelineRun(
  bench: BenchContext,
  definition: PipelineDefinition,
  options: { noCache: boolean; expect: 'SUCCEEDED' | 'CACHED' },
): Promise<number> {
  const start = process.hrtime.bigint();
  const { pipelineRunId, status } = await bench.context.pipelines.run(
    { definition, workDir: bench.workDir },
    { noCache: options.noCache },
  );
  const ms = elapsedMs(start);
  if (status !== 'SUCCEEDED') throw new Error(`pipeline run ${pipelineRunId} ended ${status}`);
  const { steps } = await bench.context.pipelines.getRun(pipelineRunId);
  const unexpected = steps.filter((step) => step.status !== options.expect);
  if (steps.length !== definition.steps.length || unexpected.length > 0) {
    throw new Error(
      `pipeline run ${pipelineRunId}: ${unexpected.length} of ${steps.length} steps not ${options.expect}`,
    );
  }
  return ms;
}
