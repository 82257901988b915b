import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidStateError } from '../../../src/common/errors.js';
import {
  PipelineService,
  builtinExecutors,
  type PipelineDefinition,
  type PipelineInput,
} from '../../../src/pipelines/index.js';
import { DIALECTS } from '../../support/databases.js';
import { compile, useSchedulerFixture } from '../../pipelines/support/scheduler.js';
import { stepRuntimes } from '../../../src/app/step-kinds.js';

describe.each(DIALECTS)('pipelines over registered datasets, on %s', (dialect) => {
  const fixture = useSchedulerFixture(dialect);

  const definition = (reference: string): PipelineDefinition =>
    compile({
      name: 'from-datasets',
      steps: [
        {
          name: 'dedupe',
          kind: 'dedupe',
          keys: ['id'],
          format: 'csv',
          inputs: { customers: reference },
          outputs: { data: { type: 'dataset', register: 'customers_clean', sensitive: ['name'] } },
        },
        // A command step reads the same dataset as a plain file.
        {
          name: 'count',
          kind: 'command',
          command: ['sh', '-c', 'wc -l < "$CICLO_INPUT_CUSTOMERS" > "$CICLO_OUTPUT_DIR/n"'],
          inputs: { customers: reference },
          outputs: { n: { type: 'file' } },
        },
      ],
    } satisfies PipelineInput);

  async function registerCustomers(rows: string[]): Promise<void> {
    const file = path.join(fixture.workDir, 'customers.csv');
    await writeFile(file, ['id,name', ...rows, ''].join('\n'));
    await fixture.test.context.datasets.register('customers', file);
  }

  it('reads a pinned dataset version, records it as the step run input, and registers the output', async () => {
    await registerCustomers(['1,ann', '2,bob', '2,bob', '3,cid']);
    const pipelines = fixture.test.context.pipelines;
    const first = await pipelines.run({ definition: definition('datasets.customers'), workDir: fixture.workDir });
    expect(first.status).toBe('SUCCEEDED');

    const recorded = JSON.parse((await pipelines.getRun(first.pipelineRunId)).run.definition) as PipelineDefinition;
    expect(recorded.steps[0]!.inputs.customers).toEqual({ from: 'dataset', dataset: 'customers@1' });

    const steps = (await pipelines.getRun(first.pipelineRunId)).steps;
    const dedupe = steps.find((step) => step.step_name === 'dedupe')!;
    const tracked = await fixture.test.context.tracking.getRun(dedupe.run_id!);
    const v1 = await fixture.test.context.datasets.show('customers@1');
    expect(tracked.inputs).toMatchObject([
      { name: 'customers', digest: v1.digest, source: 'ciclo-dataset:customers@1' },
    ]);
    expect(tracked.data.tags['ciclo.dataset.output.data']).toBe('customers_clean@1');
    const clean = await fixture.test.context.datasets.show('customers_clean');
    expect(clean).toMatchObject({ version: 1, rowCount: 3 });
    expect(clean.schema.filter((column) => column.sensitive).map((column) => column.name)).toEqual(['name']);
    const countFile = path.join(pipelines.scheduler.stepFolder(first.pipelineRunId, 'count'), 'outputs', 'n');
    expect((await readFile(countFile, 'utf8')).trim()).toBe('5');

    // A new version does not change what the first run recorded; a new run pins the new one. The
    // same cleaned content registers no new version.
    await registerCustomers(['1,ann', '2,bob', '3,cid', '3,cid']);
    const second = await pipelines.run({ definition: definition('datasets.customers'), workDir: fixture.workDir });
    expect(second.status).toBe('SUCCEEDED');
    const pinned = JSON.parse((await pipelines.getRun(second.pipelineRunId)).run.definition) as PipelineDefinition;
    expect(pinned.steps[0]!.inputs.customers).toEqual({ from: 'dataset', dataset: 'customers@2' });
    expect((await fixture.test.context.datasets.versions('customers_clean')).map((version) => version.version)).toEqual(
      [1],
    );
  });

  it('refuses a dataset that does not exist before anything runs, and needs a catalog', async () => {
    const pipelines = fixture.test.context.pipelines;
    await expect(
      pipelines.start({ definition: definition('datasets.nope'), workDir: fixture.workDir }),
    ).rejects.toThrow(/nope/);
    expect(await pipelines.listRuns()).toEqual([]);
    const bare = new PipelineService({
      db: fixture.test.context.database.db,
      tracking: fixture.test.context.tracking,
      executors: builtinExecutors(fixture.test.config, stepRuntimes()),
      home: fixture.test.config.home,
    });
    await expect(
      bare.start({ definition: definition('datasets.customers@1'), workDir: fixture.workDir }),
    ).rejects.toThrow(InvalidStateError);
  });
});
