import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PipelineInput } from '../../../src/pipelines/index.js';
import { compile, useSchedulerFixture } from '../../pipelines/support/scheduler.js';

describe('the validate step kind, on sqlite', () => {
  const fixture = useSchedulerFixture('sqlite');

  async function runWithSuite(
    suite: string,
  ): Promise<{ id: string; status: string; log: string; metrics: Record<string, number>; reportFile: string }> {
    await writeFile(
      path.join(fixture.workDir, 'people.csv'),
      'id,email,age\n1,a@x.io,30\n2,b@x.io,41\n3,not-an-email,17\n4,d@x.io,\n',
    );
    await writeFile(path.join(fixture.workDir, 'suite.yaml'), suite);
    const definition: PipelineInput = {
      name: 'checked',
      params: { people: { type: 'string', default: 'people.csv' } },
      steps: [
        {
          name: 'check',
          kind: 'validate',
          suite: 'suite.yaml',
          sensitive: ['email'],
          report: 'report',
          inputs: { people: 'params.people' },
          outputs: { report: { type: 'file' } },
        },
      ],
    };
    const pipelines = fixture.test.context.pipelines;
    const { pipelineRunId, status } = await pipelines.run({
      definition: compile(definition),
      workDir: fixture.workDir,
    });
    const step = (await pipelines.getRun(pipelineRunId)).steps[0]!;
    const run = await fixture.test.context.tracking.getRun(step.run_id!);
    return {
      id: pipelineRunId,
      status,
      log: await readFile(pipelines.logFile(pipelineRunId, 'check', 1), 'utf8'),
      metrics: Object.fromEntries(run.data.metrics.map((metric) => [metric.key, metric.value])),
      reportFile: path.join(pipelines.scheduler.stepFolder(pipelineRunId, 'check'), 'outputs', 'report'),
    };
  }

  it('fails the pipeline on an error, with the report (masked) in the log', async () => {
    const result = await runWithSuite(
      [
        'name: people',
        'expectations:',
        "  - { column: email, regex: '^[^@]+@[^@]+$' }",
        '  - { column: age, between: { min: 18, max: 99 }, severity: warn }',
        '  - { column: id, unique: true }',
      ].join('\n'),
    );
    expect(result.status).toBe('FAILED');
    expect(result.log).toContain('1 expectation(s) of severity error failed');
    expect(result.log).not.toContain('not-an-email');
    expect(result.log).toContain('***');
    expect(result.metrics).toEqual({ 'expectations.passed': 1, 'expectations.errors': 1, 'expectations.warnings': 1 });
  });

  it('passes with warnings recorded, and writes the JSON report', async () => {
    const result = await runWithSuite(
      [
        'name: people',
        'expectations:',
        '  - { column: age, not_null: true, severity: warn }',
        '  - { row_count: { min: 1 } }',
      ].join('\n'),
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(result.metrics).toEqual({ 'expectations.passed': 1, 'expectations.errors': 0, 'expectations.warnings': 1 });
    const report = JSON.parse(await readFile(result.reportFile, 'utf8')) as {
      passed: boolean;
      warnings: number;
      results: Array<{ failingRows?: number }>;
    };
    expect(report).toMatchObject({ passed: true, warnings: 1 });
  });

  it('fails clearly on a suite naming an unknown column, before checking anything', async () => {
    const result = await runWithSuite(
      ['name: people', 'expectations:', '  - { column: salary, not_null: true }'].join('\n'),
    );
    expect(result.status).toBe('FAILED');
    expect(result.log).toMatch(/suite\.yaml:3:\d+/);
    expect(result.log).toContain('salary');
  });
});
