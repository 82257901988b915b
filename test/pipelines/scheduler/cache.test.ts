import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PipelineDefinition, StepInput } from '../../../src/pipelines/index.js';
import { DIALECTS } from '../../support/databases.js';
import { compile, shell, statusesByStep, useSchedulerFixture } from '../support/scheduler.js';

describe.each(DIALECTS)('step caching on %s', (dialect) => {
  const fixture = useSchedulerFixture(dialect);

  /** prepare → train, each counting its executions in a file of the pipeline folder. */
  function pipeline(train: Partial<StepInput> = {}): PipelineDefinition {
    const env = { W: fixture.workDir };
    return compile({
      name: 'cached',
      params: { size: { type: 'integer', default: 2 } },
      steps: [
        {
          name: 'prepare',
          ...shell('echo ran >> "$W/prepare-runs"; seq "$CICLO_PARAM_SIZE" > "$CICLO_OUTPUT_DIR/data"'),
          outputs: { data: { type: 'file' } },
          env,
        },
        {
          name: 'train',
          ...shell('echo ran >> "$W/train-runs"; wc -l < "$CICLO_INPUT_DATA" > "$CICLO_OUTPUT_DIR/model"'),
          inputs: { data: 'steps.prepare.outputs.data' },
          outputs: { model: { type: 'file' } },
          env,
          ...train,
        },
      ],
    });
  }

  const runs = async (step: string) =>
    (await readFile(path.join(fixture.workDir, `${step}-runs`), 'utf8')).trim().split('\n').length;

  it('reuses the outputs of an earlier identical execution and links the run they came from', async () => {
    const first = await fixture.scheduler.start(pipeline(), { workDir: fixture.workDir });
    expect(await fixture.scheduler.drive(first, { executor: fixture.executor })).toBe('SUCCEEDED');
    const tracking = fixture.test.context.tracking;
    const trainRun = (await fixture.scheduler.getRun(first)).steps.find((step) => step.step_name === 'train')!.run_id!;
    const history = [
      { key: 'loss', value: 0.9, timestamp: 1000, step: 0 },
      { key: 'loss', value: 0.4, timestamp: 2000, step: 1 },
      { key: 'auc', value: 0.87, timestamp: 2000, step: 1 },
    ];
    await tracking.logBatch(trainRun, { metrics: history });
    const second = await fixture.scheduler.start(pipeline(), { workDir: fixture.workDir });
    expect(await fixture.scheduler.drive(second, { executor: fixture.executor })).toBe('SUCCEEDED');

    expect([await runs('prepare'), await runs('train')]).toEqual([1, 1]);
    const original = (await fixture.scheduler.getRun(first)).steps;
    const { steps } = await fixture.scheduler.getRun(second);
    expect(statusesByStep(steps)).toEqual({ prepare: ['CACHED'], train: ['CACHED'] });
    for (const step of steps) {
      const source = original.find((execution) => execution.step_name === step.step_name)!;
      expect(step.cached_from_run_id).toBe(source.run_id);
      expect(step.cache_key).toBe(source.cache_key);
      expect(step.output_digests).toBe(source.output_digests);
      // The hit is a tracked run of its own, tagged with the run whose outputs it reused.
      const tracked = await fixture.test.context.tracking.getRun(step.run_id!);
      expect(tracked.info.status).toBe('FINISHED');
      expect(tracked.data.tags['ciclo.pipeline.cached_from']).toBe(source.run_id);
      expect(tracked.data.tags['mlflow.parentRunId']).toBe(second);
      // And it carries the numbers of the run it reused: latest values and every point of their history.
      const sourceMetrics = (await tracking.getRun(source.run_id!)).data.metrics;
      expect(tracked.data.metrics).toEqual(sourceMetrics);
      if (step.step_name === 'train') {
        expect(tracked.data.metrics.map((m) => [m.key, m.value]).sort()).toEqual([
          ['auc', 0.87],
          ['loss', 0.4],
        ]);
        expect((await tracking.getMetricHistory(step.run_id!, 'loss')).items).toEqual(history.slice(0, 2));
      }
    }
    expect(await readFile(path.join(fixture.scheduler.stepFolder(second, 'train'), 'outputs', 'model'), 'utf8')).toBe(
      '2\n',
    );
  });

  it('misses when a param changes, and downstream misses when its input content changes', async () => {
    await fixture.scheduler.drive(await fixture.scheduler.start(pipeline(), { workDir: fixture.workDir }), {
      executor: fixture.executor,
    });
    const changed = await fixture.scheduler.start(pipeline(), { workDir: fixture.workDir, params: { size: 3 } });
    expect(await fixture.scheduler.drive(changed, { executor: fixture.executor })).toBe('SUCCEEDED');
    expect(statusesByStep((await fixture.scheduler.getRun(changed)).steps)).toEqual({
      prepare: ['SUCCEEDED'],
      train: ['SUCCEEDED'],
    });
    expect(await readFile(path.join(fixture.scheduler.stepFolder(changed, 'train'), 'outputs', 'model'), 'utf8')).toBe(
      '3\n',
    );
  });

  it('runs a step with cache: false every time; its downstream still hits when the output is identical', async () => {
    const definition = compile({
      name: 'uncached',
      steps: [
        {
          name: 'always',
          ...shell('echo ran >> "$W/always-runs"; echo same > "$CICLO_OUTPUT_DIR/out"'),
          outputs: { out: { type: 'file' } },
          cache: false,
          env: { W: fixture.workDir },
        },
        {
          name: 'after',
          ...shell('cat "$CICLO_INPUT_OUT" > "$CICLO_OUTPUT_DIR/copy"'),
          inputs: { out: 'steps.always.outputs.out' },
          outputs: { copy: { type: 'file' } },
        },
      ],
    });
    await fixture.scheduler.drive(await fixture.scheduler.start(definition, { workDir: fixture.workDir }), {
      executor: fixture.executor,
    });
    const again = await fixture.scheduler.start(definition, { workDir: fixture.workDir });
    expect(await fixture.scheduler.drive(again, { executor: fixture.executor })).toBe('SUCCEEDED');
    expect(await runs('always')).toBe(2);
    const { steps } = await fixture.scheduler.getRun(again);
    expect(statusesByStep(steps)).toEqual({ after: ['CACHED'], always: ['SUCCEEDED'] });
    expect(steps.find((step) => step.step_name === 'always')!.cache_key).toBeNull();
  });

  it('runs every step when the run is started with noCache', async () => {
    await fixture.scheduler.drive(await fixture.scheduler.start(pipeline(), { workDir: fixture.workDir }), {
      executor: fixture.executor,
    });
    const fresh = await fixture.scheduler.start(pipeline(), { workDir: fixture.workDir, noCache: true });
    expect(await fixture.scheduler.drive(fresh, { executor: fixture.executor })).toBe('SUCCEEDED');
    expect([await runs('prepare'), await runs('train')]).toEqual([2, 2]);
    expect(statusesByStep((await fixture.scheduler.getRun(fresh)).steps)).toEqual({
      prepare: ['SUCCEEDED'],
      train: ['SUCCEEDED'],
    });
  });

  it('misses when a code file the command names changes', async () => {
    await writeFile(path.join(fixture.workDir, 'step.sh'), 'echo v1 > "$CICLO_OUTPUT_DIR/out"\n');
    const definition = compile({
      name: 'code',
      steps: [{ name: 'script', kind: 'command', command: ['sh', 'step.sh'], outputs: { out: { type: 'file' } } }],
    });
    await fixture.scheduler.drive(await fixture.scheduler.start(definition, { workDir: fixture.workDir }), {
      executor: fixture.executor,
    });
    const same = await fixture.scheduler.start(definition, { workDir: fixture.workDir });
    await fixture.scheduler.drive(same, { executor: fixture.executor });
    expect(statusesByStep((await fixture.scheduler.getRun(same)).steps)).toEqual({ script: ['CACHED'] });

    await writeFile(path.join(fixture.workDir, 'step.sh'), 'echo v2 > "$CICLO_OUTPUT_DIR/out"\n');
    const edited = await fixture.scheduler.start(definition, { workDir: fixture.workDir });
    await fixture.scheduler.drive(edited, { executor: fixture.executor });
    expect(statusesByStep((await fixture.scheduler.getRun(edited)).steps)).toEqual({ script: ['SUCCEEDED'] });
    expect(await readFile(path.join(fixture.scheduler.stepFolder(edited, 'script'), 'outputs', 'out'), 'utf8')).toBe(
      'v2\n',
    );
  });
});
