// Runs the built CLI (npm run build) against a store of the test's own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configEnvironment } from '../../src/common/config.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { runWithPackage } from '../registry/support.js';
import { runCli } from './run-cli.js';

/**
 * ESC ] 0 ; … BEL retitles the terminal window; U+202E shows what follows reversed. Both would reach
 * the screen from stored user text (a tag key, a name, a description) if the CLI printed it raw.
 */
const HOSTILE = 'x\u001b]0;owned\u0007y\u202ez';
const SHOWN = 'x\\x1b]0;owned\\x07y\\u202ez';

/** Raw bytes that a terminal acts on: ESC, BEL, CSI (C1) and the bidirectional controls. */
// eslint-disable-next-line no-control-regex -- finding raw controls in output is the point
const RAW_CONTROLS = /[\u001b\u0007\u009b\u202a-\u202e\u2066-\u2069]/;

// Rendering is the same whatever the store; one dialect keeps the many CLI processes few.
describe('human-readable CLI output escapes control and bidi characters', () => {
  let test: TestContext;
  let runId: string;
  const cli = (...args: string[]) => runCli(args, configEnvironment(test.config));

  beforeAll(async () => {
    test = await openTestContext('sqlite');
    const { tracking, audit, database } = test.context;
    runId = await runWithPackage(test.context, test.dir, { experiment: 'benign' });
    await tracking.setTag(runId, 'benign-tag', 'benign');
    const registry = test.context.registry;
    await registry.register('churn', { runId, path: 'model', description: 'benign description' });
    await registry.setVersionTag('churn', 1, 'benign-tag', 'v');
    await audit.append({ actor: 'alice', action: 'model.update', target: { type: 'model', id: 'benign-target' } });

    // A store written before input checks existed (or by another tool) can hold anything: the
    // hostile text is put in place directly, so the test holds whatever input validation refuses.
    const db = database.db;
    await db.updateTable('experiments').set({ name: HOSTILE }).where('name', '=', 'benign').execute();
    await db.updateTable('runs').set({ run_name: HOSTILE }).where('run_uuid', '=', runId).execute();
    await db.updateTable('tags').set({ key: HOSTILE, value: HOSTILE }).where('key', '=', 'benign-tag').execute();
    await db
      .updateTable('registered_models')
      .set({ description: `line one\n${HOSTILE}` })
      .where('name', '=', 'churn')
      .execute();
    await db.updateTable('model_version_tags').set({ key: HOSTILE }).where('key', '=', 'benign-tag').execute();
    await db.updateTable('audit_log').set({ target_id: HOSTILE }).where('target_id', '=', 'benign-target').execute();
  });

  afterAll(async () => {
    await test.drop();
  });

  it.each([
    ['audit list', ['audit', 'list']],
    ['experiments list', ['experiments', 'list']],
    ['runs list', ['runs', 'list']],
    ['runs show', ['runs', 'show', '<run>']],
    ['models list', ['models', 'list']],
    ['models show NAME', ['models', 'show', 'churn']],
    ['models show NAME/VERSION', ['models', 'show', 'churn/1']],
  ])('%s shows stored user text as visible escapes', async (_name, args) => {
    const result = await cli(...args.map((arg) => (arg === '<run>' ? runId : arg)));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(RAW_CONTROLS);
    expect(result.stdout).toContain(SHOWN);
  });

  it('keeps a multi-line description on its own lines, under the value column', async () => {
    const shown = await cli('models', 'show', 'churn');
    expect(shown.stdout).toMatch(/^description {2}line one\n {13}x\\x1b\]0;owned/m);
  });

  it('escapes user text in error messages on stderr', async () => {
    const missing = await cli('runs', 'show', `missing${HOSTILE}`);
    expect(missing.code).toBe(3);
    expect(missing.stderr).not.toMatch(RAW_CONTROLS);
    expect(missing.stderr).toContain(SHOWN);
  });

  it('writes --json that parses to the stored text, with the bidi control as a \\u escape', async () => {
    const listed = await cli('--json', 'experiments', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toMatch(RAW_CONTROLS);
    expect(listed.stdout).toContain('\\u202e');
    expect((JSON.parse(listed.stdout) as { name: string }[]).map((e) => e.name)).toContain(HOSTILE);
  });
});
