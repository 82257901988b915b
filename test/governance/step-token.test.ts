import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stepPrincipal } from '../../src/governance/index.js';
import { workDirIn, compile } from '../pipelines/support/scheduler.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * A server with authentication on gives the steps of the runs it starts a token of its own, held in
 * memory: a step logs to the server through it, and can neither approve nor administer.
 */
describe('the steps of a server with authentication on', () => {
  let server: TestServer;
  let secret: string;
  let workDir: string;
  beforeEach(async () => {
    const steps = stepPrincipal();
    secret = steps.secret;
    server = await startTestServer(
      'sqlite',
      { auth: true },
      { ephemeralPrincipals: new Map([[steps.secret, steps.principal]]) },
    );
    workDir = await workDirIn(server.context.config.home);
    await writeFile(
      path.join(workDir, 'train.ts'),
      'export async function train(ctx: { run(): Promise<{ log(m: Record<string, number>): void }> }) {\n' +
        '  const run = await ctx.run();\n  run.log({ auc: 0.91 });\n' +
        // What the step may not do: administer the server.
        '  const users = await fetch(`${process.env.CICLO_TRACKING_URI}/api/v1/users`, {\n' +
        '    headers: { authorization: `Bearer ${process.env.CICLO_TOKEN}` },\n' +
        '  });\n' +
        '  run.log({ users_status: users.status });\n' +
        '  await fetch(`${process.env.CICLO_TRACKING_URI}/api/v1/runs/${process.env.CICLO_RUN_ID}/tags/who`, {\n' +
        "    method: 'PUT',\n" +
        "    headers: { authorization: `Bearer ${process.env.CICLO_TOKEN}`, 'content-type': 'application/json' },\n" +
        "    body: JSON.stringify({ value: 'step' }),\n" +
        '  });\n}\n',
    );
  });
  afterEach(async () => {
    await server.stop();
  });

  const pipeline = () => ({
    definition: compile({ name: 'logs', steps: [{ name: 'train', kind: 'ts', module: 'train.ts', export: 'train' }] }),
    workDir,
  });

  it('log through the server with the server’s token, as `pipelines`, and are refused admin routes', async () => {
    const { pipelines, tracking, audit } = server.context;
    pipelines.setStepTrackingUri(server.url, secret);
    const { pipelineRunId, status } = await pipelines.run(pipeline());
    expect(status).toBe('SUCCEEDED');
    const step = (await pipelines.getRun(pipelineRunId)).steps[0]!;
    const metrics = Object.fromEntries((await tracking.getRun(step.run_id!)).data.metrics.map((m) => [m.key, m.value]));
    expect(metrics).toEqual({ auc: 0.91, users_status: 403 });
    // What the step changed over HTTP is the `pipelines` actor's in the audit log, and so is its refused
    // attempt at an admin route (GET /api/v1/users, on the server itself).
    const entries = await audit.list({ actor: 'pipelines' });
    expect(entries.map((e) => `${e.action} ${e.target.type}:${e.target.id}`)).toEqual([
      'access.admin.refused server:*',
      `run.tag.set run_tag:${step.run_id}/who`,
    ]);
  });

  it('fail to log without it', async () => {
    const { pipelines } = server.context;
    pipelines.setStepTrackingUri(server.url);
    const { pipelineRunId, status } = await pipelines.run(pipeline());
    expect(status).toBe('FAILED');
    const log = await readFile(pipelines.logFile(pipelineRunId, 'train', 1), 'utf8');
    expect(log).toContain('this server needs an API token');
  });
});
