import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../../support/databases.js';
import { compile, shell, statusesByStep, useSchedulerFixture } from '../support/scheduler.js';

describe.each(DIALECTS)('PipelineScheduler on %s', (dialect) => {
  const fixture = useSchedulerFixture(dialect);

  it('runs steps in order, hands outputs downstream as inputs, and tracks every attempt as a child run', async () => {
    const definition = compile({
      name: 'chain',
      params: { greeting: { type: 'string', default: 'hello' } },
      steps: [
        {
          name: 'make',
          ...shell('echo "$CICLO_PARAM_GREETING" > "$CICLO_OUTPUT_DIR/text"; echo made'),
          outputs: { text: { type: 'file' } },
        },
        {
          name: 'shout',
          ...shell('tr a-z A-Z < "$CICLO_INPUT_TEXT" > "$CICLO_OUTPUT_DIR/loud"'),
          inputs: { text: 'steps.make.outputs.text' },
          outputs: { loud: { type: 'file' } },
        },
      ],
    });
    const id = await fixture.scheduler.start(definition, {
      params: { greeting: 'hi there' },
      workDir: fixture.workDir,
    });
    expect((await fixture.scheduler.getRun(id)).run.status).toBe('PENDING');

    expect(await fixture.scheduler.drive(id, { executor: fixture.executor })).toBe('SUCCEEDED');

    const { run, steps } = await fixture.scheduler.getRun(id);
    expect(run.status).toBe('SUCCEEDED');
    expect(statusesByStep(steps)).toEqual({ make: ['SUCCEEDED'], shout: ['SUCCEEDED'] });
    const folder = fixture.scheduler.stepFolder(id, 'shout');
    expect(await readFile(path.join(folder, 'outputs', 'loud'), 'utf8')).toBe('HI THERE\n');
    expect(await readFile(path.join(fixture.scheduler.stepFolder(id, 'make'), '1.log'), 'utf8')).toBe('made\n');

    const pipelineRun = await fixture.test.context.tracking.getRun(id);
    expect(pipelineRun.info.status).toBe('FINISHED');
    expect(pipelineRun.data.params).toEqual({ greeting: 'hi there' });
    const shout = steps.find((step) => step.step_name === 'shout')!;
    const stepRun = await fixture.test.context.tracking.getRun(shout.run_id!);
    expect(stepRun.info).toMatchObject({
      parentRunId: id,
      status: 'FINISHED',
      experimentId: pipelineRun.info.experimentId,
    });
    expect(stepRun.data.tags).toMatchObject({ 'ciclo.pipeline.step': 'shout', 'ciclo.pipeline.attempt': '1' });
    const artifacts = await fixture.test.context.tracking.listArtifacts(shout.run_id!, 'outputs');
    expect(JSON.stringify(artifacts)).toContain('outputs/loud');
    expect(shout.exit_code).toBe(0);
  });

  it('retries a failing step with exponential backoff and succeeds on a later attempt', async () => {
    const definition = compile({
      name: 'flaky',
      steps: [
        {
          name: 'flaky',
          // Fails twice, then succeeds: each attempt appends a line before deciding.
          ...shell('echo x >> tries; [ "$(wc -l < tries)" -ge 3 ] || exit 3'),
          retries: 3,
          retryBackoff: { initialMs: 100, factor: 2 },
        },
      ],
    });
    const id = await fixture.scheduler.start(definition, { workDir: fixture.workDir });
    const started = Date.now();
    expect(await fixture.scheduler.drive(id, { executor: fixture.executor })).toBe('SUCCEEDED');
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);

    const { steps } = await fixture.scheduler.getRun(id);
    expect(statusesByStep(steps)).toEqual({ flaky: ['FAILED', 'FAILED', 'SUCCEEDED'] });
    expect(steps.map((step) => step.exit_code)).toEqual([3, 3, 0]);
    expect(steps[0]!.error).toBe('exited with code 3 and printed nothing');
    expect(steps[2]!.next_attempt_at! - steps[1]!.ended_time!).toBe(200);
    expect(new Set(steps.map((step) => step.run_id)).size).toBe(3);
    const runs = await Promise.all(steps.map((step) => fixture.test.context.tracking.getRun(step.run_id!)));
    expect(runs.map((run) => run.info.status)).toEqual(['FAILED', 'FAILED', 'FINISHED']);
  });

  it('stops at the first failure: running siblings are cancelled, the rest skipped, the run FAILED', async () => {
    const definition = compile({
      name: 'fail-fast',
      steps: [
        { name: 'slow', ...shell('sleep 20') },
        { name: 'broken', ...shell('sleep 0.2; echo oops >&2; exit 1'), retries: 1, retryBackoff: { initialMs: 50 } },
        { name: 'after', ...shell('true'), dependsOn: ['broken'] },
      ],
    });
    const id = await fixture.scheduler.start(definition, { workDir: fixture.workDir });
    const started = Date.now();
    expect(await fixture.scheduler.drive(id, { executor: fixture.executor })).toBe('FAILED');
    expect(Date.now() - started).toBeLessThan(10_000);

    const { steps } = await fixture.scheduler.getRun(id);
    expect(statusesByStep(steps)).toEqual({ after: ['SKIPPED'], broken: ['FAILED', 'FAILED'], slow: ['CANCELLED'] });
    expect(await readFile(path.join(fixture.scheduler.stepFolder(id, 'broken'), '2.log'), 'utf8')).toBe('oops\n');
    expect((await fixture.test.context.tracking.getRun(id)).info.status).toBe('FAILED');
  });

  it('with failFast off, keeps running every step whose inputs exist', async () => {
    const definition = compile({
      name: 'carry-on',
      failFast: false,
      steps: [
        { name: 'broken', ...shell('exit 1'), outputs: { data: { type: 'file' } } },
        { name: 'needs-broken', ...shell('true'), inputs: { data: 'steps.broken.outputs.data' } },
        { name: 'then', ...shell('true'), dependsOn: ['needs-broken'] },
        { name: 'fine', ...shell('sleep 0.3; echo ok > "$CICLO_OUTPUT_DIR/ok"'), outputs: { ok: { type: 'file' } } },
      ],
    });
    const id = await fixture.scheduler.start(definition, { workDir: fixture.workDir });
    expect(await fixture.scheduler.drive(id, { executor: fixture.executor })).toBe('FAILED');
    expect(statusesByStep((await fixture.scheduler.getRun(id)).steps)).toEqual({
      broken: ['FAILED'],
      fine: ['SUCCEEDED'],
      'needs-broken': ['SKIPPED'],
      then: ['SKIPPED'],
    });
  });

  it('fails a step that exits 0 without writing a declared output', async () => {
    const definition = compile({
      name: 'no-output',
      steps: [{ name: 'lazy', ...shell('true'), outputs: { model: { type: 'file' } } }],
    });
    const id = await fixture.scheduler.start(definition, { workDir: fixture.workDir });
    expect(await fixture.scheduler.drive(id, { executor: fixture.executor })).toBe('FAILED');
    const [lazy] = (await fixture.scheduler.getRun(id)).steps;
    expect(lazy).toMatchObject({ status: 'FAILED', exit_code: 0, error: 'the step did not write its output(s) model' });
  });

  it('never runs more steps at once than the parallelism allows', async () => {
    const script = 'echo "start $CICLO_RUN_ID" >> "$W/trace"; sleep 0.1; echo "end $CICLO_RUN_ID" >> "$W/trace"';
    const definition = compile({
      name: 'narrow',
      parallelism: 2,
      steps: ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, ...shell(script), env: { W: fixture.workDir } })),
    });
    const id = await fixture.scheduler.start(definition, { workDir: fixture.workDir });
    expect(await fixture.scheduler.drive(id, { executor: fixture.executor })).toBe('SUCCEEDED');
    let concurrent = 0;
    let most = 0;
    for (const line of (await readFile(path.join(fixture.workDir, 'trace'), 'utf8')).trim().split('\n')) {
      concurrent += line.startsWith('start') ? 1 : -1;
      most = Math.max(most, concurrent);
    }
    expect(most).toBe(2);
  });

  it('starts each step once, however its neighbours end around it', async () => {
    // Many short steps ending close together: a step that ends while the driver reads another's
    // row must not look PENDING again (it once ran twice, and then hit its own cache entry).
    const names = Array.from({ length: 24 }, (_, i) => `s${i}`);
    const definition = compile({
      name: 'crowd',
      parallelism: 4,
      steps: names.map((name) => ({
        name,
        ...shell('echo "$CICLO_RUN_ID" >> "$W/starts"'),
        env: { W: fixture.workDir },
      })),
    });
    const id = await fixture.scheduler.start(definition, { workDir: fixture.workDir });
    expect(await fixture.scheduler.drive(id, { executor: fixture.executor })).toBe('SUCCEEDED');
    const starts = (await readFile(path.join(fixture.workDir, 'starts'), 'utf8')).trim().split('\n');
    expect(starts).toHaveLength(names.length);
    expect(new Set(starts).size).toBe(names.length);
    expect(statusesByStep((await fixture.scheduler.getRun(id)).steps)).toEqual(
      Object.fromEntries(names.map((name) => [name, ['SUCCEEDED']])),
    );
  });

  it('cancels a run when its signal aborts', async () => {
    const definition = compile({
      name: 'cancel-me',
      steps: [
        { name: 'long', ...shell('sleep 20') },
        { name: 'next', ...shell('true'), dependsOn: ['long'] },
      ],
    });
    const id = await fixture.scheduler.start(definition, { workDir: fixture.workDir });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    expect(await fixture.scheduler.drive(id, { executor: fixture.executor, signal: controller.signal })).toBe(
      'CANCELLED',
    );
    expect(statusesByStep((await fixture.scheduler.getRun(id)).steps)).toEqual({
      long: ['CANCELLED'],
      next: ['CANCELLED'],
    });
    expect((await fixture.test.context.tracking.getRun(id)).info.status).toBe('KILLED');
  });

  it('resumes a failed run: only what did not finish runs again', async () => {
    const definition = compile({
      name: 'resumable',
      steps: [
        {
          name: 'first',
          ...shell('echo ran >> "$W/first-runs"; echo data > "$CICLO_OUTPUT_DIR/data"'),
          outputs: { data: { type: 'file' } },
          env: { W: fixture.workDir },
        },
        {
          name: 'second',
          ...shell('[ -e "$W/fixed" ]'),
          inputs: { data: 'steps.first.outputs.data' },
          env: { W: fixture.workDir },
        },
        { name: 'third', ...shell('true'), dependsOn: ['second'] },
      ],
    });
    const id = await fixture.scheduler.start(definition, { workDir: fixture.workDir, noCache: true });
    expect(await fixture.scheduler.drive(id, { executor: fixture.executor })).toBe('FAILED');
    expect(statusesByStep((await fixture.scheduler.getRun(id)).steps)).toMatchObject({
      second: ['FAILED'],
      third: ['SKIPPED'],
    });
    // Driving a finished run again changes nothing; resume is what reopens it.
    expect(await fixture.scheduler.drive(id, { executor: fixture.executor })).toBe('FAILED');

    await writeFile(path.join(fixture.workDir, 'fixed'), '');
    expect(await fixture.scheduler.resume(id, { executor: fixture.executor })).toBe('SUCCEEDED');

    const { steps } = await fixture.scheduler.getRun(id);
    expect(statusesByStep(steps)).toEqual({
      first: ['SUCCEEDED'],
      second: ['FAILED', 'SUCCEEDED'],
      third: ['SUCCEEDED'],
    });
    expect(await readFile(path.join(fixture.workDir, 'first-runs'), 'utf8')).toBe('ran\n');
    expect((await fixture.test.context.tracking.getRun(id)).info.status).toBe('FINISHED');
  });

  it('refuses params the pipeline does not declare or of the wrong type', async () => {
    const definition = compile({
      name: 'typed',
      params: { epochs: { type: 'integer', default: 3 } },
      steps: [{ name: 'one', ...shell('true') }],
    });
    await expect(
      fixture.scheduler.start(definition, { workDir: fixture.workDir, params: { epochs: 1.5 } }),
    ).rejects.toThrow('param "epochs": expected an integer, got 1.5');
    await expect(fixture.scheduler.start(definition, { workDir: fixture.workDir, params: { lr: 1 } })).rejects.toThrow(
      'pipeline "typed" has no param "lr"',
    );
  });
});
