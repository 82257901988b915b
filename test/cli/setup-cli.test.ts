// Runs the built CLI: `npm run build` first.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { makeTempDir } from '../support/temp.js';
import { runCli } from './run-cli.js';

const SETUP = `projects:
  churn:
    description: Churn models
    members: { alice: editor }
`;

describe('ciclo plan and ciclo apply', () => {
  let database: TestDatabase;
  let home: { dir: string; remove(): void };
  const cli = (...args: string[]) =>
    runCli(args, { CICLO_HOME: home.dir, CICLO_DATABASE_URL: database.url }, { cwd: home.dir });

  beforeEach(async () => {
    database = await createTestDatabase('sqlite');
    home = makeTempDir('ciclo-setup-cli-');
    writeFileSync(join(home.dir, 'ciclo.yaml'), SETUP);
  });
  afterEach(async () => {
    await database.drop();
    home.remove();
  });

  it('exits 2 on changes with --detailed-exitcode, applies them, then plans nothing and exits 0', async () => {
    expect((await cli('users', 'create', 'alice')).code).toBe(0);

    const plan = await cli('plan', '--detailed-exitcode');
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('+ project churn');
    expect(plan.stdout).toContain('    + members.alice: "editor"');
    expect(plan.stdout).toContain('Plan: 1 to create, 0 to change, 0 to delete.');
    // Without the flag, a plan with changes is a success like any other command.
    expect((await cli('plan')).code).toBe(0);

    const applied = await cli('apply', '--json');
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({
      file: 'ciclo.yaml',
      counts: { create: 1, change: 0, delete: 0 },
      changes: [{ kind: 'project', name: 'churn', action: 'create' }],
    });
    const members = await cli('projects', 'members', 'churn', '--json');
    expect(JSON.parse(members.stdout)).toMatchObject([{ user: 'alice', role: 'editor' }]);

    const settled = await cli('plan', '--detailed-exitcode');
    expect(settled.code).toBe(0);
    expect(settled.stdout).toContain('ciclo.yaml matches the store: nothing to change.');
  });

  it('says where a file is wrong, and exits 1 for it under --detailed-exitcode (2 means changes there)', async () => {
    writeFileSync(join(home.dir, 'setup.yaml'), SETUP.replace('members:', 'memebers:'));
    expect((await cli('users', 'create', 'alice')).code).toBe(0);

    const bad = await cli('apply', '-f', 'setup.yaml');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('projects.churn.memebers: unknown field "memebers"');
    expect(bad.stderr).toContain('at: setup.yaml:4:5');
    expect(bad.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);

    expect((await cli('plan', '-f', 'setup.yaml', '--detailed-exitcode')).code).toBe(1);
    const missing = await cli('plan', '-f', 'nowhere.yaml');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('setup file nowhere.yaml does not exist');
  });
});
