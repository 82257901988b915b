import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteEntry } from '../../src/governance/index.js';
import { DIALECTS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { runWithPackage } from '../registry/support.js';
import { COLUMN_SIGNATURE, perColumnGraph, writeServingPackage } from '../serving/support.js';

/**
 * An attacker's view of access control: an attacker with roles in some projects sends every route
 * of the server's table requests that name her own resources and someone else's at once, in every form the server
 * accepts (run_id and run_uuid, body and query, repeated query keys, ids as numbers and padded strings, every model
 * source form, MLflow artifact paths, no id at all under her own project header). Whatever each request answers,
 * nothing of the projects she has no role in may change, and no successful answer may carry their secrets or ids.
 */

interface Side {
  project: string;
  experimentId: string;
  experimentName: string;
  runId: string;
  artifactUri: string;
  model: string;
  secret: string;
}

type Query = [string, string][];
interface Attempt {
  method: string;
  path: string;
  query: Query;
  body: unknown;
  label: string;
}

const FIELDS = [
  'run_id',
  'run_uuid',
  'experiment_id',
  'experiment_name',
  'name',
  'version',
  'alias',
  'key',
  'value',
  'metric_key',
  'path',
  'source',
  'node',
  'view',
] as const;

async function makeSide(server: TestServer, project: string): Promise<Side> {
  const { tracking } = server.context;
  const experimentName = `${project}-experiment`;
  await tracking.getOrCreateExperiment(experimentName, project);
  const runId = await runWithPackage(server.context, server.context.config.home, {
    experiment: experimentName,
    content: project,
  });
  const secret = `SECRET-${project}`;
  await tracking.logBatch(runId, {
    params: [{ key: 'secret', value: secret }],
    tags: [{ key: 'secret', value: secret }],
    metrics: [{ key: `secret_${project}`, value: 1 }],
  });
  const run = await tracking.getRun(runId);
  const model = `${project}-model`;
  const registry = server.context.registry;
  await registry.register(model, { runId, path: 'model', description: secret });
  await registry.setAlias(model, 'champion', 1);
  return {
    project,
    experimentId: run.info.experimentId,
    experimentName,
    runId,
    artifactUri: run.info.artifactUri,
    model,
    secret,
  };
}

/**
 * A servable model `<project>-scorer` (champion on 1) in the project, a deployment `<project>-live`
 * following it and one `<project>-gone` that was deleted (its history stays).
 */
async function deployInProject(server: TestServer, project: string): Promise<void> {
  const { tracking, registry, deployments } = server.context;
  const experiment = await tracking.getOrCreateExperiment(`${project}-serving`, project);
  const run = await tracking.createRun({ experimentId: experiment.experimentId });
  const folder = `${server.context.config.home}/${project}-scorer`;
  await writeServingPackage(
    folder,
    { 'model.onnx': perColumnGraph(2) },
    { flavor: 'onnx', entry: 'model.onnx', signature: COLUMN_SIGNATURE },
  );
  await tracking.logArtifactDirectory(run.info.runId, folder, 'model');
  await registry.register(`${project}-scorer`, { runId: run.info.runId, path: 'model' });
  await registry.setAlias(`${project}-scorer`, 'champion', 1);
  for (const name of [`${project}-live`, `${project}-gone`]) {
    await deployments.create({ name, model: `${project}-scorer@champion`, environment: 'staging' });
  }
  await deployments.delete(`${project}-gone`, 'retired');
}

/** Everything of a victim's project that a request could change. */
async function snapshot(server: TestServer, side: Side): Promise<string> {
  const { tracking } = server.context;
  const registry = server.context.registry;
  const experiments = await tracking.searchExperiments({ projects: [side.project], viewType: 'ALL', maxResults: 1000 });
  const ids = experiments.items.map((e) => e.experimentId);
  const runs = await tracking.searchRuns({ experimentIds: ids, runViewType: 'ALL', maxResults: 1000 });
  const models = await registry.searchModels({ projects: [side.project], maxResults: 1000 });
  const versions = await Promise.all(models.items.map((m) => registry.versions(m.name)));
  const artifacts = await Promise.all(
    runs.items.map(async (r) => [
      await tracking.listArtifacts(r.info.runId),
      await tracking.listArtifacts(r.info.runId, 'model'),
    ]),
  );
  return JSON.stringify({
    experiments: experiments.items.map((e) => ({ ...e, lastUpdateTime: undefined })),
    runs: runs.items,
    models: models.items.map((m) => ({ ...m, updatedTime: undefined })),
    versions: versions.map((list) => list.map((v) => ({ ...v, updatedTime: undefined }))),
    artifacts,
  });
}

/** The route's path with its parameters filled from one side (and `*` as given). */
function fill(route: RouteEntry, side: Side, star: string): string {
  return route.url.replace(/:([A-Za-z_]+)|\*/g, (match, name: string | undefined) => {
    const value =
      match === '*'
        ? star
        : name === 'experimentId'
          ? side.experimentId
          : name === 'runId'
            ? side.runId
            : name === 'name'
              ? route.url.includes('/experiments/')
                ? side.experimentName
                : route.url.includes('/datasets/')
                  ? `${side.project}-data`
                  : side.model
              : name === 'version'
                ? '1'
                : name === 'project'
                  ? side.project
                  : name === 'alias'
                    ? 'champion'
                    : name === 'user'
                      ? 'someone-else'
                      : 'x';
    return match === '*' ? value : encodeURIComponent(value);
  });
}

/** The fields of a request naming one side's resources. */
function fieldsOf(side: Side): Record<(typeof FIELDS)[number], string> {
  return {
    run_id: side.runId,
    run_uuid: side.runId,
    experiment_id: side.experimentId,
    experiment_name: side.experimentName,
    name: side.model,
    version: '1',
    alias: 'champion',
    key: 'k',
    value: 'v',
    metric_key: `secret_${side.project}`,
    path: `${side.experimentId}/${side.runId}/artifacts`,
    source: `runs:/${side.runId}/model`,
    node: `run:${side.runId}`,
    view: `${side.project}-view`,
  };
}

/** Every mixed request for one route: the attacker's own side `own` against a victim `victim`. */
function attempts(route: RouteEntry, own: Side, victim: Side): Attempt[] {
  const mlflowArtifacts = route.url.includes('mlflow-artifacts');
  const star = (side: Side) =>
    mlflowArtifacts ? `${side.experimentId}/${side.runId}/artifacts/model/model.json` : 'model/model.json';
  const mine = fieldsOf(own);
  const theirs = fieldsOf(victim);
  const extras = {
    experiment_ids: [own.experimentId],
    experimentIds: [own.experimentId],
    experimentId: own.experimentId,
    new_name: own.model,
    status: 'FINISHED',
    metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }],
    timestamp: 1,
    stages: ['None'],
    datasets: [],
    entities: [],
  };
  const list: Attempt[] = [];
  const add = (
    label: string,
    fields: Record<string, unknown>,
    options: { path?: Side; star?: string; query?: Query } = {},
  ) => {
    const path = fill(route, options.path ?? own, options.star ?? star(options.path ?? own));
    const query: Query =
      options.query ?? Object.entries(fields).filter((e): e is [string, string] => typeof e[1] === 'string');
    // An upload's body is the file itself: it carries no ids (else reading it back would look like a leak).
    const upload = route.method === 'PUT' && route.url.endsWith('/artifacts/*');
    const body = upload
      ? 'bytes of the attacker'
      : ['POST', 'PUT', 'PATCH', 'DELETE'].includes(route.method)
        ? { ...extras, ...fields }
        : undefined;
    list.push({ method: route.method, path, query, body, label });
  };

  add(
    'every id names the victim',
    {
      ...theirs,
      experiment_ids: [victim.experimentId],
      experimentIds: [victim.experimentId],
      experimentId: victim.experimentId,
    },
    { path: victim },
  );
  add('empty run_id, victim run_uuid', { ...mine, run_id: '', run_uuid: victim.runId });
  add('own run_id, victim run_uuid', { ...mine, run_uuid: victim.runId });
  add('victim run_id, own run_uuid', { ...mine, run_id: victim.runId, run_uuid: own.runId });
  for (const source of [
    `runs:/${victim.runId}/model`,
    `runs://${victim.runId}/model`,
    `runs:///${victim.runId}/model`,
    `mlflow-artifacts:/${victim.experimentId}/${victim.runId}/artifacts/model`,
    `mlflow-artifacts:/${own.experimentId}/${victim.runId}/artifacts/model`,
    `mlflow-artifacts://host:5000/${victim.experimentId}/${victim.runId}/artifacts/model`,
    `${victim.artifactUri}/model`,
  ]) {
    add(`source ${source}, no run_id`, { ...mine, run_id: '', source });
    add(`source ${source}, own run_id`, { ...mine, source });
  }
  add('body names own, query names the victim', mine, { query: Object.entries(theirs) });
  add('empty body, query names the victim', {}, { query: Object.entries(theirs) });
  add('query repeats each key, own then victim', mine, {
    query: FIELDS.flatMap((f): Query => [
      [f, mine[f]],
      [f, theirs[f]],
    ]),
  });
  for (const id of [
    Number(victim.experimentId),
    `0${victim.experimentId}`,
    `${victim.experimentId}.0`,
    ` ${victim.experimentId}`,
    `+${victim.experimentId}`,
  ]) {
    add(`experiment id ${JSON.stringify(id)}`, {
      ...mine,
      experiment_id: id,
      experiment_ids: [id],
      experimentIds: [id],
      experimentId: id,
    });
  }
  add('experiment ids nested', {
    ...mine,
    experiment_ids: [[victim.experimentId]],
    experimentIds: [[victim.experimentId]],
  });
  add('experiment ids as one string', {
    ...mine,
    experiment_ids: victim.experimentId,
    experimentIds: victim.experimentId,
  });
  add('no ids at all', {}, { query: [] });
  if (mlflowArtifacts) {
    add('proxied path: own experiment, victim run', mine, {
      star: `${own.experimentId}/${victim.runId}/artifacts/model/model.json`,
    });
    add('proxied path: doubled slash', mine, {
      star: `${own.experimentId}//${victim.runId}/artifacts/model/model.json`,
    });
    add('proxied list of the victim run under own experiment', {
      ...mine,
      path: `${own.experimentId}/${victim.runId}/artifacts`,
    });
  }
  return list;
}

async function send(server: TestServer, token: string, attempt: Attempt): Promise<{ status: number; text: string }> {
  const query = new URLSearchParams(attempt.query).toString();
  const response = await fetch(`${server.url}${attempt.path}${query ? `?${query}` : ''}`, {
    method: attempt.method,
    headers: {
      authorization: `Bearer ${token}`,
      'x-ciclo-project': 'beta',
      ...(attempt.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(attempt.body === undefined ? {} : { body: JSON.stringify(attempt.body) }),
  });
  return { status: response.status, text: await response.text() };
}

/**
 * Two attackers: mallory administers `beta` only (her requests must not reach `default` or
 * `alpha`); mallet also administers `default`, where a request that names nothing valid used to be
 * judged, so the ambiguous forms that fall back to `default` must not reach `alpha` either.
 */
const ATTACKERS = [
  { user: 'mallory', projects: ['beta'], victims: ['default', 'alpha'] },
  { user: 'mallet', projects: ['beta', 'default'], victims: ['alpha'] },
] as const;

describe.each(DIALECTS)('cross-project attempts with ambiguous identifiers, on %s', (dialect) => {
  let server: TestServer;
  const tokens: Record<string, string> = {};
  let own: Side;
  const sides: Record<string, Side> = {};

  beforeAll(async () => {
    server = await startTestServer(dialect, { auth: true }, { failedAuthLimits: { maxFailures: 1_000_000 } });
    const { access } = server.context;
    await access.createProject('alpha');
    await access.createProject('beta');
    for (const attacker of ATTACKERS) {
      await access.createUser(attacker.user);
      for (const project of attacker.projects) await access.grant(project, attacker.user, 'admin');
      tokens[attacker.user] = (await access.createToken(attacker.user)).token;
    }
    for (const project of ['default', 'alpha']) sides[project] = await makeSide(server, project);
    own = await makeSide(server, 'beta');
  });
  afterAll(async () => {
    await server.stop();
  });

  it('still lets the attacker work on her own project in the same forms', async () => {
    const token = tokens.mallory!;
    const answer = await send(server, token, {
      method: 'GET',
      path: '/api/2.0/mlflow/runs/get',
      query: [
        ['run_id', ''],
        ['run_uuid', own.runId],
      ],
      body: undefined,
      label: '',
    });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain(own.secret);
    const created = await send(server, token, {
      method: 'POST',
      path: '/api/2.0/mlflow/model-versions/create',
      query: [],
      body: { name: own.model, source: `runs://${own.runId}/model` },
      label: '',
    });
    // The same package is not registered twice: the answer is the existing version 1 or a new one, never a refusal.
    expect(created.status).toBe(200);
  });

  it.each(ATTACKERS)(
    'changes nothing of another project and shows none of it, whatever form $user sends',
    async (attacker) => {
      const token = tokens[attacker.user]!;
      const victims = attacker.victims.map((project) => sides[project]!);
      const before = await Promise.all(victims.map((victim) => snapshot(server, victim)));
      const leaks: string[] = [];
      const errors: string[] = [];
      let sent = 0;
      // MLflow's /ajax-api twin mounts the same plugins as /api/2.0: walking one of them is enough here.
      const routes = server.routes.filter(
        (r) =>
          r.method !== 'HEAD' &&
          r.method !== 'OPTIONS' &&
          !r.url.startsWith('/ajax-api/') &&
          !(r.access !== undefined && 'public' in r.access),
      );
      for (const route of routes) {
        for (const victim of victims) {
          for (const attempt of attempts(route, own, victim)) {
            const answer = await send(server, token, attempt);
            sent += 1;
            const request = `${attempt.method} ${route.url} [${attempt.label}]`;
            const where = `${request} against ${victim.project}: ${answer.status}`;
            if (answer.status >= 500) errors.push(`${where} ${answer.text.slice(0, 200)}`);
            const shown = [victim.secret, victim.runId, `secret_${victim.project}`].filter((value) =>
              answer.text.includes(value),
            );
            if (answer.status < 300 && shown.length > 0) leaks.push(`${where} shows ${shown.join(', ')}`);
          }
        }
      }
      const after = await Promise.all(victims.map((victim) => snapshot(server, victim)));
      expect(sent).toBeGreaterThan(500);
      const changed = victims.filter((_, i) => after[i] !== before[i]).map((victim) => victim.project);
      expect({ errors, leaks, changed }).toEqual({ errors: [], leaks: [], changed: [] });
    },
    240_000,
  );

  // Deployments are judged in the project of the model they serve; a deleted one keeps its project for its history.
  it.each(ATTACKERS)("keeps the deployments of alpha out of $user's reach, deleted ones included", async (attacker) => {
    if ((await server.context.deployments.list(['alpha'])).length === 0) await deployInProject(server, 'alpha');
    const token = tokens[attacker.user]!;
    const call = (method: string, path: string, body?: unknown) =>
      send(server, token, { method, path, query: [], body, label: '' });
    const before = JSON.stringify(await server.context.deployments.history('alpha-live'));

    const refused: string[] = [];
    const expectRefused = async (method: string, path: string, body?: unknown) => {
      const answer = await call(method, path, body);
      if (answer.status < 400 || answer.status >= 500) refused.push(`${method} ${path}: ${answer.status}`);
    };
    for (const model of [
      'alpha-scorer@champion',
      'alpha-scorer/1',
      ' alpha-scorer@champion',
      'alpha-scorer@champion ',
    ]) {
      await expectRefused('POST', '/api/v1/deployments', { name: 'stolen', model, environment: 'staging' });
    }
    for (const name of ['alpha-live', 'alpha-gone', 'ALPHA-LIVE', 'alpha-live%20']) {
      await expectRefused('GET', `/api/v1/deployments/${name}`);
      await expectRefused('GET', `/api/v1/deployments/${name}/history`);
      await expectRefused('POST', `/api/v1/deployments/${name}/promote`, { version: 1 });
      await expectRefused('POST', `/api/v1/deployments/${name}/rollback`, {});
      await expectRefused('DELETE', `/api/v1/deployments/${name}`);
      await expectRefused('POST', `/serve/${name}/invocations`, { inputs: [[1, 2]] });
    }
    expect(refused).toEqual([]);

    const listed = await call('GET', '/api/v1/deployments');
    expect(listed.status).toBe(200);
    expect(listed.text).not.toContain('alpha-');
    expect(JSON.stringify(await server.context.deployments.history('alpha-live'))).toBe(before);
    await expect(server.context.deployments.show('stolen')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });
});
