import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestContext, type TestContext } from '../support/context.js';
import { DIALECTS } from '../support/databases.js';
import { cicloErrorOf } from '../support/errors.js';
import { expectRefused, type RefusedSetup } from './support.js';

const SETUP = `version: 1
projects:
  churn:
    description: Churn models
    members:
      alice: editor
      bob: approver
approval_policies:
  churn-model: policies/churn.yaml
  fraud-model:
    metrics:
      auc: { min: 0.8 }
`;

const CHURN_POLICY = `metrics:
  auc: { min: 0.75 }
approvers: { users: [bob] }
`;

describe.each(DIALECTS)('ciclo.yaml plan and apply on %s', (dialect) => {
  let test: TestContext;
  let file: string;

  const write = (name: string, text: string): void => {
    mkdirSync(join(test.dir, 'project', 'policies'), { recursive: true });
    writeFileSync(join(test.dir, 'project', name), text);
  };
  const auditActions = async () => (await test.context.audit.list({ limit: 1000 })).map((entry) => entry.action);

  beforeEach(async () => {
    test = await openTestContext(dialect);
    const { access, registry } = test.context;
    for (const user of ['alice', 'bob', 'carol']) await access.createUser(user);
    for (const model of ['churn-model', 'fraud-model']) await registry.createModel(model);
    file = join(test.dir, 'project', 'ciclo.yaml');
    write('ciclo.yaml', SETUP);
    write('policies/churn.yaml', CHURN_POLICY);
  });
  afterEach(async () => {
    await test.drop();
  });

  it('plans every resource field by field, applies it audited, and a second apply changes nothing', async () => {
    const { setup, access, approvals } = test.context;
    const plan = await setup.plan(file);
    expect(plan.counts).toEqual({ create: 3, change: 0, delete: 0 });
    expect(plan.changes.find((change) => change.kind === 'project')).toEqual({
      kind: 'project',
      name: 'churn',
      action: 'create',
      fields: [
        { field: 'description', after: 'Churn models' },
        { field: 'members.alice', after: 'editor' },
        { field: 'members.bob', after: 'approver' },
      ],
    });
    // A new policy shows every field it will have, the defaults the file left out among them.
    const fraud = plan.changes.find((change) => change.name === 'fraud-model')!;
    expect(fraud.action).toBe('create');
    expect(fraud.fields).toContainEqual({ field: 'metrics.auc.min', after: 0.8 });
    expect(fraud.fields).toContainEqual({ field: 'four_eyes', after: false });
    // Planning wrote nothing.
    expect(await access.projectsWithMembers()).toHaveLength(1);
    expect(await approvals.listPolicies()).toEqual([]);

    const before = (await auditActions()).length;
    await setup.apply(file);
    expect(await access.members('churn')).toMatchObject([
      { user: 'alice', role: 'editor' },
      { user: 'bob', role: 'approver' },
    ]);
    expect((await access.getProject('churn')).description).toBe('Churn models');
    expect((await approvals.getPolicy('churn-model')).text).toBe(CHURN_POLICY);
    expect((await approvals.getPolicy('fraud-model')).policy.metrics).toEqual({ auc: { min: 0.8 } });
    const recorded = (await auditActions()).slice(before);
    expect([...recorded].sort()).toEqual([
      'model.policy.set',
      'model.policy.set',
      'project.create',
      'role.grant',
      'role.grant',
    ]);

    expect((await setup.plan(file)).changes).toEqual([]);
    const again = await setup.apply(file);
    expect(again.changes).toEqual([]);
    expect((await auditActions()).length).toBe(before + recorded.length);
  });

  it('shows a change as before → after and leaves undeclared members and policies alone unless --prune', async () => {
    const { setup, access, approvals } = test.context;
    await setup.apply(file);
    await access.grant('churn', 'carol', 'viewer');
    write(
      'ciclo.yaml',
      SETUP.replace('Churn models', 'Churn, retrained weekly')
        .replace('bob: approver', 'bob: admin')
        .replace(/\n {2}fraud-model:[\s\S]*$/, '\n'),
    );
    write('policies/churn.yaml', CHURN_POLICY.replace('0.75', '0.78'));

    const plan = await setup.plan(file);
    expect(plan.changes).toEqual([
      {
        kind: 'project',
        name: 'churn',
        action: 'change',
        fields: [
          { field: 'description', before: 'Churn models', after: 'Churn, retrained weekly' },
          { field: 'members.bob', before: 'approver', after: 'admin' },
        ],
      },
      {
        kind: 'approval_policy',
        name: 'churn-model',
        action: 'change',
        fields: [{ field: 'metrics.auc.min', before: 0.75, after: 0.78 }],
      },
    ]);

    const pruned = await setup.plan(file, { prune: true });
    expect(pruned.counts).toEqual({ create: 0, change: 2, delete: 1 });
    expect(pruned.changes[0]!.fields).toContainEqual({ field: 'members.carol', before: 'viewer' });
    expect(pruned.changes[2]).toMatchObject({ kind: 'approval_policy', name: 'fraud-model', action: 'delete' });

    await setup.apply(file);
    expect((await access.members('churn')).map((member) => `${member.user}:${member.role}`)).toEqual([
      'alice:editor',
      'bob:admin',
      'carol:viewer',
    ]);
    expect(await approvals.findPolicy('fraud-model')).toBeDefined();

    await setup.apply(file, { prune: true });
    expect((await access.members('churn')).map((member) => member.user)).toEqual(['alice', 'bob']);
    expect(await approvals.findPolicy('fraud-model')).toBeUndefined();
    expect((await approvals.getPolicy('churn-model')).policy.metrics).toEqual({ auc: { min: 0.78 } });
    expect(await auditActions()).toEqual(expect.arrayContaining(['role.revoke', 'model.policy.delete']));
    expect((await setup.plan(file, { prune: true })).changes).toEqual([]);
  });

  it('points at file:line:col for a bad section, a missing user or model, a bad policy; writes nothing', async () => {
    const { setup, access } = test.context;
    const cases: RefusedSetup[] = [
      [
        'unknown section',
        SETUP + 'datasets:\n  churn: {}\n',
        { code: 'INVALID_PARAMETER_VALUE', where: `${file}:13:1`, message: /unknown field "datasets"/ },
      ],
      [
        'unknown user',
        SETUP.replace('bob: approver', 'dave: approver'),
        { code: 'RESOURCE_DOES_NOT_EXIST', where: `${file}:7:7`, message: /dave/ },
      ],
      [
        'unknown model',
        SETUP.replace('fraud-model:', 'nope-model:'),
        { code: 'RESOURCE_DOES_NOT_EXIST', where: `${file}:10:3`, message: /nope-model/ },
      ],
      [
        'bad role',
        SETUP.replace('alice: editor', 'alice: owner'),
        { code: 'INVALID_PARAMETER_VALUE', where: `${file}:6:14`, message: /projects\.churn\.members\.alice/ },
      ],
      [
        'bad inline policy field',
        SETUP.replace('auc: { min: 0.8 }', 'auc: { minimum: 0.8 }'),
        { code: 'INVALID_PARAMETER_VALUE', where: `${file}:12:14`, message: /unknown field "minimum"/ },
      ],
      [
        'missing policy file',
        SETUP.replace('policies/churn.yaml', 'policies/gone.yaml'),
        { code: 'INVALID_PARAMETER_VALUE', where: `${file}:9:16`, message: /gone\.yaml does not exist/ },
      ],
    ];
    await expectRefused(
      cases,
      (text) => write('ciclo.yaml', text),
      () => setup.apply(file),
    );
    write('ciclo.yaml', SETUP);
    write('policies/churn.yaml', 'metrics:\n  auc: { min: high }\n');
    const inFile = await cicloErrorOf(setup.apply(file));
    expect(inFile.details.where).toBe(`${join(test.dir, 'project', 'policies', 'churn.yaml')}:2:15`);
    expect(await access.projectsWithMembers()).toHaveLength(1);
  });
});
