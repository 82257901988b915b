// Runs the built CLI: `npm run build` first.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext } from '../../src/app/context.js';
import { loadConfig } from '../../src/common/config.js';
import { AlertRuleSchema, type ResultToJudge } from '../../src/monitoring/index.js';
import { runCli } from '../cli/run-cli.js';
import { makeTempDir } from '../support/temp.js';

const MONITOR = { name: 'churn-drift', deployment: 'churn-prod', project: 'default' };
const rules = [
  AlertRuleSchema.parse({ name: 'psi-high', metric: 'drift.psi', above: 0.2, severity: 'critical' }),
  AlertRuleSchema.parse({ name: 'ks-high', metric: 'drift.ks', above: 0.5 }),
];
const window = (id: number, psi: number): ResultToJudge => ({
  id,
  time: Date.UTC(2026, 11, 1, id),
  status: 'ok',
  metrics: [
    { metric: 'drift.psi', feature: 'income', value: psi },
    { metric: 'drift.ks', feature: 'income', value: 0.1 },
  ],
});

/** `psi-high` fired in window 2 (and `ks-high` never did), judged through the library; the CLI only reads and acks. */
describe('ciclo alerts', () => {
  const home = makeTempDir('ciclo-alerts-cli-');
  const env = { CICLO_HOME: join(home.dir, 'home') };
  const cli = (...args: string[]) => runCli(args, env);

  beforeAll(async () => {
    const context = await openContext(loadConfig(env));
    try {
      await context.alerts.evaluate(MONITOR, rules, window(1, 0.1));
      await context.alerts.evaluate(MONITOR, rules, window(2, 0.45));
    } finally {
      await context.close();
    }
  });
  afterAll(() => home.remove());

  it('lists alert states in a table and as JSON, filtered by monitor and state', async () => {
    const text = await cli('alerts', 'list');
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^monitor\s+rule\s+state\s+severity\s+value\s+since\s+acked by$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/).slice(0, 5))).toEqual([
      ['churn-drift', 'ks-high', 'OK', 'warning', '0.1'],
      ['churn-drift', 'psi-high', 'FIRING', 'critical', '0.45'],
    ]);
    const firing = await cli('--json', 'alerts', 'list', '--state', 'firing');
    expect(JSON.parse(firing.stdout)).toEqual([expect.objectContaining({ rule: 'psi-high', state: 'FIRING' })]);
    expect(JSON.parse((await cli('alerts', 'list', '--monitor', 'other', '--json')).stdout)).toEqual([]);
    const bad = await cli('alerts', 'list', '--state', 'burning');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/must be OK or FIRING/);
  });

  it('acknowledges a firing alert, shows it in the history, and refuses one that is not firing', async () => {
    const acked = await cli('alerts', 'ack', 'churn-drift', 'psi-high', '--comment', 'retraining now');
    expect(acked.stderr).toBe('');
    expect(acked.stdout).toMatch(/^acknowledged churn-drift\/psi-high as \S+\n$/);
    const notFiring = await cli('alerts', 'ack', 'churn-drift', 'ks-high');
    expect(notFiring.code).toBe(4);
    expect(notFiring.stderr).toMatch(/is not firing/);
    expect((await cli('alerts', 'show', 'churn-drift', 'nope')).code).toBe(3);

    const shown = await cli('--json', 'alerts', 'show', 'churn-drift', 'psi-high');
    const history = JSON.parse(shown.stdout) as {
      state: { state: string; acked_by: string };
      events: { kind: string; payload: { comment?: string; value: number } }[];
    };
    expect(history.state.state).toBe('FIRING');
    expect(history.events.map((e) => e.kind)).toEqual(['FIRING', 'ACKED']);
    expect(history.events[1]!.payload).toMatchObject({ comment: 'retraining now', value: 0.45 });
    expect(history.state.acked_by).toBe(/ as (\S+)\n$/.exec(acked.stdout)![1]);

    const text = await cli('alerts', 'show', 'churn-drift', 'psi-high');
    expect(text.stdout).toMatch(/^alert\s+churn-drift\/psi-high$/m);
    expect(text.stdout).toMatch(/^state\s+FIRING$/m);
    expect(text.stdout).toMatch(/\bFIRING\s+0\.45\s+ciclo-alerts\b/);
    expect(text.stdout).toMatch(/\bACKED\s+0\.45\s/);
  });
});
