// Runs the built CLI: `npm run build` first.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configEnvironment } from '../../src/common/config.js';
import { runCli } from '../cli/run-cli.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { runWithPackage } from '../registry/support.js';

describe('ciclo models approve | reject | policy | gates', () => {
  let test: TestContext;
  const cli = (...args: string[]) => runCli(args, configEnvironment(test.config));

  beforeEach(async () => {
    test = await openTestContext('sqlite');
    const runId = await runWithPackage(test.context, test.dir);
    await test.context.registry.register('churn', { runId, path: 'model' });
  });
  afterEach(async () => {
    await test.drop();
  });

  it('refuses bad input with the place and the right exit code, and changes nothing', async () => {
    const unknown = await cli('models', 'approve', 'churn', '9', '--comment', 'x');
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain("model 'churn' has no version 9");

    const typo = join(test.dir, 'policy.yaml');
    writeFileSync(typo, 'metrics:\n  auc: { mni: 0.8 }\n');
    const badPolicy = await cli('models', 'policy', 'set', 'churn', typo);
    expect(badPolicy.code).toBe(2);
    expect(badPolicy.stderr).toMatch(/policy\.yaml:2:\d+/);
    expect(badPolicy.stderr).toContain('mni');
    expect((await cli('models', 'policy', 'show', 'churn')).code).toBe(3);

    const good = join(test.dir, 'good.yaml');
    writeFileSync(good, 'metrics:\n  auc: { min: 0.95 }\n');
    expect((await cli('models', 'policy', 'set', 'churn', good)).code).toBe(0);
    const gates = await cli('--json', 'models', 'gates', 'churn', '1');
    // Failing gates exit 1, as a failed verification does.
    expect(gates.code).toBe(1);
    expect(JSON.parse(gates.stdout)).toMatchObject({ passed: false, results: [{ gate: 'metric:auc', passed: false }] });
    const early = await cli('models', 'approve', 'churn', '1');
    expect(early.code).toBe(4);
    expect(early.stderr).toContain('gates rule');
    expect((await test.context.registry.show('churn', 1)).status).toBe('pending');

    const rejected = await cli('models', 'reject', 'churn', '1', '--comment', 'auc too low');
    expect(rejected.code).toBe(0);
    const again = await cli('models', 'approve', 'churn', '1');
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('churn/1 is already rejected');
    const shown = await cli('models', 'show', 'churn/1');
    expect(shown.stdout).toMatch(/^decisions +rejected by \S+ at .*\(auc too low\)$/m);
    // An alias on a rejected version is refused.
    const alias = await cli('models', 'alias', 'set', 'churn', 'champion', '1');
    expect(alias.code).toBe(4);
    expect(alias.stderr).toContain('was rejected');
  });
});
