import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentSupervisor } from '../../src/app/deployments.js';
import type { DeploymentSupervisor } from '../../src/serving/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { waitFor } from '../support/wait.js';
import { api } from '../server/http.js';
import { COLUMN_SIGNATURE, perColumnGraph, registerPackage, writeServingPackage } from './support.js';

/** A js model whose every prediction fails: what a canary must catch (5xx answers). */
const BROKEN_MODEL = `
export function load() { return {}; }
export function predict() { throw new Error('this version is broken'); }`;

/**
 * Canary and shadow rollouts run by a real server over `ciclo serve` replicas. Versions of `scorer`:
 * 1 scores a * 2 + b, 2 scores a * 3 + b, 3 loads but fails every prediction.
 */
describe('canary and shadow rollouts', () => {
  let test: TestContext;
  let supervisor: DeploymentSupervisor;
  let server: RunningServer;
  let client: ReturnType<typeof api>;

  beforeAll(async () => {
    test = await openTestContext('sqlite');
    const packages: { files: Record<string, Uint8Array | string>; flavor: string; entry: string }[] = [
      { files: { 'model.onnx': perColumnGraph(2) }, flavor: 'onnx', entry: 'model.onnx' },
      { files: { 'model.onnx': perColumnGraph(3) }, flavor: 'onnx', entry: 'model.onnx' },
      { files: { 'model.mjs': BROKEN_MODEL }, flavor: 'js', entry: 'model.mjs' },
    ];
    for (const [i, { files, flavor, entry }] of packages.entries()) {
      const folder = join(test.dir, `v${i + 1}`);
      await writeServingPackage(folder, files, { flavor, entry, signature: COLUMN_SIGNATURE });
      await registerPackage(test.context, 'scorer', folder);
    }
    await test.context.registry.setAlias('scorer', 'canary', 1);
    await test.context.registry.setAlias('scorer', 'shadow', 1);
    supervisor = deploymentSupervisor(test.context, { auth: false, pollMs: 100 });
    server = await startServer({ context: test.context, host: '127.0.0.1', port: 0, supervisor });
    supervisor.start();
    client = api(server.url);
  });

  afterAll(async () => {
    await server?.close();
    await supervisor?.stop();
    await test?.drop();
  });

  const score = async (deployment: string) => {
    const response = await fetch(`${server.url}/serve/${deployment}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataframe_records: [{ a: 10, b: 1 }] }),
    });
    const body = (await response.json()) as { predictions?: number[] };
    return {
      status: response.status,
      value: body.predictions?.[0],
      version: response.headers.get('x-ciclo-model-version'),
    };
  };
  interface HistoryEvent {
    action: string;
    from_version: number | null;
    to_version: number | null;
    details: {
      strategy?: string;
      judgements?: { passed: boolean; candidate: { requests: number; error_rate: number } }[];
    };
  }
  const history = async (name: string) =>
    (await client.get(`/api/v1/deployments/${name}/history`)).body.items as HistoryEvent[];
  const shown = async (name: string) =>
    (await client.get(`/api/v1/deployments/${name}`)).body as Record<string, unknown>;

  /** Sends requests from two clients until `until` says stop; answers every request's outcome. */
  async function traffic(deployment: string, until: () => Promise<boolean>) {
    const answers: Awaited<ReturnType<typeof score>>[] = [];
    let running = true;
    const clients = Array.from({ length: 2 }, async () => {
      while (running) answers.push(await score(deployment));
    });
    try {
      await waitFor('the rollout to end', until, 30_000);
    } finally {
      running = false;
      await Promise.all(clients);
    }
    return answers;
  }

  it('promotes a canary that answers as well as the current version, step by step', async () => {
    // The p99 guard is judged in rollout-judge.test.ts: here two replicas on a busy machine may differ by
    // more than 1.5× for reasons that are not the model's, so only the error rate decides.
    const strategy = { type: 'canary', steps: [25, 50], step_seconds: 1, min_requests: 5, max_p99_ratio: 1000 };
    expect(
      (
        await client.post('/api/v1/deployments', {
          name: 'scorer-canary',
          model: 'scorer@canary',
          environment: 'prod',
          strategy,
        })
      ).status,
    ).toBe(201);
    await waitFor('version 1', async () => (await shown('scorer-canary')).serving_version === 1);

    await test.context.registry.setAlias('scorer', 'canary', 2);
    let sawUpdating = false;
    const answers = await traffic('scorer-canary', async () => {
      const now = await shown('scorer-canary');
      if (now.state === 'UPDATING' && now.candidate_version === 2) sawUpdating = true;
      // A rollback ends the rollout too: the assertions below then say why.
      return now.state === 'READY' && (now.serving_version === 2 || String(now.message).startsWith('rolled back'));
    });
    expect((await shown('scorer-canary')).message).toBeNull();
    expect(sawUpdating).toBe(true);
    expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
    // Both versions answered while the canary ran.
    expect(new Set(answers.map((answer) => answer.value))).toEqual(new Set([21, 31]));
    const promoted = (await history('scorer-canary')).at(-1)!;
    expect(promoted).toMatchObject({ action: 'serve', from_version: 1, to_version: 2 });
    expect(promoted.details.strategy).toBe('canary');
    expect(promoted.details.judgements).toHaveLength(2);
    expect(promoted.details.judgements![1]).toMatchObject({ passed: true, candidate: { error_rate: 0 } });
  });

  it('rolls a failing canary back: the alias returns, the version is marked, the current one serves on', async () => {
    await test.context.registry.setAlias('scorer', 'canary', 3);
    const answers = await traffic('scorer-canary', async () => {
      const now = await shown('scorer-canary');
      return now.state === 'READY' && typeof now.message === 'string' && now.message.startsWith('rolled back 3');
    });
    const now = await shown('scorer-canary');
    expect(now).toMatchObject({ serving_version: 2, candidate_version: null });
    expect(now.message).toMatch(/^rolled back 3: canary: error rate \d+\.\d% against 0\.0%/);
    expect((await test.context.registry.resolve('scorer@canary')).version).toBe(2);
    expect((await test.context.registry.show('scorer', 3)).tags['ciclo.rolled_back']).toBe('scorer-canary');
    // Only requests the canary answered failed, and it answered about a quarter of them.
    const failed = answers.filter((answer) => answer.status !== 200);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((answer) => answer.version === '3')).toBe(true);
    expect(failed.length).toBeLessThan(answers.length / 2);
    expect((await score('scorer-canary')).value).toBe(31);
    const history = (await client.get('/api/v1/deployments/scorer-canary/history')).body.items as Record<
      string,
      unknown
    >[];
    expect(history.at(-1)).toMatchObject({ action: 'rollback', from_version: 3, to_version: 2, actor: 'ciclo-server' });
  });

  it('shadows a candidate: every answer comes from the current version, then the candidate is promoted', async () => {
    const strategy = { type: 'shadow', share: 1, seconds: 1, min_requests: 5, max_p99_ratio: 1000 };
    expect(
      (
        await client.post('/api/v1/deployments', {
          name: 'scorer-shadow',
          model: 'scorer@shadow',
          environment: 'prod',
          strategy,
        })
      ).status,
    ).toBe(201);
    await waitFor('version 1', async () => (await shown('scorer-shadow')).serving_version === 1);
    await test.context.registry.setAlias('scorer', 'shadow', 2);
    const answers = await traffic('scorer-shadow', async () => {
      const now = await shown('scorer-shadow');
      return now.serving_version === 2 || String(now.message).startsWith('rolled back');
    });
    expect((await shown('scorer-shadow')).message).toBeNull();
    const duringShadow = answers.filter((answer) => answer.version === '1');
    expect(duringShadow.length).toBeGreaterThan(5);
    expect(duringShadow.every((answer) => answer.status === 200 && answer.value === 21)).toBe(true);
    const judgement = (await history('scorer-shadow')).at(-1)!.details.judgements![0]!;
    // The candidate saw the copies and was judged on them.
    expect(judgement.candidate.requests).toBeGreaterThanOrEqual(5);
    expect(judgement.passed).toBe(true);
  });
});
