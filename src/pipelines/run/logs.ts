import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { NotFoundError } from '../../common/errors.js';
import type { PipelineRunStatus, StepExecutionRow } from './run-store.js';

/** A piece of one attempt's log, in the order the attempt wrote it. */
export interface LogChunk {
  stepName: string;
  attempt: number;
  data: Buffer;
  /** The attempt ended without writing a byte (`data` is empty): said, so silence is not taken for a missing log. */
  wroteNothing?: true;
}

export interface LogSource {
  getRun(pipelineRunId: string): Promise<{ run: { status: PipelineRunStatus }; steps: StepExecutionRow[] }>;
  logFile(pipelineRunId: string, stepName: string, attempt: number): string;
}

export interface StreamLogsOptions {
  /** Only this step's attempts. */
  step?: string;
  /** Keep reading as steps write, until the run has ended and everything is read. */
  follow?: boolean;
  pollMs?: number;
  signal?: AbortSignal;
}

const FINISHED: ReadonlySet<PipelineRunStatus> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/**
 * The logs of a pipeline run's step attempts, oldest attempt first. Files are streamed from the
 * last offset read, so a step that printed gigabytes is never held in memory, and following
 * picks up new attempts (retries, resumed steps) as they start.
 */
export async function* streamRunLogs(
  source: LogSource,
  pipelineRunId: string,
  options: StreamLogsOptions = {},
): AsyncGenerator<LogChunk> {
  const offsets = new Map<string, number>();
  const reportedEmpty = new Set<string>();
  const pollMs = options.pollMs ?? 250;
  for (;;) {
    const { run, steps } = await source.getRun(pipelineRunId);
    if (options.step !== undefined && !steps.some((execution) => execution.step_name === options.step)) {
      throw new NotFoundError(`pipeline run ${pipelineRunId} has no step "${options.step}"`, {
        where: '--step',
        hint: `its steps: ${[...new Set(steps.map((execution) => execution.step_name))].join(', ')}`,
      });
    }
    // Read the status before the files: whatever a finished run wrote is then surely on disk.
    const ended = FINISHED.has(run.status);
    const started = steps
      .filter((execution) => execution.started_time !== null && execution.cached_from_run_id === null)
      .filter((execution) => options.step === undefined || execution.step_name === options.step)
      .sort((a, b) => (a.started_time ?? 0) - (b.started_time ?? 0) || a.attempt - b.attempt);
    for (const execution of started) {
      const key = `${execution.step_name}#${execution.attempt}`;
      const file = source.logFile(pipelineRunId, execution.step_name, execution.attempt);
      const from = offsets.get(key) ?? 0;
      const size = await stat(file).then(
        (info) => info.size,
        () => 0,
      );
      if (size === 0 && execution.ended_time !== null && !reportedEmpty.has(key)) {
        reportedEmpty.add(key);
        yield { stepName: execution.step_name, attempt: execution.attempt, data: Buffer.alloc(0), wroteNothing: true };
      }
      if (size <= from) continue;
      for await (const data of createReadStream(file, { start: from, end: size - 1 })) {
        yield { stepName: execution.step_name, attempt: execution.attempt, data: data as Buffer };
      }
      offsets.set(key, size);
    }
    // Steps finish writing before the run's status says it ended, so after this pass nothing is left.
    if (!options.follow || ended || options.signal?.aborted) return;
    await sleep(pollMs, undefined, options.signal ? { signal: options.signal } : {}).catch(() => undefined);
  }
}
