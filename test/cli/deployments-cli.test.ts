// Runs the built CLI: `npm run build` first.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext } from '../../src/app/context.js';
import { loadConfig } from '../../src/common/config.js';
import { COLUMN_SIGNATURE, perColumnGraph, registerPackage, writeServingPackage } from '../serving/support.js';
import { makeTempDir } from '../support/temp.js';
import { runCli } from './run-cli.js';

interface WireDeployment {
  name: string;
  model: string;
  state: string;
  pinned_version: number | null;
  serving_version: number | null;
}

/**
 * The records only: no `ciclo server` runs here, so nothing is ever served and every deployment stays
 * PENDING. The model `scorer` has versions 1 and 2, both with a verified package; `champion` is on 1.
 */
describe('ciclo deployments', () => {
  const home = makeTempDir('ciclo-deployments-cli-');
  const env = { CICLO_HOME: join(home.dir, 'home') };
  const cli = (...args: string[]) => runCli(args, env);
  const json = <T>(stdout: string) => JSON.parse(stdout) as T;

  beforeAll(async () => {
    const context = await openContext(loadConfig(env));
    try {
      for (const factor of [2, 3]) {
        const folder = join(home.dir, `v${factor}`);
        await writeServingPackage(
          folder,
          { 'model.onnx': perColumnGraph(factor) },
          { flavor: 'onnx', entry: 'model.onnx', signature: COLUMN_SIGNATURE },
        );
        await registerPackage(context, 'scorer', folder);
      }
      await context.registry.setAlias('scorer', 'champion', 1);
    } finally {
      await context.close();
    }
  });
  afterAll(() => home.remove());

  it('creates pinned and alias deployments, PENDING, and lists and shows them in text and JSON', async () => {
    const pinned = await cli('deployments', 'create', 'scorer-pinned', '--model', 'scorer/1', '--env', 'staging');
    expect(pinned.stderr).toBe('');
    expect(pinned.code).toBe(0);
    expect(pinned.stdout).toContain('created deployment scorer-pinned');
    expect(pinned.stdout).toMatch(/^state +PENDING$/m);
    expect(pinned.stdout).toMatch(/^model +scorer\/1 \(pinned to the version\)$/m);
    expect(pinned.stdout).toMatch(/^endpoint +\/serve\/scorer-pinned$/m);

    const live = await cli(
      '--json',
      'deployments',
      'create',
      'scorer-live',
      '--model',
      'scorer@champion',
      '--env',
      'prod',
      '--replicas',
      '2',
    );
    expect(live.stderr).toBe('');
    expect(json(live.stdout)).toMatchObject({
      name: 'scorer-live',
      model: 'scorer@champion',
      model_name: 'scorer',
      alias: 'champion',
      pinned_version: null,
      environment: 'prod',
      replicas: 2,
      strategy: { type: 'blue-green' },
      state: 'PENDING',
      serving_version: null,
      endpoint: '/serve/scorer-live',
    });

    const [listText, listJson, showText, showJson] = await Promise.all([
      cli('deployments', 'list'),
      cli('--json', 'deployments', 'list'),
      cli('deployments', 'show', 'scorer-live'),
      cli('deployments', 'show', 'scorer-pinned', '--json'),
    ]);
    const lines = listText.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^name +model +environment +state +serving +updated$/);
    expect(lines[1]).toMatch(/^scorer-live +scorer@champion +prod +PENDING +- +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(lines[2]).toMatch(/^scorer-pinned +scorer\/1 +staging +PENDING +- /);
    expect(json<WireDeployment[]>(listJson.stdout).map((d) => [d.name, d.state])).toEqual([
      ['scorer-live', 'PENDING'],
      ['scorer-pinned', 'PENDING'],
    ]);
    expect(showText.stdout).toMatch(/^deployment +scorer-live$/m);
    expect(showText.stdout).toMatch(/^model +scorer@champion \(follows the alias\)$/m);
    expect(showText.stdout).toMatch(/^replicas +2$/m);
    expect(showText.stdout).toMatch(/^message +-$/m);
    expect(showText.stdout).toMatch(/^serving +-$/m);
    expect(showText.stdout).toMatch(/^endpoint +\/serve\/scorer-live$/m);
    expect(json(showJson.stdout)).toMatchObject({ name: 'scorer-pinned', model: 'scorer/1', pinned_version: 1 });
  });

  it('promotes a pinned deployment to version 2 and moves an alias deployment’s alias', async () => {
    const pinned = await cli('--json', 'deployments', 'promote', 'scorer-pinned', '2', '--reason', 'better auc');
    expect(pinned.stderr).toBe('');
    expect(json(pinned.stdout)).toMatchObject({ model: 'scorer/2', pinned_version: 2, state: 'PENDING' });

    const live = await cli('deployments', 'promote', 'scorer-live', '2');
    expect(live.stderr).toBe('');
    expect(live.stdout).toContain('promoted scorer-live to scorer/2 (scorer@champion moved)');
    const context = await openContext(loadConfig(env));
    try {
      expect((await context.registry.resolve('scorer@champion')).version).toBe(2);
    } finally {
      await context.close();
    }
  });

  it('refuses a rollback with nothing served before (exit 4) and keeps the history past a delete', async () => {
    // A refused rollback writes nothing, so the history can be read beside it.
    const [rollback, history] = await Promise.all([
      cli('deployments', 'rollback', 'scorer-pinned', '--reason', 'regression'),
      cli('deployments', 'history', 'scorer-pinned'),
    ]);
    expect(rollback.code).toBe(4);
    expect(rollback.stderr).toContain(
      "INVALID_STATE: deployment 'scorer-pinned' has no earlier version to roll back to",
    );
    expect(rollback.stderr).toContain('fix: Promote a version instead: `ciclo deployments promote scorer-pinned');
    expect(history.stderr).toBe('');
    const rows = history.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^time +actor +action +from → to +reason$/);
    expect(rows.slice(1).map((row) => row.split(/ {2,}/).slice(2))).toEqual([
      ['create', '- → 1'],
      ['promote', '- → 2', 'better auc'],
    ]);

    const deleted = await cli('deployments', 'delete', 'scorer-pinned', '--reason', 'retired');
    expect(deleted.stdout).toContain('deleted deployment scorer-pinned');
    const [shown, afterDelete] = await Promise.all([
      cli('deployments', 'show', 'scorer-pinned'),
      cli('--json', 'deployments', 'history', 'scorer-pinned'),
    ]);
    expect(shown.code).toBe(3);
    expect(shown.stderr).toContain("no deployment named 'scorer-pinned'");
    expect(json(afterDelete.stdout)).toMatchObject([
      { action: 'create', from_version: null, to_version: 1 },
      { action: 'promote', to_version: 2, reason: 'better auc' },
      { action: 'delete', reason: 'retired' },
    ]);
  });

  it('rolls back to the version served before, once a server has served two', async () => {
    // The supervisor's reports, made here as `ciclo server` would after starting each version.
    const context = await openContext(loadConfig(env));
    try {
      await context.deployments.markServing('scorer-live', 1);
      await context.deployments.markServing('scorer-live', 2);
    } finally {
      await context.close();
    }
    const rolled = await cli('deployments', 'rollback', 'scorer-live', '--reason', 'latency');
    expect(rolled.stderr).toBe('');
    expect(rolled.stdout).toContain('rolled scorer-live back from version 2 to 1');
    expect(rolled.stdout).toMatch(/^serving +scorer\/2$/m);
  });

  it('exits 2 naming --env for an unknown environment and 3 for an unknown model', async () => {
    const [badEnv, unknown] = await Promise.all([
      cli('deployments', 'create', 'x', '--model', 'scorer/1', '--env', 'qa'),
      cli('deployments', 'create', 'x', '--model', 'nope@champion', '--env', 'dev'),
    ]);
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toContain("option '--env <environment>' argument 'qa' is invalid");
    expect(badEnv.stderr).toContain('dev, staging, prod');
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('nope');
  });
});
