import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../src/common/errors.js';
import { loadSuiteFile, loadSuiteYaml, parseSuite } from '../../../src/data/expectations/index.js';
import { invalidInputOf } from '../../support/errors.js';
import { makeTempDir } from '../../support/temp.js';

const FULL = `name: churn-raw
expectations:
  - { column: customer_id, exists: true, type: VARCHAR }
  - { column: customer_id, not_null: true }
  - { column: customer_id, unique: true }
  - { column: tenure_months, between: { min: 0, max: 120 } }
  - { column: contract, in_set: [month-to-month, one-year, two-year] }
  - { column: email, regex: '^[^@]+@[^@]+$' }
  - { row_count: { min: 1000, max: 1000000 } }
  - { schema_unchanged: true }
  - { column: signup_date, fresh_within: 30d }
  - sql: "select * from data where total_charges < monthly_charges"
    name: charges_consistent
    severity: warn
`;

describe('expectation suite format', () => {
  it('reads every check kind into one tagged shape, with default names and severity', () => {
    const suite = loadSuiteYaml(FULL, 'churn.yaml');
    expect(suite.name).toBe('churn-raw');
    expect(suite.expectations).toEqual([
      { kind: 'exists', name: 'exists(customer_id)', severity: 'error', column: 'customer_id', type: 'VARCHAR' },
      { kind: 'not_null', name: 'not_null(customer_id)', severity: 'error', column: 'customer_id' },
      { kind: 'unique', name: 'unique(customer_id)', severity: 'error', column: 'customer_id' },
      { kind: 'between', name: 'between(tenure_months)', severity: 'error', column: 'tenure_months', min: 0, max: 120 },
      {
        kind: 'in_set',
        name: 'in_set(contract)',
        severity: 'error',
        column: 'contract',
        values: ['month-to-month', 'one-year', 'two-year'],
      },
      { kind: 'regex', name: 'regex(email)', severity: 'error', column: 'email', pattern: '^[^@]+@[^@]+$' },
      { kind: 'row_count', name: 'row_count#6', severity: 'error', min: 1000, max: 1_000_000 },
      { kind: 'schema_unchanged', name: 'schema_unchanged#7', severity: 'error' },
      {
        kind: 'fresh_within',
        name: 'fresh_within(signup_date)',
        severity: 'error',
        column: 'signup_date',
        within: '30d',
        withinMs: 30 * 86_400_000,
      },
      {
        kind: 'sql',
        name: 'charges_consistent',
        severity: 'warn',
        sql: 'select * from data where total_charges < monthly_charges',
      },
    ]);
  });

  it('refuses an unknown key at the key, with its field path', () => {
    const error = invalidInputOf(() =>
      loadSuiteYaml('name: s\nexpectations:\n  - { column: a, not_null: true, colour: red }\n', 's.yaml'),
    );
    expect(error.message).toBe('expectations[0].colour: unknown field "colour"');
    expect(error.details.where).toBe('s.yaml:3:34');
  });

  it('refuses an unknown key at the top level and inside a range', () => {
    expect(invalidInputOf(() => loadSuiteYaml('name: s\nexpect: []\n', 's.yaml')).message).toBe(
      'expectations: missing required field (array)',
    );
    const error = invalidInputOf(() =>
      loadSuiteYaml('name: s\nexpectations:\n  - column: a\n    between: { min: 0, maxi: 3 }\n', 's.yaml'),
    );
    expect(error.message).toBe('expectations[0].between.maxi: unknown field "maxi"');
    expect(error.details.where).toBe('s.yaml:4:24');
  });

  it('refuses a value of the wrong type at the value', () => {
    const error = invalidInputOf(() =>
      loadSuiteYaml('name: s\nexpectations:\n  - column: a\n    between: { min: [1] }\n', 's.yaml'),
    );
    expect(error.message).toMatch(/^expectations\[0\]\.between\.min: /);
    expect(error.details.where).toBe('s.yaml:4:21');
    const severity = invalidInputOf(() =>
      loadSuiteYaml('name: s\nexpectations:\n  - { column: a, unique: true, severity: fatal }\n', 's.yaml'),
    );
    expect(severity.message).toMatch(/^expectations\[0\]\.severity: /);
    expect(severity.details.where).toBe('s.yaml:3:42');
  });

  it('asks for exactly one check per expectation', () => {
    const none = invalidInputOf(() => loadSuiteYaml('name: s\nexpectations:\n  - { column: a }\n', 's.yaml'));
    expect(none.message).toBe('expectations[0]: no check in this expectation');
    expect(none.details.hint).toMatch(/^write exactly one of: exists, not_null, /);
    expect(none.details.where).toBe('s.yaml:3:5');
    const two = invalidInputOf(() =>
      loadSuiteYaml('name: s\nexpectations:\n  - { column: a, not_null: true, unique: true }\n', 's.yaml'),
    );
    expect(two.message).toBe(
      'expectations[0].unique: one check per expectation, but this one has both "not_null" and "unique"',
    );
    expect(two.details.where).toBe('s.yaml:3:34');
  });

  it('requires a column for column checks and refuses one on suite-level checks', () => {
    const missing = invalidInputOf(() => loadSuiteYaml('name: s\nexpectations:\n  - { not_null: true }\n', 's.yaml'));
    expect(missing.message).toBe('expectations[0].column: missing required field (string)');
    const extra = invalidInputOf(() =>
      loadSuiteYaml('name: s\nexpectations:\n  - { column: a, row_count: { min: 1 } }\n', 's.yaml'),
    );
    expect(extra.message).toBe('expectations[0].column: unknown field "column"');
  });

  it('refuses a bad duration, an empty range and a duplicate name', () => {
    const duration = invalidInputOf(() =>
      loadSuiteYaml('name: s\nexpectations:\n  - { column: d, fresh_within: 30 days }\n', 's.yaml'),
    );
    expect(duration.message).toMatch(/^expectations\[0\]\.fresh_within: a duration/);
    expect(duration.details.where).toBe('s.yaml:3:32');
    const range = invalidInputOf(() => loadSuiteYaml('name: s\nexpectations:\n  - { row_count: {} }\n', 's.yaml'));
    expect(range.message).toBe('expectations[0].row_count: give min, max or both');
    const twice = invalidInputOf(() =>
      loadSuiteYaml(
        'name: s\nexpectations:\n  - { column: a, unique: true }\n  - { column: a, unique: true }\n',
        's.yaml',
      ),
    );
    expect(twice.message).toBe(
      'expectations[1]: duplicate expectation name "unique(a)"; expectations[0] already has it',
    );
    expect(twice.details.where).toBe('s.yaml:4:5');
  });

  it('refuses a YAML syntax error at its line and column', () => {
    const error = invalidInputOf(() => loadSuiteYaml('name: s\n  expectations: x\n', 'broken.yaml'));
    expect(error.message).toMatch(/^invalid YAML: /);
    expect(error.details.where).toBe('broken.yaml:1:7');
  });

  it('gives the field path as where for a suite built in code', () => {
    const error = invalidInputOf(() => parseSuite({ name: 's', expectations: [{ column: 'a', not_null: 'yes' }] }));
    expect(error.message).toMatch(/^expectations\[0\]\.not_null: /);
    expect(error.details.where).toBe('expectations[0].not_null');
  });

  it('loads a suite file, and says when there is none', async () => {
    const temp = makeTempDir();
    try {
      const path = join(temp.dir, 'suite.yaml');
      writeFileSync(path, FULL);
      expect((await loadSuiteFile(path)).expectations).toHaveLength(10);
      await expect(loadSuiteFile(join(temp.dir, 'missing.yaml'))).rejects.toBeInstanceOf(NotFoundError);
    } finally {
      temp.remove();
    }
  });
});
