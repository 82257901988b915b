import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestContext, type TestContext } from '../support/context.js';
import { DIALECTS } from '../support/databases.js';
import { cicloErrorOf } from '../support/errors.js';
import { expectRefused, type RefusedSetup } from './support.js';
import { registerPackage, writeServingPackage } from '../serving/support.js';

const SIGNATURE = {
  inputs: [
    { name: 'amount', type: 'double' },
    { name: 'plan', type: 'string' },
  ],
  outputs: [{ name: 'score', type: 'double' }],
};

const DRIFT_MONITOR = `name: shop-drift
deployment: shop-dev
window: { rows: 500 }
features: [amount, plan]
alerts:
  - name: amount-drift
    metric: drift.psi
    feature: amount
    above: 0.2
`;

const SETUP = `monitors:
  shop-drift: monitors/drift.yaml
  shop-custom:
    deployment: shop-dev
    custom:
      - name: big_share
        sql: "SELECT avg((amount > 100)::INT) FROM traffic"
`;

describe.each(DIALECTS)('ciclo.yaml monitors on %s', (dialect) => {
  let test: TestContext;
  let file: string;
  const write = (name: string, text: string): void => writeFileSync(join(test.dir, name), text);

  beforeEach(async () => {
    test = await openTestContext(dialect);
    const folder = join(test.dir, 'model');
    await writeServingPackage(
      folder,
      { 'model.mjs': 'export const load = () => 0; export const predict = (s, rows) => rows.map(() => 0.5);' },
      { flavor: 'js', entry: 'model.mjs', signature: SIGNATURE },
    );
    await registerPackage(test.context, 'shop', folder);
    await test.context.deployments.create({ name: 'shop-dev', model: 'shop/1', environment: 'dev' });
    await test.context.deployments.startUpdate('shop-dev', 1);
    await test.context.deployments.markServing('shop-dev', 1);
    mkdirSync(join(test.dir, 'monitors'));
    file = join(test.dir, 'ciclo.yaml');
    write('ciclo.yaml', SETUP);
    write('monitors/drift.yaml', DRIFT_MONITOR);
  });
  afterEach(async () => {
    await test.drop();
  });

  it('creates monitors from a file and inline, changes an alert rule field by field, prunes, all audited', async () => {
    const { setup, monitors, audit } = test.context;
    const plan = await setup.plan(file);
    expect(plan.changes.map((change) => `${change.action} ${change.kind} ${change.name}`)).toEqual([
      'create monitor shop-drift',
      'create monitor shop-custom',
    ]);
    expect(plan.changes[0]!.fields).toContainEqual({ field: 'window.rows', after: 500 });

    await setup.apply(file);
    expect((await monitors.list()).map((monitor) => [monitor.name, monitor.project])).toEqual([
      ['shop-custom', 'default'],
      ['shop-drift', 'default'],
    ]);
    expect((await monitors.show('shop-drift')).source).toBe(DRIFT_MONITOR);
    expect((await setup.plan(file)).changes).toEqual([]);

    write('monitors/drift.yaml', DRIFT_MONITOR.replace('above: 0.2', 'above: 0.25'));
    write('ciclo.yaml', SETUP.replace(/\n {2}shop-custom:[\s\S]*$/, '\n'));
    const changed = await setup.plan(file, { prune: true });
    expect(changed.changes).toMatchObject([
      { kind: 'monitor', name: 'shop-drift', action: 'change' },
      { kind: 'monitor', name: 'shop-custom', action: 'delete' },
    ]);
    // An alert rule is an item of a list: the list is shown whole, before and after.
    expect(changed.changes[0]!.fields.map((field) => field.field)).toEqual(['alerts']);

    await setup.apply(file, { prune: true });
    expect((await monitors.list()).map((monitor) => monitor.name)).toEqual(['shop-drift']);
    expect((await monitors.show('shop-drift')).parsed.alerts[0]).toMatchObject({ above: 0.25 });
    const actions = (await audit.list({ limit: 1000 })).map((entry) => entry.action);
    expect(actions.filter((action) => action.startsWith('monitor.'))).toEqual([
      'monitor.apply',
      'monitor.apply',
      'monitor.apply',
      'monitor.delete',
    ]);
  });

  it("says where a monitor is wrong: its deployment, a column the model lacks, a name not the key's", async () => {
    const { setup, monitors } = test.context;
    const cases: RefusedSetup[] = [
      [
        'unknown deployment',
        SETUP.replace('    deployment: shop-dev', '    deployment: shop-prod'),
        { code: 'RESOURCE_DOES_NOT_EXIST', where: `${file}:4:17`, message: /shop-prod/ },
      ],
      [
        'name other than the key',
        SETUP.replace('shop-drift: monitors/drift.yaml', 'drift: monitors/drift.yaml'),
        { code: 'INVALID_PARAMETER_VALUE', where: `${file}:2:3`, message: /names it "shop-drift"/ },
      ],
    ];
    await expectRefused(
      cases,
      (text) => write('ciclo.yaml', text),
      () => setup.apply(file),
    );
    write('ciclo.yaml', SETUP);
    write('monitors/drift.yaml', DRIFT_MONITOR.replace('features: [amount, plan]', 'features: [amount, tenure]'));
    const column = await cicloErrorOf(setup.apply(file));
    expect(column.details.where).toBe(`${join(test.dir, 'monitors', 'drift.yaml')}:4:20`);
    // Checked whole before anything was written: the inline monitor, which was fine, is not there either.
    expect(await monitors.list()).toEqual([]);
  });
});
