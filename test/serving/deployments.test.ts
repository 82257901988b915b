import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentSupervisor } from '../../src/app/deployments.js';
import type { DeploymentSupervisor } from '../../src/serving/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { waitFor } from '../support/wait.js';
import { api } from '../server/http.js';
import { COLUMN_SIGNATURE, perColumnGraph, registerPackage, writeServingPackage } from './support.js';

/**
 * A deployment run by a real server: its replicas are `ciclo serve` processes (the built CLI), reached
 * directly and through `/serve/{name}/…`. Versions: 1 scores a * 2 + b, 2 scores a * 3 + b, 3 is a
 * graph onnxruntime cannot load.
 */
describe('deployments run by the server', () => {
  let test: TestContext;
  let supervisor: DeploymentSupervisor;
  let server: RunningServer;
  let client: ReturnType<typeof api>;

  beforeAll(async () => {
    test = await openTestContext('sqlite');
    const graphs = [perColumnGraph(2), perColumnGraph(3), new TextEncoder().encode('not a graph')];
    for (const [i, graph] of graphs.entries()) {
      const folder = join(test.dir, `v${i + 1}`);
      await writeServingPackage(
        folder,
        { 'model.onnx': graph },
        { flavor: 'onnx', entry: 'model.onnx', signature: COLUMN_SIGNATURE },
      );
      await registerPackage(test.context, 'scorer', folder);
    }
    await test.context.registry.setAlias('scorer', 'champion', 1);
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

  const score = async (path: string, a: number) => {
    const response = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataframe_records: [{ a, b: 1 }] }),
    });
    return { status: response.status, body: (await response.json()) as { predictions?: number[] } };
  };
  const servingVersion = async (version: number) => {
    const shown = await client.get('/api/v1/deployments/scorer-staging');
    return shown.body.state === 'READY' && shown.body.serving_version === version ? shown.body : undefined;
  };

  it('starts the version its alias names and answers through the server and on the replica port', async () => {
    const created = await client.post('/api/v1/deployments', {
      name: 'scorer-staging',
      model: 'scorer@champion',
      environment: 'staging',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'scorer-staging',
      model: 'scorer@champion',
      state: 'PENDING',
      endpoint: '/serve/scorer-staging',
    });
    const ready = await waitFor('version 1 serving', () => servingVersion(1));
    expect(ready.replica_urls).toHaveLength(1);
    expect(await score('/serve/scorer-staging/invocations', 5)).toEqual({ status: 200, body: { predictions: [11] } });
    const direct = await fetch(`${ready.replica_urls[0]}/v2/models/scorer/versions/1/ready`);
    expect(await direct.json()).toEqual({ name: 'scorer', ready: true });
    expect((await client.get('/api/v1/deployments')).body.items.map((d: { name: string }) => d.name)).toEqual([
      'scorer-staging',
    ]);
  });

  it('swaps to the version the alias moves to under continuous traffic, with no failed request', async () => {
    const before = supervisor.replicas('scorer-staging');
    const answers: { status: number; value: number | undefined }[] = [];
    let running = true;
    const clients = Array.from({ length: 4 }, async () => {
      while (running) {
        const answer = await score('/serve/scorer-staging/invocations', 10);
        answers.push({ status: answer.status, value: answer.body.predictions?.[0] });
      }
    });
    await waitFor('traffic on version 1', () => answers.length > 20);
    await test.context.registry.setAlias('scorer', 'champion', 2);
    await waitFor('version 2 serving', () => servingVersion(2));
    const swapped = answers.length;
    await waitFor('traffic on version 2', () => answers.length > swapped + 20);
    running = false;
    await Promise.all(clients);

    expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
    expect(new Set(answers.map((answer) => answer.value))).toEqual(new Set([21, 31]));
    expect(answers.at(-1)!.value).toBe(31);
    // The old replica stops once its last request is answered.
    await waitFor(
      'the old replica to stop',
      async () => (await fetch(`${before[0]!.url}/ping`).catch(() => 'gone')) === 'gone',
    );
  });

  it('keeps serving the old version when the new one does not load, and says why', async () => {
    await test.context.registry.setAlias('scorer', 'champion', 3);
    const failed = await waitFor('the failure', async () => {
      const shown = await client.get('/api/v1/deployments/scorer-staging');
      return shown.body.state === 'FAILED' ? shown.body : undefined;
    });
    expect(failed).toMatchObject({ serving_version: 2, candidate_version: null });
    expect(failed.message).toContain('onnxruntime cannot load');
    expect(await score('/serve/scorer-staging/invocations', 1)).toEqual({ status: 200, body: { predictions: [4] } });
  });

  it('restarts a replica that dies', async () => {
    await test.context.registry.setAlias('scorer', 'champion', 2);
    const [replica] = supervisor.replicas('scorer-staging');
    process.kill(replica!.pid!, 'SIGKILL');
    const fresh = await waitFor('a new replica', () => {
      const [now] = supervisor.replicas('scorer-staging');
      return now !== undefined && now.pid !== replica!.pid ? now : undefined;
    });
    expect(fresh.version).toBe(2);
    expect(await score('/serve/scorer-staging/invocations', 2)).toEqual({ status: 200, body: { predictions: [7] } });
  });

  it('rolls back to the version before, marks the one rolled back from, keeps every change as history', async () => {
    const rolled = await client.post('/api/v1/deployments/scorer-staging/rollback', { reason: 'p99 regressed' });
    expect(rolled.status).toBe(200);
    await waitFor('version 1 serving again', () => servingVersion(1));
    expect((await test.context.registry.show('scorer', 2)).tags['ciclo.rolled_back']).toBe('scorer-staging');
    expect((await test.context.registry.resolve('scorer@champion')).version).toBe(1);

    const history = (await client.get('/api/v1/deployments/scorer-staging/history')).body.items as Record<
      string,
      unknown
    >[];
    expect(history.map((event) => [event.action, event.from_version, event.to_version])).toEqual([
      ['create', null, 1],
      ['serve', null, 1],
      ['serve', 1, 2],
      ['fail', 2, 3],
      ['rollback', 2, 1],
      ['serve', 2, 1],
    ]);
    expect(history.find((event) => event.action === 'rollback')).toMatchObject({ reason: 'p99 regressed' });
    expect(history.find((event) => event.action === 'fail')!.reason).toContain('onnxruntime cannot load');
    const audit = await test.context.audit.list({ limit: 1000 });
    expect(audit.map((entry) => entry.action)).toEqual(
      expect.arrayContaining(['deployment.create', 'deployment.serve', 'deployment.rollback']),
    );
  });

  it('refuses bad requests with 4xx and stops the replicas of a deleted deployment, keeping its history', async () => {
    const duplicate = await client.post('/api/v1/deployments', {
      name: 'scorer-staging',
      model: 'scorer/1',
      environment: 'staging',
    });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    const unknownModel = await client.post('/api/v1/deployments', {
      name: 'x',
      model: 'nope@champion',
      environment: 'staging',
    });
    expect(unknownModel.status).toBe(404);
    const badEnv = await client.post('/api/v1/deployments', { name: 'y', model: 'scorer/1', environment: 'moon' });
    expect(badEnv.status).toBe(400);
    expect(badEnv.body.where).toBe('environment');

    const [replica] = supervisor.replicas('scorer-staging');
    expect((await client.delete('/api/v1/deployments/scorer-staging')).status).toBe(204);
    await waitFor(
      'the replica to stop',
      async () => (await fetch(`${replica!.url}/ping`).catch(() => 'gone')) === 'gone',
    );
    expect((await score('/serve/scorer-staging/invocations', 1)).status).toBe(404);
    const history = await client.get('/api/v1/deployments/scorer-staging/history');
    expect(history.body.items.at(-1)).toMatchObject({ action: 'delete', from_version: 1 });
  });
});
