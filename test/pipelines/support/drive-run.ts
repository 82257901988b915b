/**
 * Drives one pipeline run in a process of its own, so a test can SIGKILL the orchestrator mid-run.
 * argv: the CicloConfig as JSON, the pipeline run id.
 */
import { openContext } from '../../../src/app/context.js';
import type { CicloConfig } from '../../../src/common/config.js';

const [configJson, pipelineRunId] = process.argv.slice(2);
const config = JSON.parse(configJson!) as CicloConfig;
const context = await openContext(config);
try {
  process.stdout.write(`${await context.pipelines.drive(pipelineRunId!)}\n`);
} finally {
  await context.close();
}
