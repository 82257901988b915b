import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import { makeTempDir } from '../support/temp.js';

const CHURN = fileURLToPath(new URL('../../examples/churn', import.meta.url));

/**
 * A user's copy of an example lives in a folder with no node_modules and no Ciclo package above it:
 * its `ts` steps' `import … from 'ciclo'` must still reach the installation that runs them.
 */
describe('an example copied outside the repository', () => {
  const place = makeTempDir('ciclo-outside-');
  afterAll(() => place.remove());

  it('runs every step of examples/churn with `ciclo pipeline run`', async () => {
    const copy = join(place.dir, 'my-churn');
    cpSync(CHURN, copy, { recursive: true });
    const result = await runCli(['--json', 'pipeline', 'run', copy], { CICLO_HOME: join(place.dir, 'store') });
    expect(result.stderr).not.toContain('Cannot find module');
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const { run, steps } = JSON.parse(result.stdout) as {
      run: { status: string };
      steps: Array<{ step_name: string; status: string }>;
    };
    expect(run.status).toBe('SUCCEEDED');
    expect(steps.length).toBeGreaterThan(5);
    expect(steps.filter((step) => step.status !== 'SUCCEEDED')).toEqual([]);
  });
});
