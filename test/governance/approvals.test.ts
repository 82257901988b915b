import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicyYaml, type ApprovalService } from '../../src/governance/approvals/index.js';
import { buildServer } from '../../src/server/app.js';
import { withActor } from '../../src/governance/index.js';
import { type RegistryService } from '../../src/registry/index.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { DIALECTS } from '../support/databases.js';
import { cicloErrorOf } from '../support/errors.js';
import { writePackage } from '../registry/support.js';

const as = <T>(actor: string, fn: () => Promise<T>): Promise<T> => withActor({ actor }, fn);

const POLICY = `metrics:
  auc: { min: 0.8 }
champion: { alias: champion, metric: auc, min_delta: 0 }
approvers: { users: [bob, dana] }
four_eyes: true
on_approve: { alias: champion }
`;

describe.each(DIALECTS)('approvals on %s', (dialect) => {
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

  /** Registers a new version of `churn` as `alice`, from a run with the given AUC. */
  async function version(auc: number, content = `forest-${auc}`): Promise<number> {
    const { tracking } = test.context;
    const experiment = await tracking.getOrCreateExperiment('churn');
    const run = await tracking.createRun({ experimentId: experiment.experimentId });
    await tracking.logBatch(run.info.runId, { metrics: [{ key: 'auc', value: auc }] });
    const folder = join(test.dir, `pkg-${content}`);
    await writePackage(folder, content);
    await tracking.logArtifactDirectory(run.info.runId, folder, 'model');
    return (await as('alice', () => registry.register('churn', { runId: run.info.runId, path: 'model' }))).version;
  }

  /** Everything a refused call must leave as it was. */
  async function snapshot() {
    return {
      versions: (await registry.versions('churn')).map((v) => ({
        version: v.version,
        status: v.status,
        aliases: v.aliases,
      })),
      history: await Promise.all((await registry.versions('churn')).map((v) => approvals.history('churn', v.version))),
      // A refused call appends its refusal (`….refused`) and nothing else.
      audit: (await test.context.audit.list({ limit: 10_000 }))
        .filter((e) => !e.action.endsWith('.refused'))
        .map((e) => e.hash),
    };
  }

  it('approves a pending version once, recording who, why and when, in the audit log too', async () => {
    const v1 = await version(0.9);
    const { approval, alias } = await as('bob', () => approvals.approve('churn', v1, { comment: 'looks right' }));
    expect(approval).toMatchObject({
      name: 'churn',
      version: 1,
      decision: 'approved',
      actor: 'bob',
      comment: 'looks right',
      automatic: false,
      policyDigest: null,
    });
    expect(alias).toBeUndefined();
    expect((await registry.show('churn', 1)).status).toBe('approved');
    expect(await approvals.history('churn', 1)).toEqual([approval]);

    const [audit] = await test.context.audit.list({ action: 'model.approve' });
    expect(audit).toMatchObject({
      actor: 'bob',
      target: { type: 'model_version', id: 'churn/1' },
      details: { comment: 'looks right', automatic: false },
    });
    expect((await test.context.audit.verify()).ok).toBe(true);

    const before = await snapshot();
    const again = await cicloErrorOf(as('bob', () => approvals.approve('churn', v1)));
    expect(again.code).toBe('INVALID_STATE');
    expect(again.message).toContain('churn/1 is already approved');
    expect(await cicloErrorOf(approvals.reject('churn', v1))).toMatchObject({ code: 'INVALID_STATE' });
    expect(await snapshot()).toEqual(before);
  });

  it('refuses an unknown version or model with RESOURCE_DOES_NOT_EXIST at NAME/VERSION, changing nothing', async () => {
    await version(0.9);
    const before = await snapshot();
    const unknown = await cicloErrorOf(approvals.approve('churn', 9));
    expect(unknown).toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST', details: { where: 'churn/9' } });
    expect(unknown.message).toBe("model 'churn' has no version 9");
    const noModel = await cicloErrorOf(approvals.reject('nope', 1));
    expect(noModel).toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST', details: { where: 'nope/1' } });
    expect(await cicloErrorOf(approvals.approve('churn', 0))).toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    expect(await snapshot()).toEqual(before);
  });

  it('rejects a version, which then can take no alias', async () => {
    const v1 = await version(0.7);
    const { approval } = await as('bob', () => approvals.reject('churn', v1, { comment: 'too weak' }));
    expect(approval).toMatchObject({ decision: 'rejected', actor: 'bob', comment: 'too weak' });
    expect((await registry.show('churn', 1)).status).toBe('rejected');
    expect(await cicloErrorOf(registry.setAlias('churn', 'champion', 1))).toMatchObject({ code: 'INVALID_STATE' });
  });

  it('applies the stored policy: approvers list, four-eyes, then gates that must have passed', async () => {
    const v1 = await version(0.9);
    const stored = await as('admin', () => approvals.setPolicy('churn', POLICY, 'policy.yaml'));
    expect(stored).toMatchObject({ name: 'churn', setBy: 'admin', digest: parsePolicyYaml(POLICY, 'x').digest });
    const before = await snapshot();

    const outsider = await cicloErrorOf(as('carol', () => approvals.approve('churn', v1)));
    expect(outsider.code).toBe('PERMISSION_DENIED');
    expect(outsider.message).toContain("approvers rule: 'carol' may not decide on churn/1");

    await as('alice', () => approvals.evaluateGates('churn', v1));
    const author = await cicloErrorOf(as('alice', () => approvals.approve('churn', v1)));
    expect(author.code).toBe('PERMISSION_DENIED');
    // alice is not an approver either: the approvers rule speaks first.
    expect(author.message).toContain('approvers rule');

    await as('admin', () =>
      approvals.setPolicy('churn', `${POLICY.replace('[bob, dana]', '[alice, bob]')}`, 'policy.yaml'),
    );
    await as('alice', () => approvals.evaluateGates('churn', v1));
    const fourEyes = await cicloErrorOf(as('alice', () => approvals.approve('churn', v1)));
    expect(fourEyes.code).toBe('PERMISSION_DENIED');
    expect(fourEyes.message).toBe("four_eyes rule: 'alice' registered churn/1 and cannot also approve it");
    expect((await snapshot()).versions).toEqual(before.versions);

    const { approval, alias } = await as('bob', () => approvals.approve('churn', v1, { comment: 'ok' }));
    expect(approval).toMatchObject({ decision: 'approved', actor: 'bob', automatic: false });
    expect(approval.gateResultId).toBe((await approvals.gateResults('churn', v1)).at(-1)!.id);
    expect(alias).toEqual({ alias: 'champion', previous: null });
    expect((await registry.resolve('churn@champion')).version).toBe(1);
    const moves = await test.context.audit.list({ action: 'model.alias.set' });
    expect(moves).toHaveLength(1);
    expect(moves[0]).toMatchObject({
      actor: 'bob',
      target: { id: 'churn@champion' },
      details: { reason: 'on_approve' },
    });
  });

  it(
    'refuses approval without gate results, with failed gates, or with results of another policy; ' +
      'rejection is allowed',
    async () => {
      const weak = await version(0.7);
      await as('admin', () => approvals.setPolicy('churn', POLICY, 'policy.yaml'));
      const before = await snapshot();
      const none = await cicloErrorOf(as('bob', () => approvals.approve('churn', weak)));
      expect(none).toMatchObject({ code: 'INVALID_STATE', details: { where: 'churn/1' } });
      expect(none.message).toBe("gates rule: churn/1 has no gate results for its model's policy");

      const evaluation = await as('bob', () => approvals.evaluateGates('churn', weak));
      expect(evaluation.passed).toBe(false);
      expect(evaluation.results.find((r) => r.gate === 'metric:auc')).toMatchObject({
        passed: false,
        observed: 0.7,
        expected: '>= 0.8',
      });
      const failed = await cicloErrorOf(as('bob', () => approvals.approve('churn', weak)));
      expect(failed.message).toBe('gates rule: churn/1 failed metric:auc; it can be rejected, not approved');

      const other = parsePolicyYaml('metrics: { auc: { min: 0.5 } }\n', 'loose.yaml');
      const loose = await as('bob', () =>
        approvals.evaluateGates('churn', weak, { loaded: other, source: 'loose.yaml' }),
      );
      expect(loose).toMatchObject({ passed: true, policySource: 'loose.yaml', policyDigest: other.digest });
      const otherPolicy = await cicloErrorOf(as('bob', () => approvals.approve('churn', weak)));
      expect(otherPolicy.message).toContain('are for another policy');
      expect((await snapshot()).versions).toEqual(before.versions);

      const { approval } = await as('dana', () => approvals.reject('churn', weak, { comment: 'auc too low' }));
      expect(approval).toMatchObject({ decision: 'rejected', actor: 'dana' });
      expect((await approvals.gateResults('churn', weak)).map((g) => g.passed)).toEqual([false, true]);
    },
  );

  it('needs a challenger to beat the champion; auto-approves as policy:<model> when every gate passes', async () => {
    const v1 = await version(0.85);
    await as('admin', () => approvals.setPolicy('churn', `${POLICY}auto_approve: true\n`, 'policy.yaml'));
    // The author runs the pipeline: four-eyes governs people, not the policy's own decision.
    const first = await as('alice', () => approvals.evaluateGates('churn', v1));
    expect(first.results.find((r) => r.gate === 'champion:auc')!.message).toContain('no champion yet');
    const auto = await as('alice', () => approvals.autoApprove(first));
    expect(auto.outcome?.approval).toMatchObject({ actor: 'policy:churn', automatic: true, decision: 'approved' });
    expect(auto.outcome?.alias).toEqual({ alias: 'champion', previous: null });
    const [audit] = await test.context.audit.list({ action: 'model.approve' });
    expect(audit).toMatchObject({ actor: 'policy:churn', details: { automatic: true, triggered_by: 'alice' } });

    const v2 = await version(0.84);
    const worse = await as('alice', () => approvals.evaluateGates('churn', v2));
    expect(worse.results.find((r) => r.gate === 'champion:auc')).toMatchObject({ passed: false, observed: -0.01 });
    expect((await as('alice', () => approvals.autoApprove(worse))).outcome).toBeUndefined();
    expect((await registry.show('churn', v2)).status).toBe('pending');

    const v3 = await version(0.86);
    const better = await as('alice', () => approvals.evaluateGates('churn', v3));
    const moved = await as('alice', () => approvals.autoApprove(better));
    expect(moved.outcome?.alias).toEqual({ alias: 'champion', previous: 1 });
    expect((await registry.resolve('churn@champion')).version).toBe(3);
    expect((await as('alice', () => approvals.autoApprove(better))).reason).toBe('churn/3 is already approved');
    expect((await test.context.audit.verify()).ok).toBe(true);
  });

  it('fails data validation for a version registered outside a pipeline', async () => {
    const v1 = await version(0.9);
    const evaluation = await approvals.evaluateGates('churn', v1, {
      loaded: parsePolicyYaml('data_validation: required\n', 'p.yaml'),
      source: 'p.yaml',
    });
    expect(evaluation.results).toEqual([
      expect.objectContaining({
        gate: 'data_validation',
        passed: false,
        message: 'the version was registered outside a pipeline: no validation is recorded',
      }),
    ]);
  });

  it('refuses a policy with a typo, naming the field and position, and stores nothing', async () => {
    await version(0.9);
    const before = await snapshot();
    const error = await cicloErrorOf(
      approvals.setPolicy('churn', 'metrics:\n  auc: { minimum: 0.8 }\n', 'policy.yaml'),
    );
    expect(error).toMatchObject({ code: 'INVALID_PARAMETER_VALUE', details: { where: 'policy.yaml:2:10' } });
    expect(error.message).toBe('metrics.auc.minimum: unknown field "minimum"');
    expect(await cicloErrorOf(approvals.getPolicy('churn'))).toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(await cicloErrorOf(approvals.setPolicy('nope', POLICY))).toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(await cicloErrorOf(approvals.evaluateGates('churn', 1))).toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
      message: "model 'churn' has no approval policy",
    });
    expect(await snapshot()).toEqual(before);
  });

  it("lets users listed by name, or holding a listed role (or above) in the model's project, decide", async () => {
    const v1 = await version(0.9);
    const { access } = test.context;
    for (const [user, role] of [
      ['ann', 'approver'],
      ['bea', 'admin'],
      ['cal', null],
    ] as const) {
      await access.createUser(user);
      if (role !== null) await access.grant('default', user, role);
    }
    await as('admin', () =>
      approvals.setPolicy(
        'churn',
        'metrics:\n  auc: { min: 0.8 }\napprovers: { users: [cal], roles: [admin] }\n',
        'policy.yaml',
      ),
    );
    await as('alice', () => approvals.evaluateGates('churn', v1));
    const approverOnly = await cicloErrorOf(as('ann', () => approvals.approve('churn', v1)));
    expect(approverOnly.code).toBe('PERMISSION_DENIED');
    expect(approverOnly.message).toBe(
      "approvers rule: 'ann' may not decide on churn/1; the policy allows users cal and roles admin (or above)",
    );
    expect((await registry.show('churn', v1)).status).toBe('pending');
    // A role on every project counts in this one too.
    await access.grant('*', 'ann', 'admin');
    const byRole = await as('ann', () => approvals.reject('churn', v1, { comment: 'no' }));
    expect(byRole.approval).toMatchObject({ decision: 'rejected', actor: 'ann' });
    const v2 = await version(0.91);
    await as('alice', () => approvals.evaluateGates('churn', v2));
    const byName = await as('cal', () => approvals.approve('churn', v2));
    expect(byName.approval).toMatchObject({ decision: 'approved', actor: 'cal' });
  });

  it('keeps the policy, gate results and decisions when the model is renamed, and drops them with it', async () => {
    const v1 = await version(0.9);
    await as('admin', () => approvals.setPolicy('churn', 'metrics:\n  auc: { min: 0.8 }\n', 'policy.yaml'));
    await as('alice', () => approvals.evaluateGates('churn', v1));
    await as('bob', () => approvals.approve('churn', v1, { comment: 'ok' }));
    await registry.renameModel('churn', 'attrition');
    expect((await approvals.history('attrition', v1)).map((d) => `${d.decision}:${d.actor}`)).toEqual(['approved:bob']);
    const [gates] = await approvals.gateResults('attrition', v1);
    expect(gates).toMatchObject({ name: 'attrition', passed: true });
    expect((await approvals.history('attrition', v1))[0]!.gateResultId).toBe(gates!.id);
    expect((await approvals.getPolicy('attrition')).digest).toMatch(/^sha256:/);
    await registry.deleteModel('attrition');
    const left = await test.context.database.db.selectFrom('model_approvals').select('name').execute();
    expect(left).toEqual([]);
  });

  it('serves decisions, gate results and the policy over REST, every route declaring its access', async () => {
    await version(0.9);
    // The server mounts the approval routes itself.
    const app = buildServer(test.context);
    try {
      await app.ready();
      const declared = app.cicloRoutes.filter(
        (route) =>
          route.url.startsWith('/api/v1/models/:name/') && /approve|reject|gates|approvals|policy/.test(route.url),
      );
      expect(
        declared
          .map((route) => {
            const action = route.access !== undefined && 'action' in route.access ? route.access.action : 'none';
            return `${route.method} ${route.url} ${action}`;
          })
          .sort(),
      ).toEqual([
        'GET /api/v1/models/:name/policy read',
        'GET /api/v1/models/:name/versions/:version/approvals read',
        'GET /api/v1/models/:name/versions/:version/gates read',
        'POST /api/v1/models/:name/versions/:version/approve approve',
        'POST /api/v1/models/:name/versions/:version/deploy-approvals approve',
        'POST /api/v1/models/:name/versions/:version/gates write',
        'POST /api/v1/models/:name/versions/:version/reject approve',
        'PUT /api/v1/models/:name/policy admin',
      ]);

      const typo = await app.inject({
        method: 'PUT',
        url: '/api/v1/models/churn/policy',
        payload: { policy: 'metrics:\n  auc: { mni: 0.8 }\n' },
      });
      expect(typo.statusCode).toBe(400);
      expect(typo.json()).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', where: 'policy:2:10' });
      const set = await app.inject({
        method: 'PUT',
        url: '/api/v1/models/churn/policy',
        payload: { policy: 'metrics:\n  auc: { min: 0.8 }\n' },
      });
      expect(set.statusCode).toBe(200);
      const policy = (await app.inject({ method: 'GET', url: '/api/v1/models/churn/policy' })).json();
      expect(policy).toMatchObject({
        name: 'churn',
        policy: { metrics: { auc: { min: 0.8 } } },
        set_by: expect.any(String),
        set_time: expect.any(Number),
      });
      expect(policy).not.toHaveProperty('setBy');

      const early = await app.inject({ method: 'POST', url: '/api/v1/models/churn/versions/1/approve', payload: {} });
      expect(early.statusCode).toBe(400);
      expect(early.json()).toMatchObject({ error_code: 'INVALID_STATE', where: 'churn/1' });
      const gates = await app.inject({ method: 'POST', url: '/api/v1/models/churn/versions/1/gates' });
      expect(gates.json()).toMatchObject({
        passed: true,
        results: [{ gate: 'metric:auc', passed: true }],
        policy_source: 'stored',
        evaluated_time: expect.any(Number),
      });
      const gatesWithBody = await app.inject({
        method: 'POST',
        url: '/api/v1/models/churn/versions/1/gates',
        payload: { policySource: 'x.yaml' },
      });
      expect(gatesWithBody.statusCode).toBe(400);
      expect(gatesWithBody.json()).toMatchObject({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: expect.stringContaining('policySource'),
      });
      const approved = await app.inject({
        method: 'POST',
        url: '/api/v1/models/churn/versions/1/approve',
        payload: { comment: 'via REST' },
      });
      expect(approved.statusCode).toBe(200);
      expect(approved.json()).toMatchObject({
        approval: {
          decision: 'approved',
          comment: 'via REST',
          policy_digest: expect.any(String),
          gate_result_id: expect.any(String),
        },
      });
      const history = await app.inject({ method: 'GET', url: '/api/v1/models/churn/versions/1/approvals' });
      expect(history.json().items).toHaveLength(1);
      expect(
        (await app.inject({ method: 'GET', url: '/api/v1/models/churn/versions/1/gates' })).json().items,
      ).toHaveLength(1);
      const missing = await app.inject({ method: 'POST', url: '/api/v1/models/churn/versions/7/reject', payload: {} });
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST', where: 'churn/7' });
    } finally {
      await app.close();
    }
  });
});
