/**
 * Drives one pipeline run in a process of its own, so a test can SIGKILL the orchestrator mid-run.
 * argv: the CicloConfig as JSON, the pipeline run id.
 */
import { openContext } from '../../../src/app/context.js';
import type { CicloConfig } from '../../../src/common/config.js';
import { LocalExecutor, PipelineScheduler } from '../../../src/pipelines/index.js';

const [configJson, pipelineRunId] = process.argv.slice(2);
const config = JSON.parse(configJson!) as CicloConfig;
const context = await openContext(config);
const scheduler = new PipelineScheduler({ db: context.database.db, tracking: context.tracking, home: config.home });
const executor = new LocalExecutor();
try {
  process.stdout.write(`${await scheduler.drive(pipelineRunId!, { executor })}\n`);
} finally {
  await executor.close();
  await context.close();
}
