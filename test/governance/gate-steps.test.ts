import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApprovalService } from '../../src/governance/approvals/index.js';
import { stepKinds } from '../../src/app/step-kinds.js';
import { compilePipeline } from '../../src/pipelines/index.js';
import { type RegistryService } from '../../src/registry/index.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { DIALECTS } from '../support/databases.js';
import { makeTempDir } from '../support/temp.js';

/**
 * The `register` and `gate` step kinds, run for real: a pipeline whose `ts` steps write a model
 * package and log an AUC, then the built-in model steps in their own processes (dist runner).
 */
const PACKAGE_API = fileURLToPath(new URL('../../src/registry/package.ts', import.meta.url));

const TRAIN = `
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeManifest } from ${JSON.stringify(PACKAGE_API)};
export async function train(ctx) {
  await mkdir(ctx.outputs.model, { recursive: true });
  await writeFile(join(ctx.outputs.model, 'model.json'), JSON.stringify({ weights: [1, 2, 3], seed: ctx.params.seed }));
  await writeManifest(ctx.outputs.model, {
    flavor: 'custom',
    signature: { inputs: [{ name: 'x', type: 'double' }], outputs: [{ name: 'y', type: 'double' }] },
  });
}
export async function evaluate(ctx) {
  await writeFile(ctx.outputs.metrics, JSON.stringify({ auc: ctx.params.auc }));
  (await ctx.run()).log({ auc: ctx.params.auc, 'fairness.group.disparate_impact_ratio': 0.9 });
}
`;

const PIPELINE = `name: gated
params:
  auc: { type: number, default: 0.9 }
  seed: { type: integer, default: 1 }
steps:
  - name: train
    kind: ts
    module: steps.ts
    export: train
    outputs: { model: { type: model } }
  - name: evaluate
    kind: ts
    module: steps.ts
    export: evaluate
    inputs: { model: steps.train.outputs.model }
    outputs: { metrics: { type: file } }
  - name: register
    kind: register
    model: scorer
    cache: false
    inputs: { model: steps.train.outputs.model, evaluation: steps.evaluate.outputs.metrics }
    outputs: { version: { type: file } }
  - name: gate
    kind: gate
    policy: policy.yaml
    cache: false
    FAIL_ON_REJECT
    inputs: { version: steps.register.outputs.version }
    outputs: { decision: { type: file } }
`;

const POLICY = `metrics:
  auc: { min: 0.8 }
champion: { alias: champion, metric: auc, min_delta: 0 }
fairness: { attribute: group, disparate_impact_ratio: { min: 0.8 } }
four_eyes: true
auto_approve: true
on_approve: { alias: champion }
`;

describe('register and gate step kinds', () => {
  it('are built in, with strict configs', () => {
    const compile = (step: string) => () =>
      compilePipeline(
        { name: 'p', steps: [{ name: 's', ...(JSON.parse(step) as object) }] },
        { registry: stepKinds() },
      );
    expect(compile('{"kind":"register","model":"m"}')).not.toThrow();
    expect(compile('{"kind":"register","model":"m","modle":"x"}')).toThrow(/modle/);
    expect(compile('{"kind":"gate","policy":"p.yaml","fail_on_reject":"no"}')).toThrow(/fail_on_reject/);
  });
});

describe.each(DIALECTS)('register and gate steps on %s', (dialect) => {
  let test: TestContext;
  let folder: { dir: string; remove(): void };
  let registry: RegistryService;
  let approvals: ApprovalService;

  beforeEach(async () => {
    test = await openTestContext(dialect);
    folder = makeTempDir('ciclo-gated-');
    registry = test.context.registry;
    approvals = test.context.approvals;
    await writeFile(join(folder.dir, 'steps.ts'), TRAIN);
    await writeFile(join(folder.dir, 'pipeline.yaml'), PIPELINE.replace('    FAIL_ON_REJECT\n', ''));
    await writeFile(join(folder.dir, 'policy.yaml'), POLICY);
  });
  afterEach(async () => {
    await test.drop();
    folder.remove();
  });

  async function run(params: Record<string, number>) {
    const loaded = await test.context.pipelines.load(folder.dir);
    const { pipelineRunId, status } = await test.context.pipelines.run(loaded, { params, noCache: false });
    const { steps } = await test.context.pipelines.getRun(pipelineRunId);
    const step = (name: string) => steps.find((s) => s.step_name === name)!;
    const log = async (name: string) =>
      readFile(test.context.pipelines.logFile(pipelineRunId, name, step(name).attempt), 'utf8');
    const output = async (name: string, file: string) =>
      JSON.parse(
        await readFile(join(test.context.pipelines.scheduler.stepFolder(pipelineRunId, name), 'outputs', file), 'utf8'),
      ) as Record<string, unknown>;
    return { pipelineRunId, status, step, log, output };
  }

  it('registers the package with the evaluation in its snapshot, gates it, auto-approves it as champion', async () => {
    const first = await run({ auc: 0.9 });
    expect(first.status, await first.log('gate').catch(() => '')).toBe('SUCCEEDED');

    const version = await registry.show('scorer', 1);
    expect(version).toMatchObject({
      status: 'approved',
      aliases: ['champion'],
      flavor: 'custom',
      runId: first.step('register').run_id,
    });
    expect(version.metrics).toMatchObject({ auc: 0.9, 'fairness.group.disparate_impact_ratio': 0.9 });
    expect(version.lineage.pipeline_run).toBe(first.pipelineRunId);
    expect(await first.output('register', 'version')).toMatchObject({ model: 'scorer', version: 1 });
    expect(await first.output('gate', 'decision')).toMatchObject({
      model: 'scorer',
      version: 1,
      passed: true,
      status: 'approved',
      alias: 'champion',
      failed: [],
    });
    expect(await first.log('gate')).toContain('scorer/1 approved by policy:scorer → scorer@champion');

    const [evaluation] = await approvals.gateResults('scorer', 1);
    expect(evaluation).toMatchObject({ passed: true, policySource: 'policy.yaml' });
    expect(evaluation!.results.map((r) => r.gate)).toEqual([
      'metric:auc',
      'champion:auc',
      'fairness:group.disparate_impact_ratio',
    ]);
    expect((await approvals.getPolicy('scorer')).text).toBe(POLICY);
    expect(await approvals.history('scorer', 1)).toEqual([
      expect.objectContaining({ actor: 'policy:scorer', automatic: true }),
    ]);
    const gateRun = await test.context.tracking.getRun(first.step('gate').run_id!);
    expect(gateRun.data.tags['ciclo.model.version']).toBe('scorer/1');

    // The same package again is the same version: same outputs, nothing new registered or approved.
    const again = await run({ auc: 0.9 });
    expect(again.status).toBe('SUCCEEDED');
    expect(again.step('register').output_digests).toBe(first.step('register').output_digests);
    expect(again.step('gate').output_digests).toBe(first.step('gate').output_digests);
    expect((await registry.versions('scorer')).map((v) => v.version)).toEqual([1]);
    expect(await again.log('gate')).toContain('is already approved');
  }, 60_000);

  it(
    'fails the gate step on a failed gate, leaving the version pending; ' +
      'fail_on_reject: false records it and goes on',
    async () => {
      await run({ auc: 0.9 });
      const worse = await run({ auc: 0.85, seed: 2 });
      expect(worse.status).toBe('FAILED');
      expect(worse.step('gate')).toMatchObject({ status: 'FAILED' });
      expect(await worse.log('gate')).toContain('FAIL  champion:auc');
      expect(await registry.show('scorer', 2)).toMatchObject({ status: 'pending', aliases: [] });
      expect((await registry.resolve('scorer@champion')).version).toBe(1);
      expect((await approvals.gateResults('scorer', 2)).map((g) => g.passed)).toEqual([false]);

      await writeFile(join(folder.dir, 'pipeline.yaml'), PIPELINE.replace('FAIL_ON_REJECT', 'fail_on_reject: false'));
      const recorded = await run({ auc: 0.7, seed: 3 });
      expect(recorded.status).toBe('SUCCEEDED');
      expect(await recorded.output('gate', 'decision')).toMatchObject({
        version: 3,
        passed: false,
        status: 'pending',
        failed: ['metric:auc', 'champion:auc'],
      });
    },
    60_000,
  );

  it('fails on a policy typo with file:line:col, and on a file that differs from the stored policy', async () => {
    await writeFile(join(folder.dir, 'policy.yaml'), POLICY.replace('metrics:', 'metric:'));
    const typo = await run({ auc: 0.9 });
    expect(typo.status).toBe('FAILED');
    expect(await typo.log('gate')).toMatch(/metric: unknown field "metric"\n {2}at: \S+policy\.yaml:1:1/);
    expect(await registry.show('scorer', 1)).toMatchObject({ status: 'pending' });
    expect(await approvals.gateResults('scorer', 1)).toEqual([]);

    await approvals.setPolicy('scorer', POLICY.replace('min: 0.8 }', 'min: 0.95 }'), 'strict.yaml');
    await writeFile(join(folder.dir, 'policy.yaml'), POLICY);
    const differs = await run({ auc: 0.9 });
    expect(differs.status).toBe('FAILED');
    expect(await differs.log('gate')).toContain('differs from the policy of scorer');
    expect(await registry.show('scorer', 1)).toMatchObject({ status: 'pending' });
  }, 60_000);
});
