import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LocalExecutor, PipelineDefinition, PipelineScheduler, StepInput } from '../../../src/pipelines/index.js';
import { DIALECTS } from '../../support/databases.js';
import { openTestContext, type TestContext } from '../../support/context.js';
import { compile, newExecutor, schedulerFor, shell, statusesByStep, workDirIn } from '../support/scheduler.js';

describe.each(DIALECTS)('step caching on %s', (dialect) => {
  let test: TestContext;
  let scheduler: PipelineScheduler;
  let executor: LocalExecutor;
  let workDir: string;

  beforeEach(async () => {
    test = await openTestContext(dialect);
    scheduler = schedulerFor(test.context);
    executor = newExecutor();
    workDir = await workDirIn(test.dir);
  });

  afterEach(async () => {
    await executor.close();
    await test.drop();
  });

  /** prepare → train, each counting its executions in a file of the pipeline folder. */
  function pipeline(train: Partial<StepInput> = {}): PipelineDefinition {
    const env = { W: workDir };
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

  const runs = async (step: string) => (await readFile(path.join(workDir, `${step}-runs`), 'utf8')).trim().split('\n').length;

  it('reuses the outputs of an earlier identical execution and links the run they came from', async () => {
    const first = await scheduler.start(pipeline(), { workDir });
    expect(await scheduler.drive(first, { executor })).toBe('SUCCEEDED');
    const second = await scheduler.start(pipeline(), { workDir });
    expect(await scheduler.drive(second, { executor })).toBe('SUCCEEDED');

    expect([await runs('prepare'), await runs('train')]).toEqual([1, 1]);
    const original = (await scheduler.getRun(first)).steps;
    const { steps } = await scheduler.getRun(second);
    expect(statusesByStep(steps)).toEqual({ prepare: ['CACHED'], train: ['CACHED'] });
    for (const step of steps) {
      const source = original.find((execution) => execution.step_name === step.step_name)!;
      expect(step.cached_from_run_id).toBe(source.run_id);
      expect(step.cache_key).toBe(source.cache_key);
      expect(step.run_id).toBeNull();
    }
    expect(await readFile(path.join(scheduler.stepFolder(second, 'train'), 'outputs', 'model'), 'utf8')).toBe('2\n');
  });

  it('misses when a param changes, and downstream misses when its input content changes', async () => {
    await scheduler.drive(await scheduler.start(pipeline(), { workDir }), { executor });
    const changed = await scheduler.start(pipeline(), { workDir, params: { size: 3 } });
    expect(await scheduler.drive(changed, { executor })).toBe('SUCCEEDED');
    expect(statusesByStep((await scheduler.getRun(changed)).steps)).toEqual({ prepare: ['SUCCEEDED'], train: ['SUCCEEDED'] });
    expect(await readFile(path.join(scheduler.stepFolder(changed, 'train'), 'outputs', 'model'), 'utf8')).toBe('3\n');
  });

  it('runs a step with cache: false every time, and its downstream still hits when the output is identical', async () => {
    const definition = compile({
      name: 'uncached',
      steps: [
        { name: 'always', ...shell('echo ran >> "$W/always-runs"; echo same > "$CICLO_OUTPUT_DIR/out"'), outputs: { out: { type: 'file' } }, cache: false, env: { W: workDir } },
        { name: 'after', ...shell('cat "$CICLO_INPUT_OUT" > "$CICLO_OUTPUT_DIR/copy"'), inputs: { out: 'steps.always.outputs.out' }, outputs: { copy: { type: 'file' } } },
      ],
    });
    await scheduler.drive(await scheduler.start(definition, { workDir }), { executor });
    const again = await scheduler.start(definition, { workDir });
    expect(await scheduler.drive(again, { executor })).toBe('SUCCEEDED');
    expect(await runs('always')).toBe(2);
    const { steps } = await scheduler.getRun(again);
    expect(statusesByStep(steps)).toEqual({ after: ['CACHED'], always: ['SUCCEEDED'] });
    expect(steps.find((step) => step.step_name === 'always')!.cache_key).toBeNull();
  });

  it('runs every step when the run is started with noCache', async () => {
    await scheduler.drive(await scheduler.start(pipeline(), { workDir }), { executor });
    const fresh = await scheduler.start(pipeline(), { workDir, noCache: true });
    expect(await scheduler.drive(fresh, { executor })).toBe('SUCCEEDED');
    expect([await runs('prepare'), await runs('train')]).toEqual([2, 2]);
    expect(statusesByStep((await scheduler.getRun(fresh)).steps)).toEqual({ prepare: ['SUCCEEDED'], train: ['SUCCEEDED'] });
  });

  it('misses when a code file the command names changes', async () => {
    await writeFile(path.join(workDir, 'step.sh'), 'echo v1 > "$CICLO_OUTPUT_DIR/out"\n');
    const definition = compile({
      name: 'code',
      steps: [{ name: 'script', kind: 'command', command: ['sh', 'step.sh'], outputs: { out: { type: 'file' } } }],
    });
    await scheduler.drive(await scheduler.start(definition, { workDir }), { executor });
    const same = await scheduler.start(definition, { workDir });
    await scheduler.drive(same, { executor });
    expect(statusesByStep((await scheduler.getRun(same)).steps)).toEqual({ script: ['CACHED'] });

    await writeFile(path.join(workDir, 'step.sh'), 'echo v2 > "$CICLO_OUTPUT_DIR/out"\n');
    const edited = await scheduler.start(definition, { workDir });
    await scheduler.drive(edited, { executor });
    expect(statusesByStep((await scheduler.getRun(edited)).steps)).toEqual({ script: ['SUCCEEDED'] });
    expect(await readFile(path.join(scheduler.stepFolder(edited, 'script'), 'outputs', 'out'), 'utf8')).toBe('v2\n');
  });
});
