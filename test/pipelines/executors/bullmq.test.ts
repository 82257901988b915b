import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { stepRuntimes } from '../../../src/app/step-kinds.js';
import {
  BullmqExecutor,
  startStepWorker,
  type StepProcessInfo,
  type StepWorkerHandle,
} from '../../../src/pipelines/index.js';
import { runCli } from '../../cli/run-cli.js';
import { openTestContext, type TestContext } from '../../support/context.js';
import { DIALECTS } from '../../support/databases.js';
import { compile, shell, statusesByStep, workDirIn } from '../support/scheduler.js';
import { isRunning, jobIn, noSignal, readPid, tempFolder } from './support.js';
import { waitFor } from '../../support/wait.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const MAIN = fileURLToPath(new URL('../../../dist/bin/ciclo.js', import.meta.url));

/** A queue of the test's own, so tests running side by side never see each other's jobs. */
function testQueueName(): string {
  return `ciclo-test-${randomBytes(6).toString('hex')}`;
}

/** Whether a job of the queue has recorded `pid` as its step's process (BullMQ's job hash, field `progress`). */
async function jobRecordsPid(queueName: string, pid: number): Promise<boolean> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `bull:${queueName}:*`, 'COUNT', 1000);
      for (const key of keys) {
        if ((await redis.type(key)) !== 'hash') continue;
        const progress = await redis.hget(key, 'progress');
        if (progress !== null && (JSON.parse(progress) as { pid?: number }).pid === pid) return true;
      }
      cursor = next;
    } while (cursor !== '0');
    return false;
  } finally {
    redis.disconnect();
  }
}

/** Deletes every Redis key of the queue (BullMQ's default prefix `bull`). */
async function deleteQueueKeys(queueName: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `bull:${queueName}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

describe('BullmqExecutor with an in-process worker', () => {
  let queueName: string;
  let folder: string;
  let removeFolder: () => Promise<void>;
  let worker: StepWorkerHandle;
  let executor: BullmqExecutor;

  beforeEach(async () => {
    queueName = testQueueName();
    ({ folder, remove: removeFolder } = await tempFolder());
    worker = await startStepWorker({
      redisUrl: REDIS_URL,
      queueName,
      concurrency: 2,
      killGraceMs: 500,
      runtimes: stepRuntimes(),
    });
    executor = new BullmqExecutor({ redisUrl: REDIS_URL, queueName, pollMs: 200 });
  });

  afterEach(async () => {
    await executor.close();
    await worker.close();
    await deleteQueueKeys(queueName);
    await removeFolder();
  });

  it('runs a step on the worker: the log holds its output and the start is reported', async () => {
    const started: StepProcessInfo[] = [];
    const job = jobIn(folder, 'command', { command: ['sh', '-c', 'echo hello; echo oops >&2'] });
    const result = await executor.run(job, { ...noSignal, onStart: (info) => started.push(info) });
    expect(result).toMatchObject({ status: 'succeeded', exitCode: 0, signal: null });
    expect(await readFile(job.logFile, 'utf8')).toBe('hello\noops\n');
    expect(started).toEqual([{ pid: expect.any(Number), host: hostname(), worker: worker.id }]);
  });

  it('gives a failing command as a failed result with its exit code', async () => {
    const result = await executor.run(jobIn(folder, 'command', { command: ['sh', '-c', 'exit 3'] }), noSignal);
    expect(result).toMatchObject({ status: 'failed', exitCode: 3, error: 'exited with code 3 and printed nothing' });
  });

  it('gives a step the worker could not start (an unknown kind) as failed, not as a rejection', async () => {
    const result = await executor.run(jobIn(folder, 'no-such-kind', {}), noSignal);
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/no-such-kind/);
  });

  it('ends a sleeping step when the signal aborts', async () => {
    const pidFile = path.join(folder, 'pid');
    const controller = new AbortController();
    const job = jobIn(folder, 'command', { command: ['sh', '-c', `echo $$ > "${pidFile}"; exec sleep 30`] });
    const running = executor.run(job, { signal: controller.signal });
    const pid = await readPid(pidFile);
    controller.abort();
    expect(await running).toMatchObject({ status: 'cancelled' });
    expect(await isRunning(pid)).toBe(false);
  });

  it("adds the same attempt once: a second run of it waits for the first one's result", async () => {
    const job = jobIn(folder, 'command', { command: ['sh', '-c', 'echo ran'] });
    const [first, second] = await Promise.all([executor.run(job, noSignal), executor.run(job, noSignal)]);
    expect(first.status).toBe('succeeded');
    expect(second.status).toBe('succeeded');
    expect(await executor.run(job, noSignal)).toMatchObject({ status: 'succeeded' });
    expect(await readFile(job.logFile, 'utf8')).toBe('ran\n');
  });

  it('hands a running step back to the queue when its worker stops, and another worker runs it', async () => {
    const pidFile = path.join(folder, 'pid');
    const marker = path.join(folder, 'started');
    const job = jobIn(folder, 'command', {
      command: [
        'sh',
        '-c',
        `if [ ! -e "${marker}" ]; then touch "${marker}"; echo $$ > "${pidFile}"; exec sleep 30; fi; echo second`,
      ],
    });
    const running = executor.run(job, noSignal);
    const pid = await readPid(pidFile);
    await worker.close();
    expect(await isRunning(pid)).toBe(false);
    worker = await startStepWorker({
      redisUrl: REDIS_URL,
      queueName,
      concurrency: 1,
      killGraceMs: 500,
      runtimes: stepRuntimes(),
    });
    expect(await running).toMatchObject({ status: 'succeeded' });
    expect(await readFile(job.logFile, 'utf8')).toBe('second\n');
  });
});

describe('BullmqExecutor without a worker', () => {
  it('removes a job nobody has taken when the signal aborts', async () => {
    const queueName = testQueueName();
    const { folder, remove } = await tempFolder();
    const executor = new BullmqExecutor({ redisUrl: REDIS_URL, queueName, pollMs: 200 });
    onTestFinished(async () => {
      await executor.close();
      await deleteQueueKeys(queueName);
      await remove();
    });
    const controller = new AbortController();
    const running = executor.run(jobIn(folder, 'command', { command: ['true'] }), { signal: controller.signal });
    // Aborted once the job is on the queue, not after a fixed time that a slow machine could lose the race to.
    const redis = new Redis(REDIS_URL);
    onTestFinished(() => void redis.disconnect());
    const waiting = () => redis.llen(`bull:${queueName}:wait`);
    await waitFor('the job to wait on the queue', async () => (await waiting()) === 1);
    controller.abort();
    expect(await running).toMatchObject({ status: 'cancelled' });
    expect(await waiting()).toBe(0);
  });
});

/** A `ciclo worker` child process; resolves once it has printed its ready line. */
async function startWorkerProcess(env: Record<string, string>): Promise<ChildProcess> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CICLO_')));
  const child = spawn(
    process.execPath,
    [MAIN, 'worker', '--concurrency', '1', '--lock-ms', '1000', '--kill-grace-ms', '500'],
    {
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  await new Promise<void>((resolve, reject) => {
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes(' ready on queue ')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready: ${stderr}`)));
  });
  return child;
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe.each(DIALECTS)(
  'a diamond pipeline on two `ciclo worker` processes, one SIGKILLed mid-step, on %s',
  (dialect) => {
    let test: TestContext;
    let queueName: string;

    beforeEach(async () => {
      queueName = testQueueName();
      test = await openTestContext(dialect, { redisUrl: REDIS_URL, queueName });
    });

    afterEach(async () => {
      await test.drop();
      await deleteQueueKeys(queueName);
    });

    it("re-runs the killed worker's step on the other worker and the run succeeds", async () => {
      const workDir = await workDirIn(test.dir);
      // The test's markers live outside the pipeline folder, where a step may not write.
      const markers = path.join(test.dir, 'markers');
      await mkdir(markers, { recursive: true });
      const env = { M: markers };
      const definition = compile({
        name: 'diamond',
        executor: 'bullmq',
        steps: [
          { name: 'a', ...shell('echo 1 > "$CICLO_OUTPUT_DIR/n"'), outputs: { n: { type: 'file' } }, env },
          {
            name: 'b',
            // The first run records its shell and worker ($PPID) and hangs until its worker is killed.
            ...shell(
              'if [ ! -e "$M/b-started" ]; then echo "$$ $PPID" > "$M/b-started.tmp"; ' +
                'mv "$M/b-started.tmp" "$M/b-started"; sleep 60; fi; ' +
                'echo $PPID > "$M/b-ran-on"; echo $(( $(cat "$CICLO_INPUT_N") + 10 )) > "$CICLO_OUTPUT_DIR/n"',
            ),
            inputs: { n: 'steps.a.outputs.n' },
            outputs: { n: { type: 'file' } },
            env,
          },
          {
            name: 'c',
            ...shell('echo $(( $(cat "$CICLO_INPUT_N") + 100 )) > "$CICLO_OUTPUT_DIR/n"'),
            inputs: { n: 'steps.a.outputs.n' },
            outputs: { n: { type: 'file' } },
            env,
          },
          {
            name: 'd',
            ...shell('echo $(( $(cat "$CICLO_INPUT_B") + $(cat "$CICLO_INPUT_C") )) > "$CICLO_OUTPUT_DIR/sum"'),
            inputs: { b: 'steps.b.outputs.n', c: 'steps.c.outputs.n' },
            outputs: { sum: { type: 'file' } },
            env,
          },
        ],
      });

      const workerEnv = { CICLO_REDIS_URL: REDIS_URL, CICLO_QUEUE: queueName, CICLO_HOME: test.dir };
      const workers = await Promise.all([startWorkerProcess(workerEnv), startWorkerProcess(workerEnv)]);
      onTestFinished(async () => {
        for (const worker of workers) worker.kill('SIGKILL');
        await Promise.all(workers.map(exitOf));
      });

      const pipelines = test.context.pipelines;
      const pipelineRunId = await pipelines.start({ definition, workDir });
      const driving = pipelines.drive(pipelineRunId);

      const marker = path.join(markers, 'b-started');
      await waitFor('step b to start', async () => (await readFile(marker, 'utf8').catch(() => '')) !== '');
      const [stepPid, workerPid] = (await readFile(marker, 'utf8')).trim().split(' ').map(Number);
      const victim = workers.find((worker) => worker.pid === workerPid)!;
      const survivor = workers.find((worker) => worker !== victim)!;
      expect(victim).toBeDefined();
      // Killed once its job names the step's process group: a worker that dies between starting a step and
      // recording its pid (an asynchronous write to Redis) leaves a process no other worker can find.
      await waitFor("the victim's job to record step b's process", () => jobRecordsPid(queueName, stepPid!));
      victim.kill('SIGKILL');
      expect(await exitOf(victim)).toEqual({ code: null, signal: 'SIGKILL' });

      expect(await driving).toBe('SUCCEEDED');

      const { run, steps } = await pipelines.getRun(pipelineRunId);
      expect(run.status).toBe('SUCCEEDED');
      expect(statusesByStep(steps)).toEqual({ a: ['SUCCEEDED'], b: ['SUCCEEDED'], c: ['SUCCEEDED'], d: ['SUCCEEDED'] });
      const output = (step: string, name: string) =>
        readFile(path.join(pipelines.scheduler.stepFolder(pipelineRunId, step), 'outputs', name), 'utf8');
      expect(await output('b', 'n')).toBe('11\n');
      expect(await output('d', 'sum')).toBe('112\n');
      expect(Number(await readFile(path.join(markers, 'b-ran-on'), 'utf8'))).toBe(survivor.pid);
      const b = steps.find((step) => step.step_name === 'b')!;
      expect(b).toMatchObject({ attempt: 1, worker: `${hostname()}:${survivor.pid}`, process_host: hostname() });
      // The surviving worker ended the dead worker's orphaned step before running it again.
      expect(await isRunning(stepPid!)).toBe(false);

      survivor.kill('SIGTERM');
      expect(await exitOf(survivor)).toEqual({ code: 0, signal: null });
    });
  },
);

describe('ciclo worker', () => {
  it('refuses a concurrency that is not a positive integer, naming the flag', async () => {
    const result = await runCli(['worker', '--concurrency', '0'], {
      CICLO_REDIS_URL: REDIS_URL,
      CICLO_QUEUE: testQueueName(),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--concurrency');
    expect(result.stderr).toContain('positive integer');
  });

  it('refuses a Redis URL that is not one, with exit code 2', async () => {
    const result = await runCli(['worker', '--concurrency', '1'], { CICLO_REDIS_URL: 'http://127.0.0.1:6379' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('CICLO_REDIS_URL');
  });
});
