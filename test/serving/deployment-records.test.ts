import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withActor } from '../../src/governance/index.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { COLUMN_SIGNATURE, perColumnGraph, registerPackage, writeServingPackage } from './support.js';

/**
 * The rules of deployment records, checked before anything changes: which versions and runtimes a
 * deployment may take, and where a rollback goes. No server runs here: the steps `ciclo server`'s
 * supervisor reports (a version serving) are reported through the service as it does.
 */
describe('deployment records', () => {
  let test: TestContext;

  beforeEach(async () => {
    test = await openTestContext('sqlite');
    for (const factor of [2, 3, 4]) {
      const folder = join(test.dir, `v${factor}`);
      await writeServingPackage(
        folder,
        { 'model.onnx': perColumnGraph(factor) },
        { flavor: 'onnx', entry: 'model.onnx', signature: COLUMN_SIGNATURE },
      );
      await registerPackage(test.context, 'scorer', folder);
    }
  });
  afterEach(async () => test?.drop());

  it('refuses a runtime that is unknown or does not load the flavor, and a rejected version', async () => {
    const { deployments, approvals } = test.context;
    const create = (model: string, runtime?: string) =>
      deployments.create({ name: 'scorer-dev', model, environment: 'dev', ...(runtime ? { runtime } : {}) });
    await expect(create('scorer/1', 'tensorflow')).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      details: { where: 'runtime', hint: expect.stringContaining('onnx') },
    });
    await expect(create('scorer/1', 'python')).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: "model runtime 'python' does not serve flavor 'onnx'",
    });
    await withActor({ actor: 'carol' }, () => approvals.reject('scorer', 3, { comment: 'biased' }));
    await expect(create('scorer/3')).rejects.toMatchObject({ code: 'INVALID_STATE', details: { where: 'model' } });

    await create('scorer/1', 'onnx');
    await expect(deployments.promote('scorer-dev', 3)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect(await deployments.show('scorer-dev')).toMatchObject({ pinnedVersion: 1, runtime: 'onnx' });
    expect((await deployments.history('scorer-dev')).map((event) => event.action)).toEqual(['create']);
  });

  it('rolls back to the last version served before, never to one it rolled back from', async () => {
    const { deployments } = test.context;
    await deployments.create({ name: 'scorer-dev', model: 'scorer/1', environment: 'dev' });
    const serve = async (version: number) => {
      await deployments.startUpdate('scorer-dev', version);
      await deployments.markServing('scorer-dev', version);
    };
    await serve(1);
    await deployments.promote('scorer-dev', 2);
    await serve(2);

    expect(await deployments.rollback('scorer-dev', 'p99 doubled')).toMatchObject({ pinnedVersion: 1 });
    await serve(1);
    // Version 2 served before 1 too, but it is the version just rolled back from.
    await expect(deployments.rollback('scorer-dev')).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect((await test.context.registry.show('scorer', 2)).tags['ciclo.rolled_back']).toBe('scorer-dev');

    // Promoted again on purpose, it is a version to return to again.
    await deployments.promote('scorer-dev', 2, 'fixed upstream');
    await serve(2);
    await deployments.promote('scorer-dev', 3);
    await serve(3);
    expect(await deployments.rollback('scorer-dev')).toMatchObject({ pinnedVersion: 2 });
  });

  it('pins a pinned deployment back when a rollout judges its candidate worse', async () => {
    const { deployments } = test.context;
    await deployments.create({ name: 'scorer-dev', model: 'scorer/1', environment: 'dev' });
    await deployments.startUpdate('scorer-dev', 1);
    await deployments.markServing('scorer-dev', 1);
    await deployments.promote('scorer-dev', 2);
    await deployments.startUpdate('scorer-dev', 2);
    await deployments.abortRollout('scorer-dev', 2, 'canary: error rate 9.0% against 0.0%', {});
    expect(await deployments.show('scorer-dev')).toMatchObject({
      pinnedVersion: 1,
      servingVersion: 1,
      candidateVersion: null,
      state: 'READY',
      message: 'rolled back 2: canary: error rate 9.0% against 0.0%',
    });
  });
});
