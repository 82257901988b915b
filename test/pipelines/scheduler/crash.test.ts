import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { DIALECTS } from '../../support/databases.js';
import { isRunning } from '../executors/support.js';
import { compile, shell, statusesByStep, useSchedulerFixture } from '../support/scheduler.js';
import { waitFor } from '../../support/wait.js';

const DRIVER = fileURLToPath(new URL('../support/drive-run.ts', import.meta.url));

describe.each(DIALECTS)('a pipeline run whose orchestrator is SIGKILLed, on %s', (dialect) => {
  const fixture = useSchedulerFixture(dialect);

  it('completes when driven again, without re-running the steps that had finished', async () => {
    const env = { W: fixture.workDir };
    const definition = compile({
      name: 'survivor',
      steps: [
        {
          name: 'one',
          ...shell('echo ran >> "$W/one-runs"; echo 1 > "$CICLO_OUTPUT_DIR/n"'),
          outputs: { n: { type: 'file' } },
          env,
        },
        {
          name: 'two',
          // The first attempt hangs (until the test kills it); the re-run finishes at once.
          ...shell(
            'if [ ! -e "$W/two-started" ]; then echo $$ > "$W/two-started"; sleep 60; fi; ' +
              'cat "$CICLO_INPUT_N" > "$CICLO_OUTPUT_DIR/n"',
          ),
          inputs: { n: 'steps.one.outputs.n' },
          outputs: { n: { type: 'file' } },
          env,
        },
        { name: 'three', ...shell('cat "$CICLO_INPUT_N" > "$W/result"'), inputs: { n: 'steps.two.outputs.n' }, env },
      ],
    });
    const id = await fixture.scheduler.start(definition, { workDir: fixture.workDir });

    const orchestrator = spawn(process.execPath, ['--import', 'tsx', DRIVER, JSON.stringify(fixture.test.config), id], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    onTestFinished(() => {
      orchestrator.kill('SIGKILL');
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      orchestrator.once('exit', (_code, signal) => resolve(signal)),
    );
    // The orchestrator starts tsx and opens the store first, which is slow on a loaded machine.
    const marker = path.join(fixture.workDir, 'two-started');
    await waitFor('step two to start', async () => (await readFile(marker, 'utf8').catch(() => '')).trim() !== '');
    const stepPid = Number((await readFile(marker, 'utf8')).trim());
    const stepTwo = async () => (await fixture.scheduler.getRun(id)).steps.find((step) => step.step_name === 'two')!;
    await waitFor(
      'step two to be RUNNING',
      async () => (await stepTwo()).status === 'RUNNING' && (await stepTwo()).process_id !== null,
    );
    orchestrator.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    // The step ran in its own process group and outlives the orchestrator, still holding the lease.
    expect(await isRunning(stepPid)).toBe(true);
    expect((await fixture.test.context.pipelines.getRun(id)).run.lease_owner).toContain(`:${orchestrator.pid}:`);

    const interrupted = await fixture.scheduler.getRun(id);
    expect(interrupted.run.status).toBe('RUNNING');
    expect(statusesByStep(interrupted.steps)).toEqual({ one: ['SUCCEEDED'], two: ['RUNNING'], three: ['PENDING'] });
    const killedStepRun = interrupted.steps.find((step) => step.step_name === 'two')!.run_id!;

    // The dead orchestrator's lease is taken over at once, and its orphaned step ended first.
    expect(await fixture.test.context.pipelines.drive(id)).toBe('SUCCEEDED');
    expect(await isRunning(stepPid)).toBe(false);

    expect(await readFile(path.join(fixture.workDir, 'one-runs'), 'utf8')).toBe('ran\n');
    expect(await readFile(path.join(fixture.workDir, 'result'), 'utf8')).toBe('1\n');
    const { steps } = await fixture.scheduler.getRun(id);
    expect(statusesByStep(steps)).toEqual({ one: ['SUCCEEDED'], two: ['SUCCEEDED'], three: ['SUCCEEDED'] });
    const two = steps.find((step) => step.step_name === 'two')!;
    expect(two.attempt).toBe(1);
    expect(two.run_id).not.toBe(killedStepRun);
    expect((await fixture.test.context.tracking.getRun(killedStepRun)).info.status).toBe('KILLED');
    expect((await fixture.test.context.tracking.getRun(id)).info.status).toBe('FINISHED');
  });
});
