import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withActor } from '../../src/governance/index.js';
import { MonitorScheduler } from '../../src/monitoring/index.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { waitFor } from '../support/wait.js';
import { registerPackage, writeServingPackage } from '../serving/support.js';

const SIGNATURE = { inputs: [{ name: 'amount', type: 'double' }], outputs: [{ name: 'score', type: 'double' }] };

/** What `ciclo server` runs: stored monitors on their cron, picked up and dropped as they are applied. */
describe('monitor scheduler', () => {
  let test: TestContext;
  let scheduler: MonitorScheduler | undefined;

  beforeEach(async () => {
    test = await openTestContext('sqlite');
    const folder = join(test.dir, 'model');
    await writeServingPackage(
      folder,
      { 'model.mjs': 'export const load = () => 0; export const predict = (s, rows) => rows.map(() => 0);' },
      { flavor: 'js', entry: 'model.mjs', signature: SIGNATURE },
    );
    await registerPackage(test.context, 'shop', folder);
    await withActor({ actor: 'ana' }, async () => {
      await test.context.deployments.create({ name: 'shop-dev', model: 'shop/1', environment: 'dev' });
      await test.context.deployments.markServing('shop-dev', 1);
    });
  });
  afterEach(async () => {
    scheduler?.stop();
    await test?.drop();
  });

  it('runs a monitor on its schedule and stops when its schedule is removed', async () => {
    const { monitors, alerts } = test.context;
    const errors: unknown[] = [];
    scheduler = new MonitorScheduler({ monitors, alerts, onError: (error) => errors.push(error) });
    await scheduler.start();
    expect(scheduler.scheduled()).toEqual([]);

    await monitors.apply('name: every-second\ndeployment: shop-dev\nschedule: "* * * * * *"\n', 'm.yaml');
    await monitors.apply('name: on-demand\ndeployment: shop-dev\n', 'd.yaml');
    await scheduler.refresh();
    expect(scheduler.scheduled()).toEqual(['every-second']);
    const results = await waitFor('two scheduled runs', async () => {
      const stored = await monitors.results('every-second');
      return stored.length >= 2 ? stored : undefined;
    });
    expect(results.every((result) => result.status === 'no_data')).toBe(true);
    expect(await monitors.results('on-demand')).toEqual([]);

    await monitors.apply('name: every-second\ndeployment: shop-dev\n', 'm.yaml');
    await scheduler.refresh();
    expect(scheduler.scheduled()).toEqual([]);
    expect(errors).toEqual([]);
  });
});
