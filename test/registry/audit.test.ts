import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestContext, type TestContext } from '../support/context.js';
import { DIALECTS } from '../support/databases.js';
import { writePackage } from './support.js';

describe.each(DIALECTS)('registry changes in the audit chain, on %s', (dialect) => {
  let test: TestContext;
  beforeEach(async () => {
    test = await openTestContext(dialect);
  });
  afterEach(async () => {
    await test.drop();
  });

  it('appends one entry per change, in the transaction that makes it, and the chain verifies', async () => {
    const registry = test.context.registry;
    const run = await test.context.tracking.createRun({ experimentId: '0' });
    const folder = join(test.dir, 'package');
    await writePackage(folder);
    await test.context.tracking.logArtifactDirectory(run.info.runId, folder, 'model');

    await registry.register('churn', { runId: run.info.runId, path: 'model' });
    await registry.setAlias('churn', 'champion', 1);
    await registry.setStage('churn', 'prod', 1);
    await registry.deleteAlias('churn', 'champion');
    // A refused change leaves no entry.
    await expect(registry.deleteAlias('churn', 'champion')).rejects.toThrow(/has no alias/);

    // Tracking audits the run's creation too; these are the registry's own entries.
    const entries = (await test.context.audit.list({ limit: 20 })).filter((entry) => entry.action.startsWith('model.'));
    expect(entries.map((entry) => [entry.action, `${entry.target.type}:${entry.target.id}`]).sort()).toEqual([
      ['model.alias.delete', 'model_alias:churn@champion'],
      ['model.alias.set', 'model_alias:churn@champion'],
      ['model.register', 'model_version:churn/1'],
      ['model.stage.set', 'model_stage:churn:prod'],
    ]);
    const register = entries.find((entry) => entry.action === 'model.register')!;
    expect(register.beforeDigest).toBeNull();
    expect(register.afterDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await test.context.audit.verify()).ok).toBe(true);
  });
});
