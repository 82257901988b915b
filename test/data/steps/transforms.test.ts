import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataEngine, readFilesSql } from '../../../src/data/duckdb.js';
import type { LoadedPipeline, PipelineInput } from '../../../src/pipelines/index.js';
import { compile, useSchedulerFixture } from '../../pipelines/support/scheduler.js';

/** Customers with duplicate updates: id, updated (later wins), band, churned. */
function customersCsv(): string {
  const lines = ['id,updated,band,churned'];
  for (let id = 1; id <= 200; id += 1) {
    const band = ['a', 'b', 'c', 'd'][id % 4]!;
    lines.push(`${id},2024-01-01,${band},${id % 3 === 0 ? 1 : 0}`);
    if (id % 10 === 0) lines.push(`${id},2024-02-01,${band},${id % 3 === 0 ? 1 : 0}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('data step kinds (sql, dedupe, split) in a pipeline, on sqlite', () => {
  const fixture = useSchedulerFixture('sqlite');

  async function run(
    definition: PipelineInput,
  ): Promise<{ id: string; status: string; outputs: (step: string, name: string) => string }> {
    await writeFile(path.join(fixture.workDir, 'customers.csv'), customersCsv());
    const loaded: LoadedPipeline = { definition: compile(definition), workDir: fixture.workDir };
    const { pipelineRunId, status } = await fixture.test.context.pipelines.run(loaded);
    return {
      id: pipelineRunId,
      status,
      outputs: (step, name) =>
        path.join(fixture.test.context.pipelines.scheduler.stepFolder(pipelineRunId, step), 'outputs', name),
    };
  }

  async function query(sql: string): Promise<Record<string, unknown>[]> {
    const engine = await DataEngine.open();
    try {
      return await engine.all(sql);
    } finally {
      engine.close();
    }
  }

  const pipeline = (extra: Partial<PipelineInput> = {}): PipelineInput => ({
    name: 'data-steps',
    params: { raw: { type: 'string', default: 'customers.csv' }, min_id: { type: 'integer', default: 0 } },
    steps: [
      {
        name: 'dedupe',
        kind: 'dedupe',
        keys: ['id'],
        latest_by: 'updated',
        inputs: { customers: 'params.raw' },
        outputs: { unique: { type: 'dataset' } },
      },
      {
        name: 'filter',
        kind: 'sql',
        query: 'SELECT * FROM unique_customers WHERE id > ${params.min_id} ORDER BY id',
        inputs: { unique_customers: 'steps.dedupe.outputs.unique' },
        outputs: { kept: { type: 'dataset' } },
      },
      {
        name: 'split',
        kind: 'split',
        key: ['id'],
        ratios: { train: 0.75, test: 0.25 },
        stratify: 'band',
        format: 'csv',
        inputs: { data: 'steps.filter.outputs.kept' },
        outputs: { train: { type: 'dataset' }, test: { type: 'dataset' } },
      },
    ],
    ...extra,
  });

  it('de-duplicates keeping the latest row, filters in SQL, and splits deterministically by stratum', async () => {
    const first = await run(pipeline());
    expect(first.status).toBe('SUCCEEDED');
    const unique = await query(
      'SELECT count(*) AS n, count(DISTINCT id) AS ids, max(updated) AS last ' +
        `FROM read_parquet('${first.outputs('dedupe', 'unique')}')`,
    );
    expect(unique[0]).toMatchObject({ n: 200, ids: 200 });
    const updated = await query(
      `SELECT updated FROM read_parquet('${first.outputs('dedupe', 'unique')}') WHERE id = 10`,
    );
    expect(String(updated[0]!.updated)).toMatch(/^2024-02-01/);

    const train = first.outputs('split', 'train');
    const test = first.outputs('split', 'test');
    const trainCsv = readFilesSql([train], 'csv');
    const testCsv = readFilesSql([test], 'csv');
    const parts = await query(
      `SELECT (SELECT count(*) FROM ${trainCsv}) AS train, (SELECT count(*) FROM ${testCsv}) AS test,
              (SELECT count(*) FROM ${trainCsv} t JOIN ${testCsv} s USING (id)) AS overlap`,
    );
    // Stratified: every band (50 rows each) is cut at the same place; parts are cut in name order,
    // so `test` takes the first ceil(0.25 × 50) = 13 of each band.
    expect(parts[0]).toEqual({ train: 148, test: 52, overlap: 0 });
    const perBand = await query(`SELECT band, count(*) AS n FROM ${trainCsv} GROUP BY band ORDER BY band`);
    expect(perBand.map((band) => Number(band.n))).toEqual([37, 37, 37, 37]);

    // Row counts are logged on each step's tracked run.
    const steps = (await fixture.test.context.pipelines.getRun(first.id)).steps;
    const split = await fixture.test.context.tracking.getRun(steps.find((step) => step.step_name === 'split')!.run_id!);
    expect(Object.fromEntries(split.data.metrics.map((m) => [m.key, m.value]))).toEqual({
      'rows_in.data': 200,
      'rows_out.train': 148,
      'rows_out.test': 52,
    });

    // The same inputs give byte-identical outputs.
    const second = await fixture.test.context.pipelines.run(
      { definition: compile(pipeline()), workDir: fixture.workDir },
      { noCache: true },
    );
    expect(
      second.status,
      JSON.stringify(
        (await fixture.test.context.pipelines.getRun(second.pipelineRunId)).steps.map((step) => [
          step.step_name,
          step.status,
          step.error,
        ]),
      ),
    ).toBe('SUCCEEDED');
    const digests = async (id: string) =>
      (await fixture.test.context.pipelines.getRun(id)).steps.map((step) => [step.step_name, step.output_digests]);
    expect(await digests(second.pipelineRunId)).toEqual(await digests(first.id));
    expect(await readFile(test, 'utf8')).toMatch(/^id,updated,band,churned\n/);
  });

  it('fails a step clearly on a column the input does not have, or split parts that are not outputs', async () => {
    const badKey = pipeline();
    (badKey.steps[0] as unknown as { keys: string[] }).keys = ['customer'];
    const failed = await run({ ...badKey, failFast: true });
    expect(failed.status).toBe('FAILED');
    const dedupe = (await fixture.test.context.pipelines.getRun(failed.id)).steps.find(
      (step) => step.step_name === 'dedupe',
    )!;
    expect(dedupe.status).toBe('FAILED');
    const log = await readFile(fixture.test.context.pipelines.logFile(failed.id, 'dedupe', 1), 'utf8');
    expect(log).toContain('input "customers" has no column "customer"');
    expect(log).toContain('its columns: id, updated, band, churned');
  });

  it('refuses ratios that do not add up to 1 before running', () => {
    const bad = pipeline();
    (bad.steps[2] as unknown as { ratios: Record<string, number> }).ratios = { train: 0.7, test: 0.2 };
    expect(() => compile(bad)).toThrow(/steps\[2\]\.ratios: the ratios must add up to 1/);
  });
});
