import { InvalidArgumentError, type Command } from 'commander';
import { stepRuntimes } from '../app/step-kinds.js';
import { loadConfig } from '../common/config.js';
import { startStepWorker } from '../pipelines/index.js';
import { parsePositiveInt } from './option-parsers.js';
import { emit } from './output.js';
import { nextStopSignal } from './signals.js';

interface WorkerOptions {
  concurrency: number;
  queue?: string;
  lockMs?: number;
  killGraceMs?: number;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'run pipeline steps from the queue of the `bullmq` executor (CICLO_REDIS_URL); needs the same ' +
        'CICLO_HOME and pipeline folders as the orchestrator, at the same paths (a shared volume)',
    )
    .option('--concurrency <n>', 'steps run at once', parsePositiveInt, 1)
    .option('--queue <name>', 'queue to take steps from (default: CICLO_QUEUE, or ciclo-steps)')
    .option(
      '--lock-ms <ms>',
      "how long a step's job stays locked without renewal; " +
        'a worker that dies has its step re-run elsewhere after about twice this',
      parseLockMs,
    )
    .option('--kill-grace-ms <ms>', 'time a cancelled step has between SIGTERM and SIGKILL', parsePositiveInt)
    .action(async (options: WorkerOptions, command: Command) => {
      const config = loadConfig();
      const worker = await startStepWorker({
        runtimes: stepRuntimes(),
        concurrency: options.concurrency,
        ...(config.redisUrl === undefined ? {} : { redisUrl: config.redisUrl }),
        ...((options.queue ?? config.queueName) === undefined ? {} : { queueName: options.queue ?? config.queueName }),
        ...(options.lockMs === undefined ? {} : { lockMs: options.lockMs }),
        ...(options.killGraceMs === undefined ? {} : { killGraceMs: options.killGraceMs }),
      });
      emit(
        command,
        { worker: worker.id, queue: worker.queue.queueName, concurrency: worker.concurrency },
        () => `worker ${worker.id} ready on queue ${worker.queue.queueName} (concurrency ${worker.concurrency})`,
      );
      const signal = await nextStopSignal();
      await worker.close();
      if (!command.optsWithGlobals<{ json?: boolean }>().json) process.stderr.write(`Stopped (${signal}).\n`);
    });
}

function parseLockMs(value: string): number {
  const ms = parsePositiveInt(value);
  if (ms < 200) throw new InvalidArgumentError('must be at least 200 (milliseconds)');
  return ms;
}
