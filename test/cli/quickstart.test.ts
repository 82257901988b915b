import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/temp.js';
import { runCli } from './run-cli.js';

describe('ciclo quickstart', () => {
  let home: { dir: string; remove(): void };

  beforeEach(() => {
    home = makeTempDir('ciclo-quickstart-');
  });

  afterEach(() => home.remove());

  it('runs the churn pipeline with live progress and says what it produced and how to look at it', async () => {
    const env = { CICLO_HOME: home.dir };
    const first = await runCli(['quickstart', '--param', 'rows=1500', '--param', 'trees=10'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    for (const step of ['generate', 'dedupe', 'clean', 'validate', 'split', 'train', 'evaluate']) {
      expect(first.stdout).toMatch(new RegExp(`▶ ${step} +started`));
      expect(first.stdout).toMatch(new RegExp(`✓ ${step} +done in`));
    }
    const runId = /Pipeline run ([0-9a-f]{32}): SUCCEEDED/.exec(first.stdout)![1]!;
    expect(first.stdout).toContain('What it produced:');
    expect(first.stdout).toMatch(/output +\S+\/train\/outputs\/model/);
    const auc = Number(/auc=([0-9.]+)/.exec(first.stdout)![1]);
    expect(auc).toBeGreaterThan(0.7);
    expect(first.stdout).toMatch(/recall\.age_60plus=/);
    expect(first.stdout).toContain(`npx ciclo pipeline show ${runId}`);
    expect(first.stdout).toContain(`npx ciclo lineage ${runId}`);

    // The same again is all cache hits, and still reports the evaluation's metrics.
    const again = await runCli(['quickstart', '--param', 'rows=1500', '--param', 'trees=10'], env);
    expect(again.code).toBe(0);
    expect(again.stdout.match(/↺ \w+ +cached/g)).toHaveLength(7);
    expect(again.stdout).toContain(`auc=${/auc=([0-9.]+)/.exec(first.stdout)![1]}`);
  });

  it('refuses a param the example does not have', async () => {
    const bad = await runCli(['quickstart', '--param', 'epochs=3'], { CICLO_HOME: home.dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('pipeline "churn" has no param "epochs"');
  });
});
