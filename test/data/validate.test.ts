import { describe, expect, it } from 'vitest';
import { configEnvironment } from '../../src/common/config.js';
import { MASK } from '../../src/data/expectations/index.js';
import { DIALECTS } from '../support/databases.js';
import { runCli } from '../cli/run-cli.js';
import { useDataSuite } from './support.js';

const SUITE = [
  'name: customers',
  'expectations:',
  '  - { schema_unchanged: true }',
  '  - { column: email, not_null: true }',
  '  - { column: id, unique: true, severity: warn }',
].join('\n');

describe.each(DIALECTS)('validating a dataset version, on %s', (dialect) => {
  const suite = useDataSuite(dialect);

  it('compares with the previous version and masks the columns the version tags sensitive', async () => {
    await suite.datasets.register('customers', suite.write('v1/customers.csv', 'id,email\n1,a@x.io\n2,b@x.io\n'), {
      sensitive: ['email'],
    });
    const suiteFile = suite.write('suite.yaml', SUITE);
    const first = await suite.datasets.validate('customers@1', suiteFile);
    expect(first).toMatchObject({ passed: true, errors: 0, warnings: 0 });

    await suite.datasets.register(
      'customers',
      suite.write('v2/customers.csv', 'id,email,plan\n1,,basic\n1,c@x.io,pro\n'),
    );
    const second = await suite.datasets.validate('customers', suiteFile);
    expect(second).toMatchObject({ passed: false, errors: 2, warnings: 1 });
    const byKind = Object.fromEntries(second.results.map((result) => [result.kind, result]));
    expect(byKind.schema_unchanged!.passed).toBe(false);
    expect(JSON.stringify(byKind.schema_unchanged!.observed)).toContain('plan');
    expect(byKind.not_null!.failingRows).toBe(1);
    // The email column kept its sensitive tag in version 2: its values never appear.
    expect(JSON.stringify(byKind.unique!.samples)).toContain(MASK);
    expect(JSON.stringify(second)).not.toContain('c@x.io');
  });

  it('exits 1 from the CLI when an error-severity expectation fails, 2 for a bad suite', async () => {
    await suite.datasets.register('customers', suite.write('customers.csv', 'id,email\n1,\n'));
    const env = configEnvironment(suite.test.config);
    const failing = await runCli(['data', 'validate', 'customers', '--suite', suite.write('suite.yaml', SUITE)], env);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain('not_null(email)');
    const bad = await runCli(
      [
        'data',
        'validate',
        'customers',
        '--suite',
        suite.write('bad.yaml', 'name: x\nexpectations:\n  - { column: nope, not_null: true }\n'),
      ],
      env,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('nope');
  });
});
