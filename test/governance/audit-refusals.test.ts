import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApprovalService } from '../../src/governance/approvals/index.js';
import { recordRefusal, withActor } from '../../src/governance/index.js';
import { PermissionDeniedError } from '../../src/common/errors.js';
import { type RegistryService } from '../../src/registry/index.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { DIALECTS } from '../support/databases.js';
import { cicloErrorOf } from '../support/errors.js';
import { writePackage } from '../registry/support.js';

const as = <T>(actor: string, fn: () => Promise<T>): Promise<T> => withActor({ actor }, fn);

const POLICY = `metrics:
  auc: { min: 0.8 }
approvers: { users: [alice, bob] }
four_eyes: true
`;

describe.each(DIALECTS)('refused governed actions are audited (%s)', (dialect) => {
  let test: TestContext;
  let registry: RegistryService;
  let approvals: ApprovalService;
  beforeEach(async () => {
    test = await openTestContext(dialect);
    registry = test.context.registry;
    approvals = test.context.approvals;
  });
  afterEach(async () => {
    await test.drop();
  });

  async function version(auc: number): Promise<number> {
    const { tracking } = test.context;
    const experiment = await tracking.getOrCreateExperiment('churn');
    const run = await tracking.createRun({ experimentId: experiment.experimentId });
    await tracking.logBatch(run.info.runId, { metrics: [{ key: 'auc', value: auc }] });
    const folder = join(test.dir, `pkg-${auc}`);
    await writePackage(folder, `model-${auc}`);
    await tracking.logArtifactDirectory(run.info.runId, folder, 'model');
    return (await as('alice', () => registry.register('churn', { runId: run.info.runId, path: 'model' }))).version;
  }

  it(
    'records three refused approvals (approvers, four-eyes, failed gates) and a refused rejection, ' +
      'and nothing of the refused changes',
    async () => {
      const strong = await version(0.9);
      const weak = await version(0.5);
      await as('admin', () => approvals.setPolicy('churn', POLICY, 'policy.yaml'));
      await as('alice', () => approvals.evaluateGates('churn', strong));
      await as('alice', () => approvals.evaluateGates('churn', weak));

      const refusals = [
        await cicloErrorOf(as('carol', () => approvals.approve('churn', strong))),
        await cicloErrorOf(as('alice', () => approvals.approve('churn', strong))),
        await cicloErrorOf(as('bob', () => approvals.approve('churn', weak))),
        await cicloErrorOf(as('carol', () => approvals.reject('churn', weak))),
      ];
      expect(refusals.map((e) => e.code)).toEqual([
        'PERMISSION_DENIED',
        'PERMISSION_DENIED',
        'INVALID_STATE',
        'PERMISSION_DENIED',
      ]);

      const entries = (await test.context.audit.list({ target: { type: 'model_version' } })).filter((e) =>
        e.action.endsWith('.refused'),
      );
      expect(entries.map((e) => [e.actor, e.action, e.target.id])).toEqual([
        ['carol', 'model.approve.refused', 'churn/1'],
        ['alice', 'model.approve.refused', 'churn/1'],
        ['bob', 'model.approve.refused', 'churn/2'],
        ['carol', 'model.reject.refused', 'churn/2'],
      ]);
      entries.forEach((e, i) =>
        expect(e.details).toEqual({ error_code: refusals[i]!.code, reason: refusals[i]!.message }),
      );
      expect((await registry.versions('churn')).map((v) => v.status)).toEqual(['pending', 'pending']);
      expect(await approvals.history('churn', strong)).toEqual([]);
      expect(await test.context.audit.list({ action: 'model.approve' })).toEqual([]);
      expect((await test.context.audit.verify()).ok).toBe(true);
    },
  );

  it('does not record bad input or unknown versions as refusals', async () => {
    await version(0.9);
    await cicloErrorOf(as('bob', () => approvals.approve('churn', 7)));
    await cicloErrorOf(as('bob', () => approvals.approve('churn', 1, { comment: 'x'.repeat(6000) })));
    expect(await test.context.audit.list({ action: 'model.approve.refused' })).toEqual([]);
  });

  it('records a refused token creation (disabled user) without the token it would have made', async () => {
    const { access } = test.context;
    await access.createUser('erin');
    await access.setUserDisabled('erin', true);
    const refused = await cicloErrorOf(as('root', () => access.createToken('erin')));
    expect(refused.code).toBe('INVALID_STATE');
    expect(await access.listTokens('erin')).toEqual([]);
    const [entry] = await test.context.audit.list({ action: 'token.create.refused' });
    expect(entry).toMatchObject({
      actor: 'root',
      target: { type: 'user', id: 'erin' },
      details: { error_code: 'INVALID_STATE' },
    });
    expect(await test.context.audit.list({ action: 'token.create' })).toEqual([]);
  });

  it('recordRefusal records a route-level denial with the caller given explicitly', async () => {
    const denied = new PermissionDeniedError("user 'vic' may not admin in this server");
    await recordRefusal(
      test.context.audit,
      {
        action: 'role.grant',
        target: { type: 'route', id: 'POST /api/v1/projects/:name/members' },
        actor: 'vic',
        requestId: 'req-1',
      },
      denied,
    );
    const [entry] = await test.context.audit.list({ action: 'role.grant.refused' });
    expect(entry).toMatchObject({
      actor: 'vic',
      requestId: 'req-1',
      details: { error_code: 'PERMISSION_DENIED', reason: denied.message },
    });
  });
});
