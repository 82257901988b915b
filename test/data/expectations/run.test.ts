import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/common/errors.js';
import { DataEngine, readFilesSql, type DataFormat } from '../../../src/data/duckdb.js';
import {
  loadSuiteYaml,
  renderReportJson,
  renderReportText,
  runSuite,
  type SuiteInput,
  type SuiteReport,
} from '../../../src/data/expectations/index.js';
import type { ColumnSchema } from '../../../src/data/types.js';
import { makeTempDir } from '../../support/temp.js';
import { badRows, countingEngine, goodRows, schemaOf, writeData } from './support.js';

const SUITE = `name: churn-raw
expectations:
  - { column: customer_id, exists: true, type: VARCHAR }
  - { column: email, not_null: true }
  - { column: customer_id, unique: true }
  - { column: tenure_months, between: { min: 0, max: 120 } }
  - { column: contract, in_set: [month-to-month, one-year, two-year] }
  - { column: email, regex: '^[^@]+@[^@]+$' }
  - { row_count: { min: 10, max: 1000 } }
  - { column: signup_date, fresh_within: 30d }
  - sql: "select * from data where total_charges < monthly_charges;"
    name: charges_consistent
    severity: warn
`;
const NOW = new Date('2024-06-10T00:00:00Z');

const temp = makeTempDir('ciclo-expectations-');
let engine: DataEngine;
beforeAll(async () => {
  engine = await DataEngine.open({ threads: 1 });
});
afterAll(() => {
  engine.close();
  temp.remove();
});

async function inputFor(
  rows: string[][],
  format: DataFormat,
  name: string,
  extra: Partial<SuiteInput> = {},
): Promise<SuiteInput> {
  const file = await writeData(engine, temp.dir, name, rows, format);
  const relationSql = readFilesSql([file], format);
  return { relationSql, schema: await schemaOf(engine, relationSql), sensitive: ['email'], now: NOW, ...extra };
}

const byName = (report: SuiteReport, name: string) => report.results.find((result) => result.name === name)!;

describe.each(['csv', 'jsonl', 'parquet'] as const)('running a suite over %s', (format) => {
  it('passes every check on good data, with no samples fetched', async () => {
    const input = await inputFor(goodRows(), format, `good-${format}`);
    const report = await runSuite(engine, input, loadSuiteYaml(SUITE, 'suite.yaml'));
    expect(report.results.filter((result) => !result.passed)).toEqual([]);
    expect(report).toMatchObject({ suite: 'churn-raw', passed: true, errors: 0, warnings: 0 });
    expect(byName(report, 'row_count#6').observed).toEqual({ rows: 12 });
    expect(byName(report, 'between(tenure_months)').observed).toEqual({ min: 5, max: 60 });
    expect(byName(report, 'not_null(email)').failingRows).toBe(0);
    expect(report.results.every((result) => result.samples.length === 0)).toBe(true);
  });

  it('counts each failure exactly, masks sensitive values and limits samples to five', async () => {
    const input = await inputFor(badRows(), format, `bad-${format}`);
    const report = await runSuite(engine, input, loadSuiteYaml(SUITE, 'suite.yaml'));
    const failing = Object.fromEntries(report.results.map((result) => [result.name, result.failingRows]));
    expect(failing).toEqual({
      'exists(customer_id)': undefined,
      'not_null(email)': 2,
      'unique(customer_id)': 1,
      'between(tenure_months)': 7,
      'in_set(contract)': 2,
      'regex(email)': 1,
      'row_count#6': undefined,
      'fresh_within(signup_date)': undefined,
      charges_consistent: 3,
    });
    expect(report.results.filter((result) => result.passed).map((result) => result.name)).toEqual([
      'exists(customer_id)',
      'row_count#6',
      'fresh_within(signup_date)',
    ]);
    // Six errors; the custom check is a warning and does not fail the suite on its own.
    expect(report).toMatchObject({ passed: false, errors: 5, warnings: 1 });

    const tenure = byName(report, 'between(tenure_months)');
    expect(tenure.samples).toHaveLength(5);
    expect(tenure.observed).toEqual({ min: 5, max: 212 });
    expect(tenure.samples.every((row) => row.email === '***' && Number(row.tenure_months) > 120)).toBe(true);

    const nulls = byName(report, 'not_null(email)');
    expect(nulls.samples.map((row) => [row.customer_id, row.email])).toEqual([
      ['c1', null],
      ['c2', null],
    ]);
    expect(byName(report, 'regex(email)').samples).toMatchObject([{ customer_id: 'c3', email: '***' }]);
    expect(byName(report, 'unique(customer_id)').samples.map((row) => row.customer_id)).toEqual(['c5', 'c5']);
    expect(byName(report, 'unique(customer_id)').observed).toEqual({ distinct: 11 });
    expect(byName(report, 'in_set(contract)').observed).toEqual({ unexpected: [{ value: 'weekly', rows: 2 }] });

    const custom = byName(report, 'charges_consistent');
    expect(custom.samples.map((row) => row.customer_id)).toEqual(['c2', 'c5', 'c6']);
    expect(custom.samples.every((row) => row.email === '***' || row.email === null)).toBe(true);
    expect(JSON.stringify(report)).not.toContain('example.com');
  });
});

describe('expectation checks', () => {
  it('decides every column check and the row count in one scan, and fetches samples only for failures', async () => {
    const input = await inputFor(goodRows(), 'csv', 'one-scan');
    const counting = countingEngine(engine);
    const report = await runSuite(
      counting,
      input,
      loadSuiteYaml(SUITE.replace(/ {2}- sql:[\s\S]*$/, ''), 'suite.yaml'),
    );
    expect(report.passed).toBe(true);
    expect(counting.statements).toHaveLength(1);
    expect(report.queries).toEqual(counting.statements);
    expect(counting.statements[0]).toContain('count(*) FILTER (WHERE');

    const bad = await inputFor(badRows(), 'csv', 'one-scan-bad');
    const failing = countingEngine(engine);
    await runSuite(failing, bad, loadSuiteYaml(SUITE.replace(/ {2}- sql:[\s\S]*$/, ''), 'suite.yaml'));
    // One scan, then a sample query per failing row check (5), and the unexpected values of in_set.
    expect(failing.statements).toHaveLength(1 + 5 + 1);
    expect(failing.statements.slice(1).every((sql) => sql.includes('LIMIT 5'))).toBe(true);
  });

  it('fails a row count outside its range and reports the count', async () => {
    const input = await inputFor(goodRows(), 'csv', 'rows');
    const suite = loadSuiteYaml(
      'name: s\nexpectations:\n  - { row_count: { min: 13 } }\n  - { row_count: { max: 11 }, severity: warn }\n',
      's.yaml',
    );
    const report = await runSuite(engine, input, suite);
    expect(report.results.map((result) => [result.passed, result.observed])).toEqual([
      [false, { rows: 12 }],
      [false, { rows: 12 }],
    ]);
    expect(report).toMatchObject({ passed: false, errors: 1, warnings: 1 });
  });

  it('passes a suite whose only failures are warnings', async () => {
    const input = await inputFor(badRows(), 'csv', 'warnings');
    const suite = loadSuiteYaml(
      'name: s\nexpectations:\n  - { column: email, not_null: true, severity: warn }\n' +
        '  - { column: customer_id, exists: true }\n',
      's.yaml',
    );
    const report = await runSuite(engine, input, suite);
    expect(report).toMatchObject({ passed: true, errors: 0, warnings: 1 });
  });

  it('checks a column exists and has the type, accepting the usual spellings of a type', async () => {
    const input = await inputFor(goodRows(), 'parquet', 'exists');
    const suite = loadSuiteYaml(
      `name: s
expectations:
  - { column: tenure_months, exists: true, type: bigint }
  - { column: customer_id, exists: true, type: text }
  - { column: customer_id, exists: true, type: INTEGER, name: id_is_int }
  - { column: churned, exists: true }
`,
      's.yaml',
    );
    const report = await runSuite(engine, input, suite);
    expect(report.results.map((result) => [result.name, result.passed, result.observed])).toEqual([
      ['exists(tenure_months)', true, { present: true, type: 'BIGINT' }],
      ['exists(customer_id)', true, { present: true, type: 'VARCHAR' }],
      ['id_is_int', false, { present: true, type: 'VARCHAR' }],
      ['exists(churned)', false, { present: false }],
    ]);
  });

  it('compares the schema with the previous version: added, removed and retyped columns', async () => {
    const schema: ColumnSchema[] = [
      { name: 'id', type: 'VARCHAR', nullable: false, sensitive: false },
      { name: 'amount', type: 'DOUBLE', nullable: true, sensitive: false },
      { name: 'region', type: 'VARCHAR', nullable: true, sensitive: false },
    ];
    const previous: ColumnSchema[] = [
      { name: 'id', type: 'VARCHAR', nullable: false, sensitive: false },
      { name: 'amount', type: 'BIGINT', nullable: true, sensitive: false },
      { name: 'country', type: 'VARCHAR', nullable: true, sensitive: false },
    ];
    const suite = loadSuiteYaml('name: s\nexpectations:\n  - { schema_unchanged: true }\n', 's.yaml');
    const base = { relationSql: "(SELECT 'a' AS id, 1.5 AS amount, 'eu' AS region)", schema, sensitive: [] };
    const counting = countingEngine(engine);
    const changed = await runSuite(counting, { ...base, previousSchema: previous }, suite);
    expect(changed.results[0]).toMatchObject({
      passed: false,
      observed: {
        added: [{ name: 'region', type: 'VARCHAR' }],
        removed: [{ name: 'country', type: 'VARCHAR' }],
        retyped: [{ name: 'amount', from: 'BIGINT', to: 'DOUBLE' }],
      },
    });
    expect(counting.statements).toEqual([]);
    const same = await runSuite(
      engine,
      { ...base, previousSchema: schema.map((column) => ({ ...column, type: column.type.toLowerCase() })) },
      suite,
    );
    expect(same.results[0]).toMatchObject({ passed: true, observed: { added: [], removed: [], retyped: [] } });
    const first = await runSuite(engine, base, suite);
    expect(first.results[0]).toMatchObject({ passed: true, note: 'no previous version to compare with' });
  });

  it('judges freshness against a fixed now, for dates and timestamps', async () => {
    const relationSql =
      "(SELECT DATE '2024-06-01' AS day, TIMESTAMP '2024-06-09 12:00:00' AS at, " +
      "TIMESTAMPTZ '2024-06-09 12:00:00+00' AS at_tz " +
      "UNION ALL SELECT DATE '2024-01-01', TIMESTAMP '2024-01-01 00:00:00', NULL)";
    const schema = await schemaOf(engine, relationSql);
    const suite = loadSuiteYaml(
      `name: s
expectations:
  - { column: day, fresh_within: 10d }
  - { column: day, fresh_within: 1w, name: day_week }
  - { column: at, fresh_within: 12h }
  - { column: at, fresh_within: 11h, name: at_11h }
  - { column: at_tz, fresh_within: 720m }
`,
      's.yaml',
    );
    const report = await runSuite(engine, { relationSql, schema, sensitive: [], now: NOW }, suite);
    expect(report.results.map((result) => [result.name, result.passed])).toEqual([
      ['fresh_within(day)', true],
      ['day_week', false],
      ['fresh_within(at)', true],
      ['at_11h', false],
      ['fresh_within(at_tz)', true],
    ]);
    expect(report.results[1]!.observed).toEqual({
      max: '2024-06-01T00:00:00.000Z',
      threshold: '2024-06-03T00:00:00.000Z',
    });
  });

  it('fails freshness on a column with no values', async () => {
    const relationSql = '(SELECT CAST(NULL AS TIMESTAMP) AS at)';
    const suite = loadSuiteYaml('name: s\nexpectations:\n  - { column: at, fresh_within: 1d }\n', 's.yaml');
    const report = await runSuite(
      engine,
      { relationSql, schema: await schemaOf(engine, relationSql), sensitive: [], now: NOW },
      suite,
    );
    expect(report.results[0]).toMatchObject({ passed: false, note: 'the column has no non-null values' });
  });

  it('refuses an unknown column before running anything, naming the expectation and the columns', async () => {
    const input = await inputFor(goodRows(), 'csv', 'unknown');
    const counting = countingEngine(engine);
    const suite = loadSuiteYaml(
      'name: s\nexpectations:\n  - { column: email, not_null: true }\n  - { column: emial, regex: "@" }\n',
      's.yaml',
    );
    const error = await runSuite(counting, input, suite).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).message).toBe('expectations[1].column: unknown column "emial"');
    expect((error as InvalidInputError).details).toEqual({
      where: 's.yaml:4:15',
      hint:
        "the relation's columns are: customer_id, email, tenure_months, contract, " +
        'monthly_charges, total_charges, signup_date',
    });
    expect(counting.statements).toEqual([]);
  });

  it('refuses checks that cannot apply to the column type before running', async () => {
    const input = await inputFor(goodRows(), 'csv', 'types');
    const fresh = parseSuiteOf('  - { column: contract, fresh_within: 1d }');
    await expect(runSuite(engine, input, fresh)).rejects.toThrow(
      'expectations[0].column: fresh_within needs a DATE or TIMESTAMP column, but "contract" is VARCHAR',
    );
    const between = parseSuiteOf('  - { column: contract, between: { min: 1 } }');
    await expect(runSuite(engine, input, between)).rejects.toThrow('needs a numeric column');
  });

  it('refuses custom SQL that does not parse or bind, with DuckDB message, before any scan', async () => {
    const input = await inputFor(goodRows(), 'csv', 'bad-sql');
    const counting = countingEngine(engine);
    const suite = parseSuiteOf('  - { column: email, not_null: true }\n  - { sql: "selec * frm data", name: typo }');
    const error = await runSuite(counting, input, suite).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).message).toMatch(
      /^expectations\[1\]\.sql: the query does not run: Parser Error: syntax error/,
    );
    expect((error as InvalidInputError).details.where).toBe('s.yaml:4:12');
    expect(counting.statements).toHaveLength(1);
    expect(counting.statements[0]).toMatch(/^DESCRIBE /);

    const unknown = parseSuiteOf('  - { sql: "select * from data where nope > 1" }');
    await expect(runSuite(engine, input, unknown)).rejects.toThrow(
      /expectations\[0\]\.sql: the query does not run: Binder Error: .*"nope"/,
    );
  });

  it('names the expectation holding a pattern DuckDB cannot compile', async () => {
    const input = await inputFor(goodRows(), 'csv', 'bad-regex');
    const suite = parseSuiteOf('  - { column: email, not_null: true }\n  - { column: email, regex: "(" }');
    await expect(runSuite(engine, input, suite)).rejects.toThrow(/^expectations\[1\]\.regex: invalid pattern: /);
  });

  it('treats values in a set by their type and masks what a sensitive column reveals', async () => {
    const relationSql =
      "(SELECT * FROM (VALUES (1, 'a', true), (2, 'b', false), (7, 'secret', true)) AS t(code, token, flag))";
    const schema = (await schemaOf(engine, relationSql)).map((column) => ({
      ...column,
      sensitive: column.name === 'token',
    }));
    const suite = parseSuiteOf(
      '  - { column: code, in_set: [1, 2] }\n  - { column: flag, in_set: [true] }\n' +
        '  - { column: token, in_set: [a, b] }\n  - { column: token, between: { min: a, max: b } }',
    );
    const report = await runSuite(engine, { relationSql, schema, sensitive: [] }, suite);
    expect(report.results.map((result) => result.failingRows)).toEqual([1, 1, 1, 1]);
    expect(report.results[2]!.observed).toEqual({ unexpected: [{ value: '***', rows: 1 }] });
    expect(report.results[3]!.observed).toEqual({ min: '***', max: '***' });
    expect(report.results[0]!.samples).toEqual([{ code: 7, token: '***', flag: true }]);
  });

  it('renders a text table and JSON', async () => {
    const input = await inputFor(badRows(), 'csv', 'render');
    const report = await runSuite(engine, input, loadSuiteYaml(SUITE, 'suite.yaml'));
    const text = renderReportText(report);
    const lines = text.split('\n');
    expect(lines[0]).toBe('suite churn-raw');
    expect(lines.find((line) => line.includes('exists(customer_id)'))).toMatch(/^✓ /);
    expect(lines.find((line) => line.includes('between(tenure_months)'))).toMatch(/^✗ .* 7 {2}min=5 max=212$/);
    expect(lines.find((line) => line.includes('charges_consistent'))).toMatch(/^! /);
    const tenureLine = lines.findIndex((line) => line.includes('between(tenure_months)'));
    const samples = lines.slice(tenureLine + 1, tenureLine + 7);
    expect(
      samples.slice(0, 5).every((line) => /^ {4}customer_id=c\d+ email=\*\*\* tenure_months=2\d\d /.test(line)),
    ).toBe(true);
    expect(samples[5]).toMatch(/^✗ /);
    expect(text).not.toContain('example.com');
    expect(lines.at(-1)).toBe('FAILED: 5 errors, 1 warning, 9 expectations');
    expect(JSON.parse(renderReportJson(report))).toEqual(report);
  });
});

function parseSuiteOf(items: string) {
  return loadSuiteYaml(`name: s\nexpectations:\n${items}\n`, 's.yaml');
}
