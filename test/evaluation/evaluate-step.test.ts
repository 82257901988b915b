import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { classificationMetrics, fairnessReport } from '../../src/evaluation/index.js';
import { runCli } from '../cli/run-cli.js';
import { compile, useSchedulerFixture } from '../pipelines/support/scheduler.js';

/** label, score (challenger), champion, age_band: two bands with different positive rates. */
const ROWS = [
  [1, 0.9, 0.8, '18-29'],
  [1, 0.7, 0.4, '18-29'],
  [0, 0.6, 0.3, '18-29'],
  [0, 0.2, 0.1, '18-29'],
  [1, 0.4, 0.6, '60+'],
  [0, 0.3, 0.7, '60+'],
  [0, 0.1, 0.2, '60+'],
  [1, 0.8, 0.9, '60+'],
] as const;

describe('the evaluate step kind and ciclo evaluate', () => {
  const fixture = useSchedulerFixture('sqlite');

  async function predictionsFile(): Promise<string> {
    const file = path.join(fixture.workDir, 'predictions.csv');
    await writeFile(file, ['churned,score,champion,age_band', ...ROWS.map((row) => row.join(','))].join('\n') + '\n');
    return file;
  }

  it('logs metrics, fairness per group and the delta to the champion on the step run; writes the report', async () => {
    await predictionsFile();
    const definition = compile({
      name: 'evaluated',
      params: { predictions: { type: 'string', default: 'predictions.csv' } },
      steps: [
        {
          name: 'evaluate',
          kind: 'evaluate',
          label: 'churned',
          score: 'score',
          champion: 'champion',
          sensitive: ['age_band'],
          report: 'report',
          inputs: { predictions: 'params.predictions' },
          outputs: { report: { type: 'file' } },
        },
      ],
    });
    const pipelines = fixture.test.context.pipelines;
    const { pipelineRunId, status } = await pipelines.run({ definition, workDir: fixture.workDir });
    expect(status).toBe('SUCCEEDED');
    const step = (await pipelines.getRun(pipelineRunId)).steps[0]!;
    const metrics = Object.fromEntries(
      (await fixture.test.context.tracking.getRun(step.run_id!)).data.metrics.map((m) => [m.key, m.value]),
    );

    const rows = ROWS.map(([label, score]) => ({ label, score }));
    const expected = classificationMetrics(rows);
    expect(metrics.accuracy).toBe(expected.accuracy);
    expect(metrics.auc).toBe(expected.auc);
    // Challenger: 18-29 predicts 3 of 4 positive, 60+ 1 of 4 (0.4 < 0.5): parity gap 0.5, impact 1/3.
    const fairness = fairnessReport(ROWS.map(([label, score, , group]) => ({ label, score, group })));
    expect(metrics['fairness.age_band.demographic_parity_difference']).toBeCloseTo(0.5, 12);
    expect(metrics['fairness.age_band.disparate_impact_ratio']).toBeCloseTo(fairness.disparate_impact_ratio!, 12);
    expect(metrics['positive_rate.age_band.60_']).toBe(0.25);
    expect(metrics['champion_delta.auc']).toBeCloseTo(
      expected.auc! - classificationMetrics(ROWS.map(([label, , champion]) => ({ label, score: champion }))).auc!,
      12,
    );
    const report = JSON.parse(
      await readFile(path.join(pipelines.scheduler.stepFolder(pipelineRunId, 'evaluate'), 'outputs', 'report'), 'utf8'),
    ) as {
      fairness: { age_band: { groups: Array<{ group: string }> } };
    };
    expect(report.fairness.age_band.groups.map((group) => group.group).sort()).toEqual(['18-29', '60+']);
  });

  it('prints the same from the CLI, and names a missing column', async () => {
    const file = await predictionsFile();
    const ok = await runCli(
      ['--json', 'evaluate', file, '--label', 'churned', '--score', 'score', '--sensitive', 'age_band'],
      {},
    );
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.stdout) as { metrics: { accuracy: number } };
    expect(report.metrics.accuracy).toBe(
      classificationMetrics(ROWS.map(([label, score]) => ({ label, score }))).accuracy,
    );
    const missing = await runCli(['evaluate', file, '--label', 'churned', '--score', 'probability'], {});
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no column "probability"');
  });
});
