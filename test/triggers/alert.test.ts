import { describe, expect, it } from 'vitest';
import { AlertRuleSchema, type ResultToJudge } from '../../src/monitoring/index.js';
import { compilePipeline, TriggerSpecSchema, validateTriggers } from '../../src/pipelines/index.js';
import { stepKinds } from '../../src/app/step-kinds.js';
import { DIALECTS } from '../support/databases.js';
import { loaded, moreChecks, reportedErrors, shell, triggerOf, useTriggerFixture, waitFor } from './support.js';

const DRIFT = { name: 'churn-drift', deployment: 'churn-prod', project: 'default' };
const QUALITY = { name: 'churn-quality', deployment: 'churn-prod', project: 'default' };
const psiHigh = AlertRuleSchema.parse({ name: 'psi-high', metric: 'drift.psi', above: 0.2 });
const psiInfo = AlertRuleSchema.parse({ name: 'psi-info', metric: 'drift.psi', above: 0.1, severity: 'info' });

let nextId = 1;
function psi(value: number): ResultToJudge {
  const id = nextId++;
  return { id, time: id * 1000, status: 'ok', metrics: [{ metric: 'drift.psi', feature: 'income', value }] };
}

describe.each(DIALECTS)('alert trigger (%s)', (dialect) => {
  const fixture = useTriggerFixture(dialect);

  it("fires once per new FIRING alert of its monitor at its severity or above, with the alert's payload", async () => {
    const { alerts } = fixture.context;
    // Fired before the trigger existed: it starts nothing.
    await alerts.evaluate(DRIFT, [psiHigh], psi(0.9));
    const pipeline = loaded(
      {
        name: 'retrain',
        steps: [{ name: 'train', ...shell('true') }],
        triggers: [{ name: 'on_drift', type: 'alert', monitor: 'churn-drift', severity: 'warning', interval: '20ms' }],
      },
      fixture.workDir,
    );
    const runtime = await fixture.start([pipeline]);
    await waitFor('the cursor', async () => (await runtime.counters('retrain', 'on_drift')).cursor !== undefined);

    // Resolved, then an info alert of the same monitor and a warning of another: none fires.
    await alerts.evaluate(DRIFT, [psiHigh, psiInfo], psi(0.15));
    await alerts.evaluate(QUALITY, [psiHigh], psi(0.9));
    await moreChecks(fixture, 'on_drift');
    expect(await fixture.runs('retrain')).toEqual([]);

    const [fired] = await alerts.evaluate(DRIFT, [psiHigh], psi(0.7));
    const run = await waitFor('a run', async () => (await fixture.runs('retrain'))[0]);
    expect(triggerOf(run)).toEqual({
      name: 'on_drift',
      type: 'alert',
      payload: { ...fired!.payload, alert_id: fired!.id },
    });
    expect(fired!.payload).toMatchObject({ monitor: 'churn-drift', rule: 'psi-high', state: 'FIRING', value: 0.7 });
    await waitFor(
      'the run to succeed',
      async () => (await fixture.context.pipelines.getRun(run.id)).run.status === 'SUCCEEDED',
    );

    // Still firing: no new FIRING event, no new run; the cursor survives a restart.
    await alerts.evaluate(DRIFT, [psiHigh], psi(0.8));
    await moreChecks(fixture, 'on_drift');
    await fixture.stopRuntime();
    const restarted = await fixture.start([pipeline]);
    await moreChecks(fixture, 'on_drift');
    expect(await fixture.runs('retrain')).toHaveLength(1);
    expect((await restarted.counters('retrain', 'on_drift')).cursor).toBe(String(fired!.id));
    expect(reportedErrors(fixture)).toEqual([]);
  });

  it('fires for a rule of any monitor when the trigger names only the rule', async () => {
    const { alerts } = fixture.context;
    const pipeline = loaded(
      {
        name: 'page',
        steps: [{ name: 'notify', ...shell('true') }],
        triggers: [{ name: 'on_psi', type: 'alert', rule: 'psi-high', interval: '20ms' }],
      },
      fixture.workDir,
    );
    const runtime = await fixture.start([pipeline]);
    await waitFor('the cursor', async () => (await runtime.counters('page', 'on_psi')).cursor !== undefined);
    await alerts.evaluate(DRIFT, [psiInfo], psi(0.9));
    await alerts.evaluate(QUALITY, [psiHigh], psi(0.9));
    await waitFor('a run', async () => (await fixture.runs('page'))[0]);
    await moreChecks(fixture, 'on_psi');
    const runs = await fixture.runs('page');
    expect(runs.map((run) => (triggerOf(run)?.payload as { monitor: string }).monitor)).toEqual(['churn-quality']);
  });
});

describe('alert trigger definition', () => {
  const compile = (trigger: object) =>
    compilePipeline(
      { name: 'p', steps: [{ name: 'a', ...shell('true') }], triggers: [trigger] },
      { registry: stepKinds() },
    );

  it('needs a monitor or a rule, and a known severity', () => {
    expect(() => compile({ name: 'a', type: 'alert' })).toThrow(
      'an alert trigger names the monitor or the rule (or both) whose alerts start the pipeline',
    );
    expect(() => compile({ name: 'a', type: 'alert', monitor: 'm', severity: 'high' })).toThrow(
      /must be info, warning or critical/,
    );
    const definition = compile({ name: 'a', type: 'alert', rule: 'psi-high' });
    expect(definition.triggers[0]).toMatchObject({ type: 'alert', rule: 'psi-high', interval: '30s' });
    expect(
      validateTriggers({
        ...definition,
        triggers: [TriggerSpecSchema.parse({ name: 'b', type: 'alert', monitor: 'm' })],
      }),
    ).toEqual([]);
  });
});
