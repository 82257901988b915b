import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TriggerRuntime, signBody } from '../../src/triggers/index.js';
import { DIALECTS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { loaded, shell, triggerOf, waitFor } from './support.js';
import { makeTempDir } from '../support/temp.js';

const SECRET = 'correct horse battery staple';

describe.each(DIALECTS)('webhook trigger (%s)', (dialect) => {
  let server: TestServer;
  let runtime: TriggerRuntime;
  let work: ReturnType<typeof makeTempDir>;

  beforeEach(async () => {
    server = await startTestServer(dialect);
    work = makeTempDir();
    runtime = new TriggerRuntime({
      pipelines: server.context.pipelines,
      db: server.context.database.db,
      config: server.context.config,
      env: { CICLO_TEST_HOOK_SECRET: SECRET },
    });
    runtime.add(
      loaded(
        {
          name: 'on_push',
          steps: [{ name: 'build', ...shell('true') }],
          triggers: [
            { name: 'push', type: 'webhook', secretEnv: 'CICLO_TEST_HOOK_SECRET' },
            { name: 'unconfigured', type: 'webhook', secretEnv: 'CICLO_TEST_UNSET_SECRET' },
          ],
        },
        work.dir,
      ),
    );
    await runtime.start();
  });
  afterEach(async () => {
    await runtime.stop();
    await server.stop();
    work.remove();
  });

  const fire = (name: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/api/v1/triggers/${name}/fire`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  const runs = () => server.context.pipelines.listRuns({ pipelineName: 'on_push' });

  it('starts a run for a correctly signed body and records the body as payload', async () => {
    const body = JSON.stringify({ ref: 'refs/heads/main', after: 'abc123' });
    const response = await fire('push', body, { 'x-ciclo-signature': signBody(SECRET, body) });
    expect(response.status).toBe(202);
    const answer = (await response.json()) as { outcome: string; pipeline_run_id: string };
    expect(answer).toEqual({ outcome: 'started', pipeline_run_id: expect.any(String) });
    const { run } = await server.context.pipelines.getRun(answer.pipeline_run_id);
    expect(run.trigger_name).toBe('push');
    expect(triggerOf(run)).toEqual({
      name: 'push',
      type: 'webhook',
      payload: { ref: 'refs/heads/main', after: 'abc123' },
    });
    await waitFor(
      'the run to succeed',
      async () => (await server.context.pipelines.getRun(run.id)).run.status === 'SUCCEEDED',
    );
  });

  it('accepts an empty signed body (no payload) and any content type', async () => {
    const response = await fetch(`${server.url}/api/v1/triggers/push/fire`, {
      method: 'POST',
      headers: { 'x-ciclo-signature': signBody(SECRET, '') },
    });
    expect(response.status).toBe(202);
    const { pipeline_run_id: pipelineRunId } = (await response.json()) as { pipeline_run_id: string };
    expect(triggerOf((await server.context.pipelines.getRun(pipelineRunId)).run)).toEqual({
      name: 'push',
      type: 'webhook',
    });
  });

  it('answers 401 INVALID_SIGNATURE for a wrong, malformed or missing signature and starts nothing', async () => {
    const body = JSON.stringify({ ref: 'main' });
    const attempts: Record<string, string>[] = [
      { 'x-ciclo-signature': signBody('another secret', body) },
      { 'x-ciclo-signature': signBody(SECRET, `${body} `) },
      { 'x-ciclo-signature': signBody(SECRET, body).replace('sha256=', 'sha1=') },
      { 'x-ciclo-signature': 'sha256=abc' },
      {},
    ];
    for (const headers of attempts) {
      const response = await fire('push', body, headers);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error_code: 'INVALID_SIGNATURE' });
    }
    expect(await runs()).toEqual([]);
    expect(await runtime.counters('on_push', 'push')).toMatchObject({ fired: 0, dropped: 0 });
  });

  it('answers 404 for an unknown trigger name', async () => {
    const body = '{}';
    const response = await fire('nope', body, { 'x-ciclo-signature': signBody(SECRET, body) });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('answers 503 WEBHOOK_SECRET_MISSING when the secret variable is not set, and starts nothing', async () => {
    const body = '{}';
    const response = await fire('unconfigured', body, { 'x-ciclo-signature': signBody('', body) });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      error_code: 'WEBHOOK_SECRET_MISSING',
      message: expect.stringContaining('CICLO_TEST_UNSET_SECRET'),
    });
    expect(await runs()).toEqual([]);
  });

  it('answers 400 MALFORMED_REQUEST for a signed body that is not JSON', async () => {
    const body = 'not json';
    const response = await fire('push', body, { 'x-ciclo-signature': signBody(SECRET, body) });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error_code: 'MALFORMED_REQUEST' });
    expect(await runs()).toEqual([]);
  });

  it('answers 404 once the trigger runtime is stopped', async () => {
    await runtime.stop();
    const body = '{}';
    const response = await fire('push', body, { 'x-ciclo-signature': signBody(SECRET, body) });
    expect(response.status).toBe(404);
  });
});
