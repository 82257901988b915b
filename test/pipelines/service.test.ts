import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, InvalidStateError, NotFoundError } from '../../src/common/errors.js';
import { PipelineService, builtinExecutors, streamRunLogs, type LoadedPipeline } from '../../src/pipelines/index.js';
import { DIALECTS } from '../support/databases.js';
import { compile, shell, statusesByStep, useSchedulerFixture } from './support/scheduler.js';
import { waitFor } from '../support/wait.js';
import { stepRuntimes } from '../../src/app/step-kinds.js';

describe.each(DIALECTS)('PipelineService on %s', (dialect) => {
  const fixture = useSchedulerFixture(dialect);
  const service = () => fixture.test.context.pipelines;
  /** A second service over the same store, as another process would have. */
  const otherService = () =>
    new PipelineService({
      db: fixture.test.context.database.db,
      tracking: fixture.test.context.tracking,
      executors: builtinExecutors(fixture.test.config, stepRuntimes()),
      home: fixture.test.config.home,
    });
  const pipeline = (definition: Parameters<typeof compile>[0]): LoadedPipeline => ({
    definition: compile(definition),
    workDir: fixture.workDir,
  });
  const sleeper = () =>
    pipeline({
      name: 'sleeper',
      steps: [{ name: 'nap', ...shell('touch "$W/napping"; sleep 30'), env: { W: fixture.workDir } }],
    });

  it('lets one driver hold a run; another is refused, and its cancel request reaches the driver', async () => {
    const id = await service().start(sleeper());
    const driving = service().drive(id);
    await waitFor('the step to start', () =>
      stat(path.join(fixture.workDir, 'napping')).then(
        () => true,
        () => false,
      ),
    );

    const other = otherService();
    await expect(other.drive(id)).rejects.toThrow(InvalidStateError);
    await expect(other.drive(id)).rejects.toThrow(/is being driven by/);
    expect(await other.requestCancel(id)).toBe('requested');

    expect(await driving).toBe('CANCELLED');
    const { run, steps } = await service().getRun(id);
    expect(run.lease_owner).toBeNull();
    expect(statusesByStep(steps)).toEqual({ nap: ['CANCELLED'] });
    expect((await fixture.test.context.tracking.getRun(id)).info.status).toBe('KILLED');
  });

  it('cancels at once a run that nobody drives', async () => {
    const id = await service().start(sleeper());
    expect(await service().requestCancel(id)).toBe('cancelled');
    const { run, steps } = await service().getRun(id);
    expect(run.status).toBe('CANCELLED');
    expect(statusesByStep(steps)).toEqual({ nap: ['CANCELLED'] });
    expect(await service().requestCancel(id)).toBe('already-finished');
  });

  it('refuses an unknown executor or environment before recording anything', async () => {
    const bad = pipeline({ name: 'bad', executor: 'kubernetes', steps: [{ name: 'a', ...shell('true') }] });
    await expect(service().start(bad)).rejects.toThrow(InvalidInputError);
    await expect(service().start(bad)).rejects.toThrow(/unknown executor "kubernetes"/);
    const good = pipeline({ name: 'good', steps: [{ name: 'a', ...shell('true') }] });
    await expect(service().start(good, { env: 'staging' })).rejects.toThrow(/has no environment "staging"/);
    expect(await service().listRuns()).toEqual([]);
  });

  it('overlays an environment and records it', async () => {
    const loaded = pipeline({
      name: 'envs',
      params: { rows: { type: 'integer', default: 10 } },
      environments: {
        staging: {
          params: { rows: 3 },
          env: { TARGET: 'staging-db' },
          targets: { model_registry: 'http://registry.staging' },
        },
      },
      steps: [
        {
          name: 'a',
          ...shell('echo "$TARGET ${params.rows} $CICLO_TARGET_MODEL_REGISTRY" > "$CICLO_OUTPUT_DIR/o"'),
          outputs: { o: { type: 'file' } },
        },
      ],
    });
    const { pipelineRunId, status } = await service().run(loaded, { env: 'staging' });
    expect(status).toBe('SUCCEEDED');
    const { run } = await service().getRun(pipelineRunId);
    expect(run.environment).toBe('staging');
    expect(JSON.parse(run.params)).toEqual({ rows: 3 });
    const output = path.join(service().scheduler.stepFolder(pipelineRunId, 'a'), 'outputs', 'o');
    expect(await readFile(output, 'utf8')).toBe('staging-db 3 http://registry.staging\n');
    const tracked = await fixture.test.context.tracking.getRun(pipelineRunId);
    expect(tracked.data.tags['ciclo.pipeline.environment']).toBe('staging');
    expect(tracked.data.params).toEqual({ rows: '3' });
  });

  it('records what each attempt read and wrote, by content digest', async () => {
    const { pipelineRunId } = await service().run(
      pipeline({
        name: 'digests',
        steps: [
          { name: 'make', ...shell('printf abc > "$CICLO_OUTPUT_DIR/data"'), outputs: { data: { type: 'file' } } },
          {
            name: 'use',
            ...shell('mkdir "$CICLO_OUTPUT_DIR/model"; cp "$CICLO_INPUT_DATA" "$CICLO_OUTPUT_DIR/model/w"'),
            inputs: { data: 'steps.make.outputs.data' },
            outputs: { model: { type: 'folder' } },
          },
        ],
      }),
    );
    const rows = await fixture.test.context.database.db
      .selectFrom('step_artifacts')
      .select(['step_name', 'direction', 'name', 'digest'])
      .where('pipeline_run_id', '=', pipelineRunId)
      .orderBy('step_name')
      .orderBy('direction')
      .execute();
    const abc = 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(rows.map((row) => [row.step_name, row.direction, row.name])).toEqual([
      ['make', 'output', 'data'],
      ['use', 'input', 'data'],
      ['use', 'output', 'model'],
    ]);
    expect(rows[0]!.digest).toBe(abc);
    expect(rows[1]!.digest).toBe(abc);
    expect(rows[2]!.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(rows[2]!.digest).not.toBe(abc);
  });

  it('streams logs of every attempt, and follows a run until it ends', async () => {
    const loaded = pipeline({
      name: 'chatty',
      steps: [
        { name: 'first', ...shell('echo one; echo two >&2') },
        { name: 'second', ...shell('for i in 1 2 3; do echo "line $i"; sleep 0.1; done'), dependsOn: ['first'] },
      ],
    });
    const id = await service().start(loaded);
    const driving = service().drive(id);
    const followed: string[] = [];
    for await (const chunk of streamRunLogs(service(), id, { follow: true, pollMs: 20 })) {
      followed.push(`${chunk.stepName}#${chunk.attempt}:${chunk.data.toString()}`);
    }
    expect(await driving).toBe('SUCCEEDED');
    expect(followed.join('')).toBe('first#1:one\ntwo\n' + followed.filter((c) => c.startsWith('second')).join(''));
    expect(
      followed
        .filter((c) => c.startsWith('second'))
        .map((c) => c.slice('second#1:'.length))
        .join(''),
    ).toBe('line 1\nline 2\nline 3\n');
    const only: string[] = [];
    for await (const chunk of streamRunLogs(service(), id, { step: 'first' })) only.push(chunk.data.toString());
    expect(only.join('')).toBe('one\ntwo\n');
    await expect(async () => {
      for await (const _ of streamRunLogs(service(), id, { step: 'nope' })) void _;
    }).rejects.toThrow(NotFoundError);
  });

  it('says so when a step ended without writing anything', async () => {
    const loaded = pipeline({
      name: 'quiet',
      steps: [
        { name: 'silent', ...shell('true') },
        { name: 'loud', ...shell('echo hi'), dependsOn: ['silent'] },
      ],
    });
    const id = await service().start(loaded);
    expect(await service().drive(id)).toBe('SUCCEEDED');
    const chunks: string[] = [];
    for await (const chunk of streamRunLogs(service(), id)) {
      chunks.push(
        `${chunk.stepName}#${chunk.attempt}:${chunk.wroteNothing === true ? '(nothing)' : chunk.data.toString()}`,
      );
    }
    expect(chunks).toEqual(['silent#1:(nothing)', 'loud#1:hi\n']);
  });

  it('keeps every byte of a step that prints 100 MB of logs', async () => {
    const size = 100 * 1024 * 1024;
    const { pipelineRunId, status } = await service().run(
      pipeline({
        name: 'loud',
        steps: [{ name: 'spam', ...shell(`head -c ${size} /dev/zero | tr '\\0' 'x'; echo; exit 3`) }],
      }),
    );
    expect(status).toBe('FAILED');
    const { steps } = await service().getRun(pipelineRunId);
    expect(steps[0]).toMatchObject({ status: 'FAILED', exit_code: 3 });
    // Its last line, cut to its end: never 100 MB in an error.
    expect(steps[0]!.error).toBe(`exited with code 3; its last output:\n…${'x'.repeat(300)}`);
    expect((await stat(service().logFile(pipelineRunId, 'spam', 1))).size).toBe(size + 1);
    let streamed = 0;
    for await (const chunk of streamRunLogs(service(), pipelineRunId)) streamed += chunk.data.length;
    expect(streamed).toBe(size + 1);
  });

  it('loads a pipeline from a folder, a YAML file or a TS module, and says what is wrong with a bad one', async () => {
    const yaml = 'name: from-yaml\nsteps:\n  - name: a\n    kind: command\n    command: [echo, hi]\n';
    await writeFile(path.join(fixture.workDir, 'pipeline.yaml'), yaml);
    const fromFolder = await service().load(fixture.workDir);
    expect(fromFolder.definition.name).toBe('from-yaml');
    expect(fromFolder.workDir).toBe(fixture.workDir);
    expect((await service().load(path.join(fixture.workDir, 'pipeline.yaml'))).file).toBe(
      path.join(fixture.workDir, 'pipeline.yaml'),
    );
    const dsl = path.resolve('src/pipelines/index.js');
    await writeFile(
      path.join(fixture.workDir, 'pipeline.ts'),
      `import { definePipeline, step } from ${JSON.stringify(dsl)};\n` +
        `export default definePipeline({ name: 'from-ts', ` +
        `steps: [step('a', { kind: 'command', command: ['true'] })] });\n`,
    );
    expect((await service().load(path.join(fixture.workDir, 'pipeline.ts'))).definition.name).toBe('from-ts');
    await writeFile(path.join(fixture.workDir, 'empty.ts'), 'export const x = 1;\n');
    await expect(service().load(path.join(fixture.workDir, 'empty.ts'))).rejects.toThrow(/has no default export/);
    await expect(service().load(path.join(fixture.workDir, 'missing.yaml'))).rejects.toThrow(NotFoundError);
  });

  it("checks a ts step's module and export when the pipeline is loaded, before anything runs", async () => {
    await writeFile(
      path.join(fixture.workDir, 'steps.ts'),
      "export { train } from './train-impl.js';\nexport const x = 1;\n",
    );
    await writeFile(path.join(fixture.workDir, 'train-impl.ts'), 'export async function train(): Promise<void> {}\n');
    await writeFile(path.join(fixture.workDir, 'broken.ts'), 'export function oops( {\n');
    const load = (module: string, exported: string) =>
      writeFile(
        path.join(fixture.workDir, 'pipeline.yaml'),
        `name: checked\nsteps:\n  - { name: train, kind: ts, module: ${module}, export: ${exported} }\n`,
      ).then(() => service().load(fixture.workDir));
    // Found through the re-export: loading succeeds.
    expect((await load('steps.ts', 'train')).definition.steps).toHaveLength(1);
    const typo = await load('steps.ts', 'trian').catch((error: unknown) => error as InvalidInputError);
    expect(typo).toBeInstanceOf(InvalidInputError);
    expect((typo as InvalidInputError).message).toBe('steps.ts has no export "trian"');
    expect((typo as InvalidInputError).details).toMatchObject({
      where: 'steps.train.export',
      hint: 'it exports: train, x',
    });
    await expect(load('broken.ts', 'oops')).rejects.toThrow(/^broken\.ts:\d+:\d+: /);
    await expect(load('nowhere.ts', 'train')).rejects.toThrow(NotFoundError);
  });

  it('gives a ts step its tracked run to log into, on the same store', async () => {
    await writeFile(
      path.join(fixture.workDir, 'train.ts'),
      'export async function train(ctx: { run(): Promise<{ log(m: Record<string, number>): void; ' +
        'logParams(p: object): Promise<void> }> }) {\n' +
        '  const run = await ctx.run();\n  run.log({ auc: 0.91 });\n  await run.logParams({ trees: 50 });\n}\n',
    );
    const { pipelineRunId, status } = await service().run(
      pipeline({ name: 'logs-metrics', steps: [{ name: 'train', kind: 'ts', module: 'train.ts', export: 'train' }] }),
    );
    expect(status).toBe('SUCCEEDED');
    const step = (await service().getRun(pipelineRunId)).steps[0]!;
    const tracked = await fixture.test.context.tracking.getRun(step.run_id!);
    expect(tracked.data.metrics.map((metric) => [metric.key, metric.value])).toEqual([['auc', 0.91]]);
    expect(tracked.data.params).toEqual({ trees: '50' });
    expect(tracked.info.status).toBe('FINISHED');
  });

  it('fails a step that changes its input, and records writes into the pipeline folder', async () => {
    const { pipelineRunId, status } = await service().run(
      pipeline({
        name: 'stray',
        failFast: false,
        steps: [
          { name: 'make', ...shell('printf abc > "$CICLO_OUTPUT_DIR/data"'), outputs: { data: { type: 'file' } } },
          { name: 'tamper', ...shell('echo more >> "$CICLO_INPUT_DATA"'), inputs: { data: 'steps.make.outputs.data' } },
          { name: 'litter', ...shell('echo x > model.pkl'), dependsOn: ['make'] },
        ],
      }),
    );
    expect(status).toBe('FAILED');
    const steps = Object.fromEntries(
      (await service().getRun(pipelineRunId)).steps.map((step) => [step.step_name, step]),
    );
    expect(steps.tamper).toMatchObject({ status: 'FAILED', exit_code: 0 });
    expect(steps.tamper!.error).toMatch(/changed its input\(s\) data; a step writes only into CICLO_OUTPUT_DIR/);
    // Nothing is lost: the changed file is left for the user to look at.
    expect(
      await readFile(path.join(service().scheduler.stepFolder(pipelineRunId, 'make'), 'outputs', 'data'), 'utf8'),
    ).toBe('abcmore\n');
    expect(steps.litter!.status).toBe('SUCCEEDED');
    const litter = await fixture.test.context.tracking.getRun(steps.litter!.run_id!);
    expect(litter.data.tags['ciclo.pipeline.wrote_outside']).toBe('model.pkl');
    expect(await readFile(path.join(fixture.workDir, 'model.pkl'), 'utf8')).toBe('x\n');
  });

  it("fills templates in a step's own params, keeping a whole param's type", async () => {
    await writeFile(
      path.join(fixture.workDir, 'show.ts'),
      'import { writeFileSync } from "node:fs";\n' +
        'export function show(ctx: { params: Record<string, unknown>; outputs: Record<string, string> }) {\n' +
        '  writeFileSync(ctx.outputs.params!, JSON.stringify(ctx.params));\n}\n',
    );
    const { pipelineRunId, status } = await service().run(
      pipeline({
        name: 'templated',
        params: { epochs: { type: 'integer', default: 3 }, name: { type: 'string', default: 'churn' } },
        steps: [
          {
            name: 'show',
            kind: 'ts',
            module: 'show.ts',
            export: 'show',
            params: { rounds: '${params.epochs}', label: 'model-${params.name}-${params.epochs}' },
            outputs: { params: { type: 'file' } },
          },
        ],
      }),
      { params: { epochs: 5 } },
    );
    expect(status).toBe('SUCCEEDED');
    const written = path.join(service().scheduler.stepFolder(pipelineRunId, 'show'), 'outputs', 'params');
    expect(JSON.parse(await readFile(written, 'utf8'))).toEqual({
      epochs: 5,
      name: 'churn',
      rounds: 5,
      label: 'model-churn-5',
    });
  });
});
