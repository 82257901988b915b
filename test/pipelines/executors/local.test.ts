import { existsSync } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stepRuntimes } from '../../../src/app/step-kinds.js';
import { InvalidInputError } from '../../../src/common/errors.js';
import { LocalExecutor } from '../../../src/pipelines/index.js';
import { isRunning, jobIn, noSignal, readPid, tempFolder } from './support.js';
import { waitFor } from '../../support/wait.js';

let folder: string;
let remove: () => Promise<void>;
let executor: LocalExecutor;

beforeEach(async () => {
  ({ folder, remove } = await tempFolder());
  executor = new LocalExecutor({ runtimes: stepRuntimes(), killGraceMs: 1000 });
});

afterEach(async () => {
  await executor.close();
  await remove();
});

describe('LocalExecutor with a command step', () => {
  it('passes rendered arguments and the Ciclo variables, and the step writes into CICLO_OUTPUT_DIR', async () => {
    const job = jobIn(
      folder,
      'command',
      {
        command:
          `sh -c 'printf "%s\\n" "$@" "$CICLO_RUN_ID" "$CICLO_PARAM_LEARNING_RATE" "$CICLO_INPUT_TRAIN_DATA" ` +
          `"$CICLO_TRACKING_URI" "$EXTRA" > "$CICLO_OUTPUT_DIR/seen.txt"' ` +
          `sh --name=\${params.name} \${inputs.train-data} \${outputs.model}`,
      },
      {
        params: { name: 'two words', 'learning-rate': 0.5 },
        inputs: { 'train-data': '/data/train.csv' },
        outputs: { model: path.join(folder, 'out', 'model') },
        env: { EXTRA: 'extra-${params.name}' },
        trackingUri: 'http://127.0.0.1:5050',
      },
    );
    const result = await executor.run(job, noSignal);
    expect(result).toMatchObject({ status: 'succeeded', exitCode: 0, signal: null });
    expect(result.durationMs).toBeGreaterThan(0);
    const seen = await readFile(path.join(folder, 'out', 'seen.txt'), 'utf8');
    expect(seen.split('\n').slice(0, -1)).toEqual([
      '--name=two words',
      '/data/train.csv',
      path.join(folder, 'out', 'model'),
      'step-run-1',
      '0.5',
      '/data/train.csv',
      'http://127.0.0.1:5050',
      'extra-two words',
    ]);
  });

  it('runs in the step cwd, relative to the pipeline folder', async () => {
    await mkdir(path.join(folder, 'sub'));
    const job = jobIn(folder, 'command', { command: ['sh', '-c', 'pwd > "$CICLO_OUTPUT_DIR/cwd"'], cwd: 'sub' });
    expect((await executor.run(job, noSignal)).status).toBe('succeeded');
    expect((await readFile(path.join(folder, 'out', 'cwd'), 'utf8')).trim()).toBe(path.join(folder, 'sub'));
  });

  it('appends stdout and stderr to the log file', async () => {
    const job = jobIn(folder, 'command', { command: ['sh', '-c', 'echo out; echo err >&2'] });
    await executor.run(job, noSignal);
    await executor.run({ ...job, attempt: 2 }, noSignal);
    expect(await readFile(job.logFile, 'utf8')).toBe('out\nerr\nout\nerr\n');
  });

  it('reports a non-zero exit as failed with its code, and that it printed nothing', async () => {
    const result = await executor.run(jobIn(folder, 'command', { command: ['sh', '-c', 'exit 3'] }), noSignal);
    expect(result).toMatchObject({
      status: 'failed',
      exitCode: 3,
      signal: null,
      error: 'exited with code 3 and printed nothing',
    });
  });

  it("gives a failed step's last 20 output lines of this attempt in its error", async () => {
    const script = 'for i in $(seq 1 30); do echo "line $i"; done; echo "ModuleNotFoundError: no pandas" >&2; exit 1';
    const job = jobIn(folder, 'command', { command: ['sh', '-c', script] });
    const first = await executor.run(job, noSignal);
    const expected = ['exited with code 1; its last output:', ...range(12, 30).map((i) => `line ${i}`)];
    expect(first.error?.split('\n')).toEqual([...expected, 'ModuleNotFoundError: no pandas']);
    // A second attempt appends to the same log: its error is its own output, not the first attempt's.
    const quiet = await executor.run({ ...job, attempt: 2, config: { command: ['sh', '-c', 'exit 2'] } }, noSignal);
    expect(quiet.error).toBe('exited with code 2 and printed nothing');
  });

  it('reports a missing executable as failed with a clear message', async () => {
    const job = jobIn(folder, 'command', { command: 'ciclo-no-such-program --flag' });
    const result = await executor.run(job, noSignal);
    expect(result).toMatchObject({
      status: 'failed',
      exitCode: null,
      error: 'executable not found: ciclo-no-such-program',
    });
  });

  it('reports a missing working directory rather than a missing executable', async () => {
    const result = await executor.run(jobIn(folder, 'command', { command: ['true'], cwd: 'nowhere' }), noSignal);
    expect(result).toMatchObject({
      status: 'failed',
      error: `working directory not found: ${path.join(folder, 'nowhere')}`,
    });
  });

  it('refuses an unknown template reference before spawning anything', async () => {
    const job = jobIn(folder, 'command', { command: ['sh', '-c', 'touch ran', '${params.epochs}'] });
    await expect(executor.run(job, noSignal)).rejects.toThrow(InvalidInputError);
    await expect(executor.run(job, noSignal)).rejects.toThrow('${params.epochs} names no param');
    expect(existsSync(path.join(folder, 'ran'))).toBe(false);
    expect(existsSync(job.outputDir)).toBe(false);
    expect(existsSync(job.logFile)).toBe(false);
  });

  it('refuses a config its kind does not accept', async () => {
    await expect(executor.run(jobIn(folder, 'command', { command: [] }), noSignal)).rejects.toThrow(InvalidInputError);
    await expect(executor.run(jobIn(folder, 'shell', { script: 'true' }), noSignal)).rejects.toThrow(
      'no runtime for step kind "shell"',
    );
  });
});

describe('LocalExecutor ending a step', () => {
  it('kills a step and its grandchildren on timeout, within the grace period', async () => {
    const pidFile = path.join(folder, 'out', 'pid');
    const job = jobIn(
      folder,
      'command',
      { command: ['sh', '-c', 'sleep 30 & echo $! > "$CICLO_OUTPUT_DIR/pid"; wait'] },
      { timeoutMs: 300 },
    );
    const result = await executor.run(job, noSignal);
    // SIGTERM, not SIGKILL: it ended within the grace period, whatever the machine's speed.
    expect(result).toMatchObject({ status: 'timed_out', exitCode: null, signal: 'SIGTERM' });
    expect(await isRunning(await readPid(pidFile))).toBe(false);
  });

  it('SIGKILLs a step that ignores SIGTERM once the grace period is over', async () => {
    const patient = new LocalExecutor({ runtimes: stepRuntimes(), killGraceMs: 400 });
    const job = jobIn(
      folder,
      'command',
      { command: ['sh', '-c', 'trap "" TERM; sleep 30 & echo $! > "$CICLO_OUTPUT_DIR/pid"; wait'] },
      { timeoutMs: 200 },
    );
    const result = await patient.run(job, noSignal);
    expect(result).toMatchObject({ status: 'timed_out', signal: 'SIGKILL', error: 'timed out after 200 ms' });
    // Not before the timeout and the grace period; SIGKILL says the grace period, not the step, ended it.
    expect(result.durationMs).toBeGreaterThanOrEqual(200 + 400);
    // SIGKILL is delivered at once, but a loaded machine may take a moment to end the process.
    const grandchild = await readPid(path.join(job.outputDir, 'pid'));
    await waitFor('the grandchild to end', async () => !(await isRunning(grandchild)), 5000);
  });

  it('cancels a step when its signal aborts', async () => {
    const controller = new AbortController();
    const job = jobIn(folder, 'command', {
      command: ['sh', '-c', 'sleep 30 & echo $! > "$CICLO_OUTPUT_DIR/pid"; wait'],
    });
    const running = executor.run(job, { signal: controller.signal });
    const grandchild = await readPid(path.join(job.outputDir, 'pid'));
    controller.abort();
    expect(await running).toMatchObject({ status: 'cancelled', error: 'cancelled' });
    // The group is SIGKILLed when the step's shell exits; its orphaned child is gone once init reaps it,
    // which on a loaded machine can come a moment after the executor answers (CI saw it still there).
    await waitFor('the grandchild to end', async () => !(await isRunning(grandchild)), 5000);
  });

  it('does not start a step whose signal has already aborted', async () => {
    const job = jobIn(folder, 'command', { command: ['sh', '-c', 'touch "$CICLO_OUTPUT_DIR/ran"'] });
    const result = await executor.run(job, { signal: AbortSignal.abort() });
    expect(result).toMatchObject({ status: 'cancelled', exitCode: null });
    expect(existsSync(path.join(job.outputDir, 'ran'))).toBe(false);
  });

  it('cancels the running steps when closed, and refuses new ones', async () => {
    const job = jobIn(folder, 'command', { command: ['sleep', '30'] });
    const running = executor.run(job, noSignal);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await executor.close();
    expect((await running).status).toBe('cancelled');
    await expect(executor.run(job, noSignal)).rejects.toThrow('closed');
  });
});

describe('LocalExecutor logs', () => {
  it('keeps every byte of a step printing 20 MB without holding it in memory', async () => {
    const megabytes = 20;
    const print =
      `const b = Buffer.alloc(1 << 20, 97); for (let i = 0; i < ${megabytes}; i++) process.stdout.write(b); ` +
      "process.stderr.write('done')";
    const job = jobIn(folder, 'command', { command: [process.execPath, '-e', print] });
    const before = process.memoryUsage().rss;
    const result = await executor.run(job, noSignal);
    const growth = process.memoryUsage().rss - before;
    expect(result.status).toBe('succeeded');
    expect((await stat(job.logFile)).size).toBe(megabytes * 2 ** 20 + 'done'.length);
    expect(growth).toBeLessThan(5 * 2 ** 20);
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}
