import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/temp.js';
import { runCli } from './run-cli.js';

interface LoopJson {
  model: { version: number; status: string };
  loop: {
    steps: { step: string; detail: string; ids: Record<string, string | number> }[];
    champion: { before: number; after: number };
    promoted: boolean;
  };
}

/**
 * `ciclo quickstart --loop`, the closed loop end to end in real processes: the churn pipeline, a deployment's
 * replica serving churn@champion, traffic of the drifted market with feedback, the monitor's drift alert, the
 * alert trigger's retraining run, the gate on the candidate's evaluation rows, and the canary; then the unhappy
 * path, a deliberately worse challenger that the gate refuses and that never serves.
 */
describe('ciclo quickstart --loop', () => {
  let home: { dir: string; remove(): void };

  beforeEach(() => {
    home = makeTempDir('ciclo-loop-');
  });

  afterEach(() => home.remove());

  it('retrains on drift, gates the challenger on recent data and promotes it through a canary', async () => {
    const env = { CICLO_HOME: home.dir };
    const result = await runCli(['quickstart', '--loop', '--json', '--param', 'trees=10'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const { loop } = lastJson(result.stdout) as LoopJson;
    expect(loop.steps.map((step) => step.step)).toEqual([
      'serve',
      'monitor',
      'traffic',
      'drift',
      'retrain',
      'gate',
      'rollout',
      'lineage',
    ]);
    expect(loop).toMatchObject({ retrained: true, promoted: true, champion: { before: 1, after: 2 } });
    const step = (name: string) => loop.steps.find((entry) => entry.step === name)!;
    expect(step('drift').detail).toContain('alert monthly-charges-drift FIRING');
    expect(step('gate').detail).toBe('churn/2 approved (every gate passed)');
    expect(step('rollout').detail).toMatch(
      /canary serve 1 → 2 \(judged: error rate .*\): churn-staging serves churn\/2$/,
    );

    // What the loop left in the store, through the commands a user has.
    const alerts = await runCli(['alerts', 'show', 'churn-staging', 'monthly-charges-drift', '--json'], env);
    expect(alerts.code).toBe(0);
    const history = JSON.parse(alerts.stdout) as { events: { kind: string; id: number }[] };
    expect(history.events.map((event) => event.kind)).toContain('FIRING');
    expect(step('drift').ids.alert).toBe(history.events.find((event) => event.kind === 'FIRING')!.id);

    const runs = await runCli(['pipeline', 'list', '--json'], env);
    const retrain = (JSON.parse(runs.stdout) as { id: string; trigger_name: string | null; trigger: string }[]).find(
      (run) => run.trigger_name === 'retrain-on-drift',
    );
    expect(retrain?.id).toBe(step('retrain').ids['pipeline run']);
    // The run's trigger payload is the alert: what the drift was and over which window.
    expect(JSON.parse(retrain!.trigger)).toMatchObject({
      type: 'alert',
      payload: { monitor: 'churn-staging', rule: 'monthly-charges-drift', feature: 'monthly_charges', state: 'FIRING' },
    });

    const monitor = await runCli(['monitor', 'show', 'churn-staging', '--json'], env);
    const shown = JSON.parse(monitor.stdout) as { results: { status: string; metrics: { metric: string }[] }[] };
    expect(shown.results[0]!.status).toBe('ok');
    expect(shown.results[0]!.metrics.map((metric) => metric.metric)).toEqual(
      expect.arrayContaining(['drift.psi', 'prediction_drift.psi', 'model.auc', 'custom.high_risk_share']),
    );

    // Again over the same store: churn/2 was trained on this market, so nothing drifts and nothing retrains.
    const again = await runCli(['quickstart', '--loop', '--json', '--param', 'trees=10'], env);
    expect(again.code).toBe(0);
    const second = (lastJson(again.stdout) as LoopJson).loop;
    expect(second).toMatchObject({ retrained: false, promoted: false, champion: { before: 2, after: 2 } });
    expect(second.steps.at(-1)).toMatchObject({ step: 'done' });
  }, 180_000);

  it('refuses a worse challenger at the gate: it never serves', async () => {
    const env = { CICLO_HOME: home.dir };
    const challenger = ['--challenger', 'trees=1', '--challenger', 'max_depth=1'];
    const result = await runCli(['quickstart', '--loop', '--json', '--param', 'trees=10', ...challenger], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const { loop } = lastJson(result.stdout) as LoopJson;
    expect(loop).toMatchObject({ retrained: true, promoted: false, champion: { before: 1, after: 1 } });
    expect(loop.steps.map((step) => step.step)).toEqual([
      'serve',
      'monitor',
      'traffic',
      'drift',
      'retrain',
      'gate',
      'lineage',
    ]);
    expect(loop.steps.find((step) => step.step === 'gate')!.detail).toMatch(
      /^churn\/2 pending \(failed: .*champion:auc/,
    );

    const history = await runCli(['deployments', 'history', 'churn-staging', '--json'], env);
    const events = JSON.parse(history.stdout) as { action: string; to_version: number | null }[];
    expect(events.some((event) => event.to_version === 2)).toBe(false);
    const champion = await runCli(['models', 'show', 'churn@champion', '--json'], env);
    expect(JSON.parse(champion.stdout)).toMatchObject({ version: 1 });
  }, 180_000);
});

/** `--json` prints the pipeline run's record when it ends, then the quickstart's: the last top-level document. */
function lastJson(stdout: string): unknown {
  return JSON.parse(stdout.slice(stdout.lastIndexOf('\n{') + 1));
}
