import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configEnvironment } from '../../src/common/config.js';
import { CorruptDatasetError } from '../../src/common/errors.js';
import type { PipelineInput } from '../../src/pipelines/index.js';
import type { TestContext } from '../support/context.js';
import { DIALECTS } from '../support/databases.js';
import { runCli } from '../cli/run-cli.js';
import { compile, useSchedulerFixture } from '../pipelines/support/scheduler.js';
import { useDataSuite } from './support.js';

// Every amount under 50: one flipped digit (10 → 90) turns the data into a quality failure, not a parse error.
const CUSTOMERS = 'id,amount\n1,10\n2,20\n3,30\n';
const SUITE = ['name: customers', 'expectations:', '  - { column: amount, between: { min: 0, max: 50 } }'].join('\n');

/** Changes `10` into `90` in the version's stored blob: still a well-formed CSV, now different data. */
async function flipStoredByte(test: TestContext, reference: string): Promise<void> {
  const version = await test.context.datasets.show(reference);
  const hex = version.files[0]!.digest.slice('sha256:'.length);
  const blob = join(test.config.artifactRoot, 'sha256', hex.slice(0, 2), hex.slice(2));
  chmodSync(blob, 0o600);
  writeFileSync(blob, readFileSync(blob, 'utf8').replace('1,10', '1,90'));
}

describe.each(DIALECTS)('a registered dataset version whose stored file changed, on %s', (dialect) => {
  const suite = useDataSuite(dialect);

  it('fails validate and resolve with CORRUPT_DATASET naming the file, not as a data-quality failure', async () => {
    await suite.datasets.register('customers', suite.write('customers.csv', CUSTOMERS));
    const suiteFile = suite.write('suite.yaml', SUITE);
    expect((await suite.datasets.validate('customers', suiteFile)).passed).toBe(true);
    await flipStoredByte(suite.test, 'customers@1');

    const validated = suite.datasets.validate('customers@1', suiteFile);
    await expect(validated).rejects.toBeInstanceOf(CorruptDatasetError);
    await expect(validated).rejects.toMatchObject({
      code: 'CORRUPT_DATASET',
      message: expect.stringContaining('dataset customers@1: file customers.csv is corrupt'),
      details: { where: 'customers@1/customers.csv' },
    });
    await expect(suite.datasets.resolve('customers')).rejects.toBeInstanceOf(CorruptDatasetError);

    const cli = await runCli(
      ['data', 'validate', 'customers', '--suite', suiteFile],
      configEnvironment(suite.test.config),
    );
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('CORRUPT_DATASET');
    expect(cli.stderr).toContain('customers.csv');
  });

  it('repairs the version when the same files are registered again', async () => {
    const source = suite.write('customers.csv', CUSTOMERS);
    await suite.datasets.register('customers', source);
    await flipStoredByte(suite.test, 'customers@1');
    const again = await suite.datasets.register('customers', source);
    expect(again).toMatchObject({ created: false, version: { version: 1 } });
    expect((await suite.datasets.validate('customers@1', suite.write('suite.yaml', SUITE))).passed).toBe(true);
  });
});

describe.each(DIALECTS)('a pipeline step over a corrupt dataset version, on %s', (dialect) => {
  const fixture = useSchedulerFixture(dialect);

  it('fails the step with CORRUPT_DATASET naming the file instead of running it', async () => {
    const file = join(fixture.workDir, 'customers.csv');
    await writeFile(file, CUSTOMERS);
    await fixture.test.context.datasets.register('customers', file);
    await flipStoredByte(fixture.test, 'customers@1');

    const definition = compile({
      name: 'reads-customers',
      steps: [
        {
          name: 'count',
          kind: 'command',
          command: ['sh', '-c', 'wc -l < "$CICLO_INPUT_CUSTOMERS" > "$CICLO_OUTPUT_DIR/n"'],
          inputs: { customers: 'datasets.customers' },
          outputs: { n: { type: 'file' } },
        },
      ],
    } satisfies PipelineInput);
    const pipelines = fixture.test.context.pipelines;
    const run = await pipelines.run({ definition, workDir: fixture.workDir });
    expect(run.status).toBe('FAILED');
    const [step] = (await pipelines.getRun(run.pipelineRunId)).steps;
    expect(step).toMatchObject({ step_name: 'count', status: 'FAILED' });
    expect(step!.error).toContain('CORRUPT_DATASET: dataset customers@1: file customers.csv is corrupt');
  });
});
