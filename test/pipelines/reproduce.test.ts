import { execFileSync } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidStateError } from '../../src/common/errors.js';
import { reproduceRun, type LoadedPipeline } from '../../src/pipelines/index.js';
import { DIALECTS } from '../support/databases.js';
import { compile, useSchedulerFixture } from './support/scheduler.js';

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
}

function commitAll(dir: string, message: string): string {
  git(dir, 'add', '-A');
  git(
    dir,
    '-c',
    'user.name=Ciclo Test',
    '-c',
    'user.email=test@ciclo.invalid',
    'commit',
    '--quiet',
    '--no-gpg-sign',
    '-m',
    message,
  );
  return git(dir, 'rev-parse', 'HEAD');
}

describe.each(DIALECTS)('ciclo pipeline reproduce, on %s', (dialect) => {
  const fixture = useSchedulerFixture(dialect);

  /** A pipeline in a git checkout whose `model` step runs `model.sh` from the checkout. */
  async function pipelineInRepo(): Promise<{ loaded: LoadedPipeline; repo: string }> {
    const repo = path.join(fixture.workDir, 'repo');
    const folder = path.join(repo, 'churn');
    execFileSync('mkdir', ['-p', folder]);
    git(repo, 'init', '--quiet');
    await writeFile(path.join(folder, 'model.sh'), 'echo "weights from v1 $1" > "$CICLO_OUTPUT_DIR/model"\n');
    await writeFile(path.join(repo, '.gitignore'), 'stamp\n');
    const definition = compile({
      name: 'repro',
      params: { seed: { type: 'integer', default: 7 } },
      steps: [
        {
          name: 'data',
          kind: 'command',
          command: ['sh', '-c', 'seq ${params.seed} > "$CICLO_OUTPUT_DIR/rows"'],
          outputs: { rows: { type: 'file' } },
        },
        {
          name: 'model',
          kind: 'command',
          command: ['sh', 'model.sh', '${params.seed}'],
          inputs: { rows: 'steps.data.outputs.rows' },
          outputs: { model: { type: 'file' } },
        },
        // Not deterministic on purpose: its output differs on every execution.
        {
          name: 'stamp',
          kind: 'command',
          command: ['sh', '-c', 'date +%s%N > "$CICLO_OUTPUT_DIR/when"'],
          outputs: { when: { type: 'file' } },
        },
      ],
    });
    return { loaded: { definition, workDir: folder }, repo };
  }

  it('re-executes at the recorded commit with the recorded params, reports which outputs are identical', async () => {
    const { loaded, repo } = await pipelineInRepo();
    const recorded = commitAll(repo, 'v1');
    const pipelines = fixture.test.context.pipelines;
    const original = await pipelines.run(loaded, { params: { seed: 5 } });
    expect(original.status).toBe('SUCCEEDED');
    const originalRun = await pipelines.getRun(original.pipelineRunId);
    expect(originalRun.run.git_commit).toBe(recorded);
    // Each step's tracked run names the commit too: a model registered from one carries it.
    for (const step of originalRun.steps) {
      const tags = (await fixture.test.context.tracking.getRun(step.run_id!)).data.tags;
      expect(tags['mlflow.source.git.commit'], step.step_name).toBe(recorded);
    }

    // The code moves on after the run: reproduce must use the recorded version, not this one.
    await writeFile(path.join(loaded.workDir, 'model.sh'), 'echo "weights from v2 $1" > "$CICLO_OUTPUT_DIR/model"\n');
    commitAll(repo, 'v2');

    const report = await reproduceRun(pipelines, original.pipelineRunId);
    expect(report.status).toBe('SUCCEEDED');
    expect(report.checkout).toBe('recorded-commit');
    expect(report.commit).toBe(recorded);
    const byOutput = Object.fromEntries(
      report.outputs.map((output) => [`${output.step}.${output.name}`, output.identical]),
    );
    expect(byOutput).toEqual({ 'data.rows': true, 'model.model': true, 'stamp.when': false });
    expect(report.inputs.every((input) => input.identical)).toBe(true);

    const again = await pipelines.getRun(report.pipelineRunId);
    expect(again.run.reproduces_run_id).toBe(original.pipelineRunId);
    expect(JSON.parse(again.run.params)).toEqual({ seed: 5 });
    // Every step executed (no cache), and the temporary checkout is gone.
    expect(again.steps.map((step) => step.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(await readdir(path.join(fixture.test.config.home, 'reproduce'))).toEqual([]);
  });

  it("runs a ts step importing 'ciclo' in a checkout with no node_modules, after an uncommitted edit", async () => {
    const repo = path.join(fixture.workDir, 'ts-repo');
    execFileSync('mkdir', ['-p', repo]);
    git(repo, 'init', '--quiet');
    await writeFile(path.join(repo, 'package.json'), '{ "type": "module", "private": true }\n');
    const step = (marker: string) =>
      "import { writeFile } from 'node:fs/promises';\n" +
      "import * as ciclo from 'ciclo';\n" +
      'export async function make(ctx: { outputs: Record<string, string> }): Promise<void> {\n' +
      `  await writeFile(ctx.outputs.out!, typeof ciclo.writeManifest + ' ${marker}');\n}\n`;
    await writeFile(path.join(repo, 'step.ts'), step('v1'));
    const recorded = commitAll(repo, 'v1');
    const loaded: LoadedPipeline = {
      definition: compile({
        name: 'ts-repro',
        steps: [{ name: 'make', kind: 'ts', module: 'step.ts', export: 'make', outputs: { out: { type: 'file' } } }],
      }),
      workDir: repo,
    };
    const pipelines = fixture.test.context.pipelines;
    const original = await pipelines.run(loaded);
    expect(original.status).toBe('SUCCEEDED');
    // Edited, not committed: reproduce must run the recorded version, in a worktree.
    await writeFile(path.join(repo, 'step.ts'), step('v2'));
    const report = await reproduceRun(pipelines, original.pipelineRunId);
    expect(report).toMatchObject({ status: 'SUCCEEDED', checkout: 'recorded-commit', commit: recorded });
    expect(report.outputs).toEqual([expect.objectContaining({ step: 'make', name: 'out', identical: true })]);
  });

  it('runs in the original folder when it is still at the recorded commit', async () => {
    const { loaded, repo } = await pipelineInRepo();
    commitAll(repo, 'v1');
    const original = await fixture.test.context.pipelines.run(loaded, {});
    const report = await reproduceRun(fixture.test.context.pipelines, original.pipelineRunId);
    expect(report.checkout).toBe('original-folder');
    expect(report.outputs.filter((output) => !output.identical).map((output) => output.step)).toEqual(['stamp']);
  });

  it('says so when the recorded commit no longer exists', async () => {
    const { loaded, repo } = await pipelineInRepo();
    commitAll(repo, 'v1');
    const original = await fixture.test.context.pipelines.run(loaded, {});
    await writeFile(path.join(loaded.workDir, 'model.sh'), 'echo changed > "$CICLO_OUTPUT_DIR/model"\n');
    git(repo, 'add', '-A');
    git(
      repo,
      '-c',
      'user.name=T',
      '-c',
      'user.email=t@ciclo.invalid',
      'commit',
      '--quiet',
      '--amend',
      '--no-gpg-sign',
      '-m',
      'rewritten',
    );
    git(repo, 'reflog', 'expire', '--expire=now', '--all');
    git(repo, 'gc', '--prune=now', '--quiet');
    const error = await reproduceRun(fixture.test.context.pipelines, original.pipelineRunId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidStateError);
    expect((error as Error).message).toMatch(/cannot check out the recorded commit/);
  });
});
