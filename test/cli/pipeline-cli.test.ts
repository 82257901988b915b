import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/temp.js';
import { runCli } from './run-cli.js';

describe('ciclo pipeline (CLI, embedded store)', () => {
  let home: { dir: string; remove(): void };
  let folder: string;
  let env: Record<string, string>;

  beforeEach(() => {
    home = makeTempDir('ciclo-cli-pipeline-');
    folder = path.join(home.dir, 'flow');
    mkdirSync(folder);
    env = { CICLO_HOME: path.join(home.dir, 'state') };
    writeFileSync(
      path.join(folder, 'pipeline.yaml'),
      [
        'name: flow',
        'params:',
        '  n: { type: integer, default: 3 }',
        'steps:',
        '  - name: make',
        '    kind: command',
        '    command: [sh, -c, "seq ${params.n} > $CICLO_OUTPUT_DIR/rows; echo made ${params.n}"]',
        '    outputs: { rows: { type: file } }',
        '  - name: check',
        '    kind: command',
        // Fails until the file "fixed" exists in the pipeline folder, so resume has something to do.
        '    command: [sh, -c, "test -e fixed || { echo not fixed >&2; exit 4; }; wc -l < $CICLO_INPUT_ROWS"]',
        '    inputs: { rows: steps.make.outputs.rows }',
        '',
      ].join('\n'),
    );
  });

  afterEach(() => home.remove());

  it('runs with live progress, fails clearly, resumes only what did not finish, shows and prints logs', async () => {
    const failed = await runCli(['pipeline', 'run', folder, '--param', 'n=5'], env);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/✓ make +done in/);
    expect(failed.stdout).toMatch(/✗ check +failed: exited with code 4/);
    const runId = /Pipeline run ([0-9a-f]{32}): FAILED/.exec(failed.stdout)![1]!;
    expect(failed.stdout).toContain(`ciclo pipeline resume ${runId}`);

    writeFileSync(path.join(folder, 'fixed'), '');
    const resumed = await runCli(['pipeline', 'resume', runId], env);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).not.toContain('make');
    expect(resumed.stdout).toMatch(/✓ check +done in .*\(attempt 2\)/);

    const shown = await runCli(['--json', 'pipeline', 'show', runId], env);
    const { run, steps } = JSON.parse(shown.stdout) as {
      run: { status: string; params: string };
      steps: Array<{ step_name: string; attempt: number; status: string }>;
    };
    expect(run.status).toBe('SUCCEEDED');
    expect(JSON.parse(run.params)).toEqual({ n: 5 });
    expect(steps.map((step) => `${step.step_name}#${step.attempt}:${step.status}`)).toEqual([
      'check#1:FAILED',
      'check#2:SUCCEEDED',
      'make#1:SUCCEEDED',
    ]);

    const logs = await runCli(['pipeline', 'logs', runId], env);
    expect(logs.stdout).toBe('==> make#1 <==\nmade 5\n==> check#1 <==\nnot fixed\n==> check#2 <==\n5\n');
    const checkLogs = await runCli(['pipeline', 'logs', runId, '--step', 'check'], env);
    expect(checkLogs.stdout).toBe('not fixed\n5\n');

    const listed = await runCli(['pipeline', 'list'], env);
    expect(listed.stdout).toContain(runId);
    expect((await runCli(['pipeline', 'cancel', runId], env)).stdout).toContain('had already finished');
  });

  it('reuses cached steps on a second run, and --no-cache runs them all', async () => {
    writeFileSync(path.join(folder, 'fixed'), '');
    expect((await runCli(['pipeline', 'run', folder], env)).code).toBe(0);
    const cached = await runCli(['pipeline', 'run', folder], env);
    expect(cached.stdout).toMatch(/↺ make +cached \(outputs of run [0-9a-f]{32}\)/);
    const uncached = await runCli(['pipeline', 'run', folder, '--no-cache'], env);
    expect(uncached.stdout).not.toContain('cached');
  });

  it('rejects bad input before running anything', async () => {
    const badParam = await runCli(['pipeline', 'run', folder, '--param', 'n=three'], env);
    expect(badParam.code).toBe(2);
    expect(badParam.stderr).toContain('--param n: expected an integer, got "three"');
    const unknownParam = await runCli(['pipeline', 'run', folder, '--param', 'm=1'], env);
    expect(unknownParam.code).toBe(2);
    expect(unknownParam.stderr).toContain('has no param "m"');
    expect(unknownParam.stderr).toContain('its params: n');
    const noEquals = await runCli(['pipeline', 'run', folder, '--param', 'n'], env);
    expect(noEquals.code).toBe(2);
    const missing = await runCli(['pipeline', 'run', path.join(folder, 'nope.yaml')], env);
    expect(missing.code).toBe(3);
    const unknownEnv = await runCli(['pipeline', 'run', folder, '--env', 'prod'], env);
    expect(unknownEnv.code).toBe(2);
    expect(unknownEnv.stderr).toContain('has no environment "prod"');
    writeFileSync(
      path.join(folder, 'broken.yaml'),
      'name: broken\nsteps:\n  - name: a\n    kind: command\n    command: 42\n',
    );
    const broken = await runCli(['pipeline', 'run', path.join(folder, 'broken.yaml')], env);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/broken\.yaml:5:\d+/);
    expect((await runCli(['pipeline', 'show', '0123456789abcdef0123456789abcdef'], env)).code).toBe(3);
    expect((await runCli(['pipeline', 'list'], env)).stdout).toBe('No pipeline runs.\n');
  });
});
