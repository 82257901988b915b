import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/temp.js';
import { waitFor } from '../support/wait.js';
import { runCli } from './run-cli.js';

const MAIN = fileURLToPath(new URL('../../dist/bin/ciclo.js', import.meta.url));

/**
 * Runs `ciclo server --port 0` over the store, sends the request the quickstart printed (its curl,
 * at the server's port) until the deployment's replica answers, and stops the server.
 */
async function callPrintedDeployment(env: Record<string, string>, curl: string): Promise<unknown> {
  const [, path, body] = /curl -X POST http:\/\/[^/]+(\/serve\/\S+) .* -d '(.+)'$/.exec(curl)!;
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CICLO_')));
  const server = spawn(process.execPath, [MAIN, 'server', '--port', '0'], {
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  server.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  try {
    const url = await waitFor('the server', () => /listening on (\S+)/.exec(stdout)?.[1]);
    return await waitFor('the deployment to answer', async () => {
      const answer = await fetch(`${url}${path!}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: body!,
      });
      return answer.status === 200 ? await answer.json() : undefined;
    });
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('close', resolve));
  }
}

describe('ciclo quickstart', () => {
  let home: { dir: string; remove(): void };

  beforeEach(() => {
    home = makeTempDir('ciclo-quickstart-');
  });

  afterEach(() => home.remove());

  it('runs the churn pipeline with live progress, ends with an approved champion, says how to look at it', async () => {
    const env = { CICLO_HOME: home.dir };
    // The default 5000 rows: fewer make the age bands of the test set too small for policy.yaml's fairness gates.
    const first = await runCli(['quickstart', '--param', 'trees=10'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    for (const step of ['generate', 'dedupe', 'clean', 'validate', 'split', 'train', 'evaluate', 'register', 'gate']) {
      expect(first.stdout).toMatch(new RegExp(`▶ ${step} +started`));
      expect(first.stdout).toMatch(new RegExp(`✓ ${step} +done in`));
    }
    const runId = /Pipeline run ([0-9a-f]{32}): SUCCEEDED/.exec(first.stdout)![1]!;
    expect(first.stdout).toContain('What it produced:');
    expect(first.stdout).toMatch(/output +\S+\/train\/outputs\/model/);
    const auc = Number(/auc=([0-9.]+)/.exec(first.stdout)![1]);
    expect(auc).toBeGreaterThan(0.7);
    expect(first.stdout).toMatch(/recall\.age_60plus=/);
    expect(first.stdout).toContain(`npx ciclo pipeline show ${runId}`);
    expect(first.stdout).toContain(`npx ciclo lineage ${runId}`);
    expect(first.stdout).toContain('Model: churn/1 approved → churn@champion');
    expect(first.stdout).toMatch(/register .*\n(?: +output .*\n)* +metrics +those of evaluate/);
    // The policy deploys the champion to staging, and the curl printed for it answers once a server runs.
    expect(first.stdout).toContain('Deployed: churn-staging (staging) serves churn@champion');
    const curl = /^ +(curl -X POST http:\/\/127\.0\.0\.1:4710\/serve\/churn-staging\/invocations .*)$/m.exec(
      first.stdout,
    );
    expect(curl).not.toBeNull();
    const scored = (await callPrintedDeployment(env, curl![1]!)) as { predictions: number[] };
    expect(scored.predictions).toHaveLength(1);
    expect(scored.predictions[0]).toBeGreaterThanOrEqual(0);
    expect(scored.predictions[0]).toBeLessThanOrEqual(1);

    const champion = await runCli(['--json', 'models', 'show', 'churn@champion'], env);
    expect(champion.code).toBe(0);
    const version = JSON.parse(champion.stdout) as {
      version: number;
      status: string;
      aliases: string[];
      metrics: Record<string, number>;
    };
    expect(version).toMatchObject({ version: 1, status: 'approved', aliases: ['champion'] });
    expect(version.metrics.auc).toBeCloseTo(auc, 5);
    const shown = await runCli(['models', 'show', 'churn@champion'], env);
    expect(shown.stdout).toMatch(/^decisions +approved by policy:churn at /m);
    expect(shown.stdout).toMatch(/^gates +7\/7 passed at /m);
    const history = await runCli(['--json', 'models', 'gates', 'churn', '1'], env);
    expect(history.code).toBe(0);
    expect(JSON.parse(history.stdout)).toMatchObject({
      name: 'churn',
      version: 1,
      passed: true,
      policySource: 'stored',
    });
    // The card tells the approval and its gates, the training data and the fairness results.
    const card = await runCli(['--json', 'models', 'card', 'churn@champion'], env);
    expect(card.code).toBe(0);
    const cardJson = JSON.stringify(JSON.parse(card.stdout));
    expect(cardJson).toContain('"decision":"approved"');
    expect(cardJson).toContain('"actor":"policy:churn"');
    expect(cardJson).toContain('fairness:age_band.disparate_impact_ratio');
    // Its training data: the split's two parts, registered as dataset versions by the pipeline.
    const markdown = await runCli(['models', 'card', 'churn@champion'], env);
    const cardData = (
      JSON.parse(card.stdout) as {
        trainingData: { name: string; context: string; registered: { rowCount: number } | null }[];
      }
    ).trainingData;
    expect(cardData.map((d) => `${d.name}:${d.context}`).sort()).toEqual(['churn-test:test', 'churn-train:train']);
    expect(cardData.every((d) => (d.registered?.rowCount ?? 0) > 0)).toBe(true);
    expect(markdown.stdout).toContain('Sensitive columns: `age_band`');
    expect(markdown.stdout).toMatch(/^## Approvals$/m);
    expect(markdown.stdout).toMatch(/^## Fairness$/m);

    // The same again: the data and model steps are cache hits; register finds the same package
    // already registered and the gate finds it approved, so the champion stays churn/1.
    const again = await runCli(['quickstart', '--param', 'trees=10'], env);
    expect(again.code).toBe(0);
    expect(again.stdout.match(/↺ \w+ +cached/g)).toHaveLength(7);
    expect(again.stdout).toMatch(/✓ register +done in/);
    expect(again.stdout).toContain(`auc=${/auc=([0-9.]+)/.exec(first.stdout)![1]}`);
    expect(again.stdout).toContain('Model: churn/1 approved → churn@champion');
    expect(again.stdout).toContain('Deployed: churn-staging (staging) serves churn@champion');

    // The churn loop's ciclo.yaml on the store quickstart made: the policy the gate step set is the file's already,
    // the project and the monitor of churn-staging are new; once applied, the store matches the file.
    const example = fileURLToPath(new URL('../../examples/churn/ciclo.yaml', import.meta.url));
    const plan = await runCli(['--json', 'plan', '-f', example], env);
    expect(plan.stderr).toBe('');
    const planned = (JSON.parse(plan.stdout) as { changes: { action: string; kind: string; name: string }[] }).changes;
    expect(planned.map((change) => `${change.action} ${change.kind} ${change.name}`)).toEqual([
      'create project churn',
      'create monitor churn-staging',
    ]);
    expect((await runCli(['apply', '-f', example], env)).code).toBe(0);
    expect((await runCli(['plan', '-f', example, '--detailed-exitcode'], env)).code).toBe(0);
  }, 120_000);

  it('refuses a param the example does not have', async () => {
    const bad = await runCli(['quickstart', '--param', 'epochs=3'], { CICLO_HOME: home.dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('pipeline "churn" has no param "epochs"');
  });
});
