import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configEnvironment } from '../../src/common/config.js';
import { withActor } from '../../src/governance/index.js';
import { buildServer } from '../../src/server/app.js';
import { runCli } from '../cli/run-cli.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { COLUMN_SIGNATURE, perColumnGraph, registerPackage, writeServingPackage } from './support.js';

const as = <T>(actor: string, fn: () => Promise<T>): Promise<T> => withActor({ actor }, fn);

const POLICY = `four_eyes: true
on_approve:
  alias: champion
  deploy:
    - { env: staging, strategy: { type: canary, steps: [20, 50], step_seconds: 30 } }
    - { env: prod, human_approval: true }
`;

/** A policy's on_approve.deploy: an approved version deploys itself; production waits for a second person. */
describe('continuous delivery from approval policies', () => {
  let test: TestContext;

  beforeEach(async () => {
    test = await openTestContext('sqlite');
    for (const factor of [2, 3]) {
      const folder = join(test.dir, `v${factor}`);
      await writeServingPackage(
        folder,
        { 'model.onnx': perColumnGraph(factor) },
        { flavor: 'onnx', entry: 'model.onnx', signature: COLUMN_SIGNATURE },
      );
      await as('alice', () => registerPackage(test.context, 'scorer', folder));
    }
    await as('admin', () => test.context.approvals.setPolicy('scorer', POLICY));
  });
  afterEach(async () => test?.drop());

  async function approve(version: number, actor = 'bob') {
    await as(actor, () => test.context.approvals.evaluateGates('scorer', version));
    return as(actor, () => test.context.approvals.approve('scorer', version));
  }

  it('creates the staging deployment on the first approval, following the alias; prod waits for a person', async () => {
    const first = await approve(1);
    expect(first.deployments).toEqual([
      { env: 'staging', deployment: 'scorer-staging', action: 'created' },
      {
        env: 'prod',
        deployment: 'scorer-prod',
        action: 'awaiting-human-approval',
        message: expect.stringContaining('ciclo models approve-deploy scorer 1 --env prod'),
      },
    ]);
    const staging = await test.context.deployments.show('scorer-staging');
    expect(staging).toMatchObject({
      model: 'scorer@champion',
      environment: 'staging',
      strategy: { type: 'canary', steps: [20, 50], step_seconds: 30 },
    });
    await expect(test.context.deployments.show('scorer-prod')).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
    });

    // The next approval moves the alias the deployment follows: ciclo server rolls it out.
    const second = await approve(2);
    expect(second.deployments?.[0]).toMatchObject({ action: 'follows-alias' });
    expect((await test.context.deployments.desiredVersion(staging)).version).toBe(2);
  });

  it('deploys to prod only on a second approval by neither the registrant nor the first approver', async () => {
    await approve(1);
    await expect(as('alice', () => test.context.approvals.approveDeploy('scorer', 1, 'prod'))).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringContaining('four_eyes'),
    });
    await expect(as('bob', () => test.context.approvals.approveDeploy('scorer', 1, 'prod'))).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringContaining('cannot also approve deploying it to prod'),
    });
    await expect(as('dana', () => test.context.approvals.approveDeploy('scorer', 2, 'prod'))).rejects.toMatchObject({
      code: 'INVALID_STATE',
    });
    await expect(as('dana', () => test.context.approvals.approveDeploy('scorer', 1, 'dev'))).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      details: { where: 'env' },
    });

    expect(
      await as('dana', () => test.context.approvals.approveDeploy('scorer', 1, 'prod', { comment: 'go' })),
    ).toEqual({ env: 'prod', deployment: 'scorer-prod', action: 'created' });
    // Pinned: the next approval moving champion does not reach prod without a person again.
    expect(await test.context.deployments.show('scorer-prod')).toMatchObject({
      model: 'scorer/1',
      environment: 'prod',
    });
    await approve(2);
    expect((await test.context.deployments.show('scorer-prod')).pinnedVersion).toBe(1);
    expect((await test.context.deployments.show('scorer-staging')).model).toBe('scorer@champion');
    const audit = await test.context.audit.list({ action: 'model.deploy.approve' });
    expect(audit).toMatchObject([{ actor: 'dana', details: { env: 'prod', comment: 'go' } }]);
    // Refusals of who may act and of state are audited; a mistyped environment is bad input, not a refusal.
    expect(await test.context.audit.list({ action: 'model.deploy.approve.refused' })).toHaveLength(3);
  });

  it("refuses to take over a deployment of another model that has the entry's name; the approval stands", async () => {
    const other = await as('alice', () => registerPackage(test.context, 'other', join(test.dir, 'v2')));
    await test.context.deployments.create({ name: 'scorer-staging', model: `other/${other}`, environment: 'staging' });
    const outcome = await approve(1);
    expect(outcome.approval.decision).toBe('approved');
    expect(outcome.deployments?.[0]).toEqual({
      env: 'staging',
      deployment: 'scorer-staging',
      action: 'failed',
      message: "deployment 'scorer-staging' serves other/1, not a version of scorer",
    });
    expect((await test.context.deployments.show('scorer-staging')).model).toBe('other/1');
  });

  // The second approval over REST and the CLI; without --auth the caller is the operating-system user.
  it('takes the deploy approval at POST …/deploy-approvals and from `ciclo models approve-deploy`', async () => {
    await approve(1);
    const cli = (...args: string[]) => runCli(args, configEnvironment(test.config));
    const typo = await cli('models', 'approve-deploy', 'scorer', '1', '--env', 'prd');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('holds no deploy to prd');
    const approved = await cli('models', 'approve-deploy', 'scorer', '1', '--env', 'prod', '--json');
    expect(approved.stderr).toBe('');
    expect(JSON.parse(approved.stdout)).toEqual({ env: 'prod', deployment: 'scorer-prod', action: 'created' });

    const app = buildServer(test.context);
    try {
      const post = (payload: object) =>
        app.inject({ method: 'POST', url: '/api/v1/models/scorer/versions/1/deploy-approvals', payload });
      const unknownField = await post({ env: 'prod', enviroment: 'prod' });
      expect(unknownField.statusCode).toBe(400);
      const again = await post({ env: 'prod', comment: 'second look' });
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ env: 'prod', deployment: 'scorer-prod', action: 'promoted' });
    } finally {
      await app.close();
    }
    expect(await test.context.audit.list({ action: 'model.deploy.approve' })).toHaveLength(2);
  });
});
