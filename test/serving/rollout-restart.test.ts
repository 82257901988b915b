import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deploymentSupervisor } from '../../src/app/deployments.js';
import type { DeploymentSupervisor } from '../../src/serving/index.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { waitFor } from '../support/wait.js';
import { COLUMN_SIGNATURE, perColumnGraph, registerPackage, writeServingPackage } from './support.js';

/**
 * A server that stops in the middle of a canary and starts again: the candidate must be judged again
 * against what served, not start as if it were the deployment's first version.
 */
describe('a rollout across a server restart', () => {
  let test: TestContext;
  const supervisors: DeploymentSupervisor[] = [];

  beforeEach(async () => {
    test = await openTestContext('sqlite');
    for (const factor of [2, 3]) {
      const folder = join(test.dir, `v${factor}`);
      await writeServingPackage(
        folder,
        { 'model.onnx': perColumnGraph(factor) },
        { flavor: 'onnx', entry: 'model.onnx', signature: COLUMN_SIGNATURE },
      );
      await registerPackage(test.context, 'scorer', folder);
    }
    await test.context.registry.setAlias('scorer', 'champion', 1);
  });
  afterEach(async () => {
    await Promise.all(supervisors.map((supervisor) => supervisor.stop()));
    await test?.drop();
  });

  /** The version the supervisor would send a request to, `draw` standing for its random number. */
  const versionFor = (supervisor: DeploymentSupervisor, draw: number) => {
    const target = supervisor.acquire('scorer-prod', () => draw);
    target?.release();
    return target?.version;
  };

  const startSupervisor = () => {
    const supervisor = deploymentSupervisor(test.context, { auth: false, pollMs: 100 });
    supervisors.push(supervisor);
    supervisor.start();
    return supervisor;
  };

  it('starts the version that served, then rolls the candidate out again by its strategy', async () => {
    const { deployments, registry } = test.context;
    await deployments.create({
      name: 'scorer-prod',
      model: 'scorer@champion',
      environment: 'prod',
      strategy: { type: 'canary', steps: [50], step_seconds: 600 },
    });
    const first = startSupervisor();
    await waitFor('version 1', async () => (await deployments.show('scorer-prod')).servingVersion === 1);
    await registry.setAlias('scorer', 'champion', 2);
    await waitFor('the canary', () => versionFor(first, 0) === 2);
    await first.stop();

    const second = startSupervisor();
    const served = await waitFor('a replica', () => second.replicas('scorer-prod')[0]);
    expect(served.version).toBe(1);
    // The canary runs again: half the requests to 2, the rest to 1, and 2 does not serve alone yet.
    await waitFor('the canary again', () => versionFor(second, 0) === 2);
    expect(versionFor(second, 0.99)).toBe(1);
    expect(await deployments.show('scorer-prod')).toMatchObject({
      state: 'UPDATING',
      servingVersion: 1,
      candidateVersion: 2,
    });
    const served2 = (await deployments.history('scorer-prod')).filter((event) => event.action === 'serve');
    expect(served2.map((event) => event.toVersion)).toEqual([1]);
  });
});
