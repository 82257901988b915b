import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CicloContext } from '../../src/app/context.js';
import { withActor } from '../../src/governance/index.js';
import { DIALECTS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { writeServingPackage } from '../serving/support.js';

const SIGNATURE = { inputs: [{ name: 'amount', type: 'double' }], outputs: [{ name: 'score', type: 'double' }] };

/** A model of the project's own, deployed as `<project>-dep` and serving version 1. */
async function deployIn(context: CicloContext, dir: string, project: string): Promise<void> {
  const folder = join(dir, `model-${project}`);
  await writeServingPackage(
    folder,
    { 'model.mjs': 'export const load = () => 0; export const predict = (s, rows) => rows.map(() => 0);' },
    { flavor: 'js', entry: 'model.mjs', signature: SIGNATURE },
  );
  const experiment = await context.tracking.getOrCreateExperiment(`${project}-models`, project);
  const run = await context.tracking.createRun({ experimentId: experiment.experimentId });
  await context.tracking.logArtifactDirectory(run.info.runId, folder, 'model');
  await context.registry.register(`${project}-model`, { runId: run.info.runId, path: 'model' });
  await withActor({ actor: 'admin' }, async () => {
    await context.deployments.create({ name: `${project}-dep`, model: `${project}-model/1`, environment: 'dev' });
    await context.deployments.startUpdate(`${project}-dep`, 1);
    await context.deployments.markServing(`${project}-dep`, 1);
  });
}

const monitorYaml = (name: string, deployment: string) => `name: ${name}\ndeployment: ${deployment}\n`;

/**
 * Monitors over REST, attacked as in test/server/cross-project.test.ts: mallory administers `beta` only. Applying
 * is judged on the deployment the YAML names, in every way YAML can name it; a monitor of `alpha` is neither read,
 * run, deleted, listed nor replaced by a monitor of the same name.
 */
describe.each(DIALECTS)('monitor routes (%s)', (dialect) => {
  let server: TestServer;
  let mallory: string;

  beforeAll(async () => {
    server = await startTestServer(dialect, { auth: true }, { failedAuthLimits: { maxFailures: 1_000_000 } });
    const { access, monitors } = server.context;
    await access.createProject('alpha');
    await access.createProject('beta');
    await access.createUser('mallory');
    await access.grant('beta', 'mallory', 'admin');
    mallory = (await access.createToken('mallory')).token;
    const dir = server.context.config.home;
    await deployIn(server.context, dir, 'alpha');
    await deployIn(server.context, dir, 'beta');
    await withActor({ actor: 'admin' }, () => monitors.apply(monitorYaml('alpha-watch', 'alpha-dep'), 'alpha.yaml'));
  });
  afterAll(async () => server?.stop());

  const send = async (method: string, path: string, body?: unknown) => {
    const answer = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${mallory}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: answer.status, text: await answer.text() };
  };

  it('applies, runs and reads a monitor of her own project', async () => {
    const applied = await send('POST', '/api/v1/monitors', { source: monitorYaml('beta-watch', 'beta-dep') });
    expect(applied.status).toBe(200);
    expect(JSON.parse(applied.text)).toMatchObject({ name: 'beta-watch', project: 'beta', deployment: 'beta-dep' });
    const run = await send('POST', '/api/v1/monitors/beta-watch/run');
    expect(run.status).toBe(200);
    expect(JSON.parse(run.text)).toMatchObject({ status: 'no_data', rows: 0, alerts: [] });
    const results = await send('GET', '/api/v1/monitors/beta-watch/results');
    expect(JSON.parse(results.text)).toMatchObject({ items: [{ status: 'no_data' }] });
    const bad = await send('POST', '/api/v1/monitors', {
      source: 'name: beta-watch\ndeployment: beta-dep\nwindow: 3\n',
    });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', where: 'monitor.yaml:3:9' });
  });

  it("never applies a monitor to another project's deployment, however the YAML names it", async () => {
    const forms = [
      monitorYaml('m1', 'alpha-dep'),
      '{name: m2, deployment: alpha-dep}',
      'name: m3\ndeployment: "alpha-dep"\n',
      'name: m4\nx: &d alpha-dep\ndeployment: *d\n',
      'name: m5\ndeployment: beta-dep\ndeployment: alpha-dep\n',
      'name: m6\ndeployment: !!str alpha-dep\n',
      'name: m7\n"deployment": alpha-dep\n',
    ];
    for (const source of forms) {
      const answer = await send('POST', '/api/v1/monitors', { source });
      expect(answer.status, source).toBeGreaterThanOrEqual(400);
      expect(answer.status, source).toBeLessThan(500);
      expect(answer.status, source).not.toBe(200);
    }
    expect((await server.context.monitors.list()).map((monitor) => monitor.name).sort()).toEqual([
      'alpha-watch',
      'beta-watch',
    ]);
  });

  it("does not replace, read, run, delete or list alpha's monitor", async () => {
    const replaced = await send('POST', '/api/v1/monitors', { source: monitorYaml('alpha-watch', 'beta-dep') });
    expect(replaced.status).toBe(400);
    expect(replaced.text).not.toContain('alpha-dep');
    expect(replaced.text).not.toContain('"alpha"');
    for (const name of ['alpha-watch', 'ALPHA-WATCH', 'alpha-watch%20', '%20alpha-watch']) {
      for (const [method, suffix] of [
        ['GET', ''],
        ['GET', '/results'],
        ['GET', '/series?metric=window.rows'],
        ['POST', '/run'],
        ['DELETE', ''],
      ] as const) {
        const answer = await send(method, `/api/v1/monitors/${name}${suffix}`);
        expect([403, 404], `${method} ${name}${suffix}`).toContain(answer.status);
      }
    }
    const list = JSON.parse((await send('GET', '/api/v1/monitors')).text) as { items: { name: string }[] };
    expect(list.items.map((item) => item.name)).toEqual(['beta-watch']);
    expect((await server.context.monitors.show('alpha-watch')).deployment).toBe('alpha-dep');
  });
});
