import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { initGitRepo } from '../sdk/git-repo.js';
import { DIALECTS } from '../support/databases.js';
import { loaded, moreChecks, reportedErrors, shell, triggerOf, useTriggerFixture, waitFor } from './support.js';

function commit(dir: string, file: string, content: string): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), content);
  git('add', file);
  git(
    '-c',
    'user.name=Ciclo Test',
    '-c',
    'user.email=test@ciclo.invalid',
    'commit',
    '--quiet',
    '--no-gpg-sign',
    '-m',
    `change ${file}`,
  );
  return git('rev-parse', 'HEAD');
}

describe.each(DIALECTS)('git trigger (%s)', (dialect) => {
  const fixture = useTriggerFixture(dialect);

  it('fires for a commit touching a watched path, not for one elsewhere', async () => {
    const repo = fixture.workDir;
    const first = initGitRepo(repo);
    const pipeline = loaded(
      {
        name: 'on_commit',
        steps: [{ name: 'train', ...shell('true') }],
        triggers: [{ name: 'data_commit', type: 'git', paths: ['data'], interval: '20ms' }],
      },
      repo,
    );
    const runtime = await fixture.start([pipeline]);
    await waitFor(
      'the baseline commit',
      async () => (await runtime.counters('on_commit', 'data_commit')).cursor === first,
    );

    const elsewhere = commit(repo, 'README.md', 'docs\n');
    await waitFor(
      'the cursor to move',
      async () => (await runtime.counters('on_commit', 'data_commit')).cursor === elsewhere,
    );
    await moreChecks(fixture, 'data_commit');
    expect(await fixture.runs('on_commit')).toEqual([]);

    const touching = commit(repo, 'data/rows.csv', 'a,b\n1,2\n');
    const run = await waitFor('a run', async () => (await fixture.runs('on_commit'))[0]);
    expect(triggerOf(run)).toEqual({
      name: 'data_commit',
      type: 'git',
      payload: {
        ref: 'HEAD',
        commit: touching,
        previousCommit: elsewhere,
        paths: ['data'],
        changed: ['data/rows.csv'],
      },
    });
    expect(run.git_commit).toBe(touching);
    await moreChecks(fixture, 'data_commit');
    expect(await fixture.runs('on_commit')).toHaveLength(1);
    expect(reportedErrors(fixture)).toEqual([]);
  });

  it('reports a folder that is not a git repository and keeps polling', async () => {
    const pipeline = loaded(
      {
        name: 'no_repo',
        steps: [{ name: 'a', ...shell('true') }],
        triggers: [{ name: 'g', type: 'git', interval: '20ms' }],
      },
      fixture.workDir,
    );
    await fixture.start([pipeline]);
    await moreChecks(fixture, 'g', 2);
    expect(reportedErrors(fixture).length).toBeGreaterThanOrEqual(2);
    expect(await fixture.runs('no_repo')).toEqual([]);
  });
});
