import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestContext, type TestContext } from '../support/context.js';
import { DIALECTS } from '../support/databases.js';
import { registerPackage, writeServingPackage } from '../serving/support.js';
import { expectRefused } from './support.js';

const SETUP = `deployments:
  shop-dev:
    model: shop@champion
    environment: dev
  shop-pinned:
    model: shop/1
    environment: staging
    strategy: { type: canary, steps: [50], step_seconds: 5 }
monitors:
  shop-watch:
    deployment: shop-pinned
    window: { rows: 100 }
`;

describe.each(DIALECTS)('ciclo.yaml deployments on %s', (dialect) => {
  let test: TestContext;
  let file: string;
  const writeSetup = (text: string): void => writeFileSync(file, text);

  beforeEach(async () => {
    test = await openTestContext(dialect);
    const folder = join(test.dir, 'model');
    await writeServingPackage(
      folder,
      { 'model.mjs': 'export const load = () => 0; export const predict = (s, rows) => rows.map(() => 0.5);' },
      {
        flavor: 'js',
        entry: 'model.mjs',
        signature: { inputs: [{ name: 'amount', type: 'double' }], outputs: [{ name: 'score', type: 'double' }] },
      },
    );
    for (const model of ['shop', 'shop', 'other']) await registerPackage(test.context, model, folder);
    await test.context.registry.setAlias('shop', 'champion', 1);
    file = join(test.dir, 'ciclo.yaml');
    writeSetup(SETUP);
  });
  afterEach(async () => {
    await test.drop();
  });

  it('creates deployments and a monitor, re-pins one field by field, prunes, with history', async () => {
    const { setup, deployments, monitors, audit } = test.context;
    const plan = await setup.plan(file);
    expect(plan.changes.map((change) => `${change.action} ${change.kind} ${change.name}`)).toEqual([
      'create deployment shop-dev',
      'create deployment shop-pinned',
      'create monitor shop-watch',
    ]);
    expect(plan.changes[1]!.fields).toContainEqual({ field: 'strategy.steps', after: [50] });

    await setup.apply(file);
    expect((await deployments.list()).map((d) => [d.name, d.model, d.state, d.strategy.type])).toEqual([
      ['shop-dev', 'shop@champion', 'PENDING', 'blue-green'],
      ['shop-pinned', 'shop/1', 'PENDING', 'canary'],
    ]);
    expect((await monitors.show('shop-watch')).project).toBe('default');
    expect((await setup.plan(file)).changes).toEqual([]);

    writeSetup(SETUP.replace('model: shop/1', 'model: shop/2\n    capture_rate: 0.5'));
    const changed = await setup.plan(file);
    expect(changed.changes).toEqual([
      {
        kind: 'deployment',
        name: 'shop-pinned',
        action: 'change',
        fields: [
          { field: 'capture_rate', before: 1, after: 0.5 },
          { field: 'model', before: 'shop/1', after: 'shop/2' },
        ],
      },
    ]);
    await setup.apply(file);
    const pinned = await deployments.show('shop-pinned');
    expect([pinned.model, pinned.pinnedVersion, pinned.captureRate]).toEqual(['shop/2', 2, 0.5]);
    expect((await deployments.history('shop-pinned')).map((event) => [event.action, event.toVersion])).toEqual([
      ['create', 1],
      ['update', 2],
    ]);

    // Without the pinned deployment, and an empty monitors section: pruned, both go (the history stays). A kind
    // whose section the file does not have is never pruned.
    writeSetup(SETUP.replace(/\n {2}shop-pinned:[\s\S]*$/, '\nmonitors: {}\n'));
    expect((await setup.plan(file)).changes).toEqual([]);
    const pruned = await setup.plan(file, { prune: true });
    expect(pruned.changes.map((change) => `${change.action} ${change.kind} ${change.name}`)).toEqual([
      'delete deployment shop-pinned',
      'delete monitor shop-watch',
    ]);
    await setup.apply(file, { prune: true });
    expect((await deployments.list()).map((d) => d.name)).toEqual(['shop-dev']);
    expect((await deployments.history('shop-pinned')).map((event) => event.action)).toEqual([
      'create',
      'update',
      'delete',
    ]);
    const actions = (await audit.list({ limit: 1000 })).map((entry) => entry.action);
    expect(actions.filter((action) => action.startsWith('deployment.'))).toEqual([
      'deployment.create',
      'deployment.create',
      'deployment.update',
      'deployment.delete',
    ]);
  });

  it('says where a deployment is wrong, and writes nothing', async () => {
    const { setup, deployments } = test.context;
    await expectRefused(
      [
        [
          'unknown model',
          SETUP.replace('model: shop/1', 'model: shoe/1'),
          { code: 'RESOURCE_DOES_NOT_EXIST', where: `${file}:6:12`, message: /shoe/ },
        ],
        [
          'unknown environment',
          SETUP.replace('environment: dev', 'environment: moon'),
          { code: 'INVALID_PARAMETER_VALUE', where: `${file}:4:18`, message: /deployments\.shop-dev\.environment/ },
        ],
      ],
      writeSetup,
      () => setup.apply(file),
    );
    expect(await deployments.list()).toEqual([]);

    writeSetup(SETUP);
    await setup.apply(file);
    await expectRefused(
      [
        [
          'another model',
          SETUP.replace('model: shop/1', 'model: other/1'),
          { code: 'INVALID_PARAMETER_VALUE', where: `${file}:6:12`, message: /serves shop, not other/ },
        ],
      ],
      writeSetup,
      () => setup.apply(file),
    );
  });
});
