import { userInfo } from 'node:os';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AlreadyExistsError,
  CorruptArtifactError,
  InvalidInputError,
  NotFoundError,
  SYSTEM_TAGS,
  type Ciclo,
  type Metric,
} from '../../src/sdk/index.js';
import { makeTempDir } from '../support/temp.js';
import { initGitRepo } from './git-repo.js';
import { MODES } from './modes.js';

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function steps(metrics: readonly Metric[]): number[] {
  return metrics.map((m) => m.step).sort((a, b) => a - b);
}

describe.each(MODES)('SDK contract ($name)', (mode) => {
  let ciclo: Ciclo;
  let artifactRoot: string;
  let stop: () => Promise<void>;
  const temp = makeTempDir('ciclo-sdk-contract-');

  beforeAll(async () => {
    ({ ciclo, artifactRoot, stop } = await mode.connect());
  });

  afterAll(async () => {
    await stop();
    temp.remove();
  });

  it('starts a run with params and tags in a named experiment, created on first use', async () => {
    const run = await ciclo.startRun({
      experiment: 'churn',
      name: 'baseline',
      params: { lr: 0.1, epochs: 10, model: 'gbt', early_stop: true },
      tags: { team: 'risk' },
      captureCode: false,
    });
    await run.end();

    const stored = await ciclo.api.getRun(run.id);
    const experiment = await ciclo.api.getExperimentByName('churn');
    expect(stored.info).toMatchObject({
      runName: 'baseline',
      experimentId: experiment.experimentId,
      status: 'FINISHED',
    });
    expect(stored.info.endTime).not.toBeNull();
    expect(stored.data.params).toEqual({ lr: '0.1', epochs: '10', model: 'gbt', early_stop: 'true' });
    expect(stored.data.tags).toMatchObject({ team: 'risk' });
    expect(stored.data.tags[SYSTEM_TAGS.gitCommit]).toBeUndefined();
  });

  it('records who ran it and the entry point, and lets the caller name the user', async () => {
    const defaulted = await ciclo.startRun({ experiment: 'who' });
    const named = await ciclo.startRun({ experiment: 'who', user: 'ana', captureCode: false });
    await defaulted.end();
    await named.end();
    const stored = await ciclo.api.getRun(defaulted.id);
    expect(stored.info.userId).toBe(userInfo().username);
    expect(stored.data.tags[SYSTEM_TAGS.user]).toBe(userInfo().username);
    expect(stored.data.tags[SYSTEM_TAGS.sourceName]).toBeTruthy();
    expect((await ciclo.api.getRun(named.id)).info.userId).toBe('ana');
  });

  it('puts runs without an experiment in the Default experiment and links child runs to their parent', async () => {
    const parent = await ciclo.startRun({ captureCode: false });
    const child = await ciclo.startRun({ parentRunId: parent.id, captureCode: false });
    await child.end();
    await parent.end();
    expect(parent.run.info.experimentId).toBe('0');
    expect((await ciclo.api.getRun(child.id)).info.parentRunId).toBe(parent.id);
  });

  it('records the git commit, the dirty flag and a diff digest that follows the working tree', async () => {
    const repo = join(temp.dir, `repo-${mode.name.replace(/\W/g, '-')}`);
    mkdirSync(repo);
    const commit = initGitRepo(repo);
    const tagsOfNewRun = async () => {
      const run = await ciclo.startRun({ experiment: 'code', codeDir: repo });
      await run.end();
      return (await ciclo.api.getRun(run.id)).data.tags;
    };

    const clean = await tagsOfNewRun();
    expect(clean).toMatchObject({
      [SYSTEM_TAGS.gitCommit]: commit,
      [SYSTEM_TAGS.gitDirty]: 'false',
      [SYSTEM_TAGS.nodeVersion]: process.versions.node,
    });
    expect(clean[SYSTEM_TAGS.gitDiffDigest]).toBeUndefined();

    writeFileSync(join(repo, 'train.py'), 'print("train harder")\n');
    const dirty = await tagsOfNewRun();
    expect(dirty).toMatchObject({ [SYSTEM_TAGS.gitCommit]: commit, [SYSTEM_TAGS.gitDirty]: 'true' });
    expect(dirty[SYSTEM_TAGS.gitDiffDigest]).toMatch(/^sha256:[0-9a-f]{64}$/);

    writeFileSync(join(repo, 'train.py'), 'print("train differently")\n');
    const dirtier = await tagsOfNewRun();
    expect(dirtier[SYSTEM_TAGS.gitDiffDigest]).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(dirtier[SYSTEM_TAGS.gitDiffDigest]).not.toBe(dirty[SYSTEM_TAGS.gitDiffDigest]);
  });

  it('sends buffered metrics in batches so that 2500 logged points all reach the history', async () => {
    const run = await ciclo.startRun({ experiment: 'batches', captureCode: false });
    for (let step = 0; step < 2500; step++) run.log({ loss: 1 / (step + 1) }, { step });
    await run.end();

    const history = await ciclo.api.getMetricHistory(run.id, 'loss');
    expect(history.items).toHaveLength(2500);
    expect(steps(history.items)).toEqual([...Array(2500).keys()]);
    expect((await ciclo.api.getRun(run.id)).info.status).toBe('FINISHED');
  });

  it('flushes by itself when a batch fills up, and within a few seconds otherwise', async () => {
    const run = await ciclo.startRun({ experiment: 'batches', captureCode: false });
    for (let step = 0; step < 1000; step++) run.log({ full: step }, { step });
    await vi.waitFor(async () => expect((await ciclo.api.getMetricHistory(run.id, 'full')).items).toHaveLength(1000), {
      timeout: 5000,
    });

    run.log({ lonely: 1 });
    await vi.waitFor(async () => expect((await ciclo.api.getMetricHistory(run.id, 'lonely')).items).toHaveLength(1), {
      timeout: 5000,
    });
    await run.end();
  });

  it('round-trips NaN and ±Infinity', async () => {
    const run = await ciclo.startRun({ experiment: 'numbers', captureCode: false });
    run.log(
      { nan: Number.NaN, inf: Number.POSITIVE_INFINITY, ninf: Number.NEGATIVE_INFINITY, negative: -0.5 },
      { step: 3 },
    );
    await run.end();

    const latest = Object.fromEntries((await ciclo.api.getRun(run.id)).data.metrics.map((m) => [m.key, m.value]));
    expect(latest).toEqual({
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      ninf: Number.NEGATIVE_INFINITY,
      negative: -0.5,
    });
    const [nan] = (await ciclo.api.getMetricHistory(run.id, 'nan')).items;
    expect(nan).toMatchObject({ value: Number.NaN, step: 3 });
  });

  it('carries experiment names and metric keys that hold slashes and spaces', async () => {
    const run = await ciclo.startRun({ experiment: 'team/churn model', captureCode: false });
    run.log({ 'train/loss': 0.25 }, { step: 1 });
    await run.setTags({ 'stage/name': 'eval set' });
    await run.end();

    expect((await ciclo.api.getExperimentByName('team/churn model')).experimentId).toBe(run.run.info.experimentId);
    expect((await ciclo.api.getMetricHistory(run.id, 'train/loss')).items).toMatchObject([
      { key: 'train/loss', value: 0.25, step: 1 },
    ]);
    expect((await ciclo.api.getRun(run.id)).data.tags).toMatchObject({ 'stage/name': 'eval set' });
  });

  it('searches experiments and runs and reads metric history a page at a time, with every option', async () => {
    const { api } = ciclo;
    const first = await api.createExperiment({ name: 'paged-a' });
    const second = await api.createExperiment({ name: 'paged-b' });
    const experiments = { filter: "name LIKE 'paged-%'", orderBy: ['name ASC'], maxResults: 1 };
    const page1 = await api.searchExperiments(experiments);
    expect(page1.items.map((e) => e.experimentId)).toEqual([first.experimentId]);
    const page2 = await api.searchExperiments({ ...experiments, pageToken: page1.nextPageToken });
    expect(page2.items).toEqual([second]);
    expect((await api.searchExperiments({ filter: experiments.filter, viewType: 'DELETED_ONLY' })).items).toEqual([]);

    const parent = await api.createRun({ experimentId: first.experimentId, runName: 'parent', startTime: 1000 });
    const parentRunId = parent.info.runId;
    const child = await api.createRun({ experimentId: first.experimentId, parentRunId, startTime: 2000 });
    expect(child.info).toMatchObject({ parentRunId, startTime: 2000, experimentId: first.experimentId });
    const ended = await api.updateRun(child.info.runId, { status: 'FINISHED', endTime: 3000, runName: 'child' });
    expect(ended).toMatchObject({ runId: child.info.runId, runName: 'child', status: 'FINISHED', endTime: 3000 });
    const runs = { experimentIds: [first.experimentId], orderBy: ['start_time DESC'], maxResults: 1 };
    const newest = await api.searchRuns(runs);
    expect(newest.items.map((r) => r.info.runId)).toEqual([child.info.runId]);
    const older = await api.searchRuns({ ...runs, pageToken: newest.nextPageToken });
    expect(older.items.map((r) => r.info.runId)).toEqual([parent.info.runId]);
    await api.deleteRun(parent.info.runId);
    const deleted = await api.searchRuns({ experimentIds: [first.experimentId], runViewType: 'DELETED_ONLY' });
    expect(deleted.items.map((r) => r.info.runId)).toEqual([parent.info.runId]);

    const metrics = [1, 2, 3].map((step) => ({ key: 'loss', value: 1 / step, timestamp: step, step }));
    await api.logBatch(child.info.runId, { metrics });
    const history1 = await api.getMetricHistory(child.info.runId, 'loss', { maxResults: 2 });
    expect(history1.items).toEqual(metrics.slice(0, 2));
    const { nextPageToken } = history1;
    const history2 = await api.getMetricHistory(child.info.runId, 'loss', { maxResults: 2, pageToken: nextPageToken });
    expect(history2).toEqual({ items: metrics.slice(2) });
  });

  it('records the datasets a run read, with their source type', async () => {
    const run = await ciclo.startRun({ experiment: 'inputs', captureCode: false });
    const dataset = { name: 'customers', digest: 'sha256:1', context: 'eval', sourceType: 's3', source: 's3://b/c' };
    await run.logInput(dataset);
    await run.end();
    expect((await ciclo.api.getRun(run.id)).inputs).toEqual([dataset]);
  });

  it('withRun ends the run FINISHED and returns what the function returns', async () => {
    let runId = '';
    const result = await ciclo.withRun({ experiment: 'with-run', captureCode: false }, async (run) => {
      runId = run.id;
      run.log({ acc: 0.9 });
      return 42;
    });
    expect(result).toBe(42);
    const stored = await ciclo.api.getRun(runId);
    expect(stored.info.status).toBe('FINISHED');
    expect(stored.data.metrics.map((m) => m.key)).toEqual(['acc']);
  });

  it('withRun marks the run FAILED and rethrows the original error', async () => {
    const boom = new Error('diverged');
    let runId = '';
    await expect(
      ciclo.withRun({ experiment: 'with-run', captureCode: false }, async (run) => {
        runId = run.id;
        run.log({ loss: Number.NaN });
        throw boom;
      }),
    ).rejects.toBe(boom);
    const stored = await ciclo.api.getRun(runId);
    expect(stored.info.status).toBe('FAILED');
    expect(stored.data.metrics.map((m) => m.key)).toEqual(['loss']);
  });

  it('logs a file and a folder, then lists and opens them', async () => {
    const local = join(temp.dir, `artifacts-${mode.name.replace(/\W/g, '-')}`);
    mkdirSync(join(local, 'model', 'config'), { recursive: true });
    writeFileSync(join(local, 'report.txt'), 'auc 0.91\n');
    writeFileSync(join(local, 'model', 'weights.bin'), Buffer.alloc(4096, 7));
    writeFileSync(join(local, 'model', 'config', 'params.json'), '{"depth":6}');

    const run = await ciclo.startRun({ experiment: 'artifacts', captureCode: false });
    await run.logArtifact(join(local, 'report.txt'));
    await run.logArtifact(join(local, 'model'));
    await run.logArtifact(join(local, 'report.txt'), 'reports/final.txt');
    await run.end();

    expect(await ciclo.api.listArtifacts(run.id)).toEqual([
      { path: 'model', isDir: true },
      { path: 'report.txt', isDir: false, fileSize: 9 },
      { path: 'reports', isDir: true },
    ]);
    expect(await ciclo.api.listArtifacts(run.id, 'model')).toEqual([
      { path: 'model/config', isDir: true },
      { path: 'model/weights.bin', isDir: false, fileSize: 4096 },
    ]);
    expect(await readAll(await ciclo.api.openArtifact(run.id, 'model/config/params.json'))).toBe('{"depth":6}');
    expect(await readAll(await ciclo.api.openArtifact(run.id, 'reports/final.txt'))).toBe('auc 0.91\n');
    await expect(ciclo.api.openArtifact(run.id, 'missing.txt')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses to change a param, with the same error class in every mode', async () => {
    const run = await ciclo.startRun({ experiment: 'errors', params: { lr: 0.1 }, captureCode: false });
    await run.logParams({ lr: 0.1 });
    const refusal = run.logParams({ lr: 0.2 });
    await expect(refusal).rejects.toBeInstanceOf(InvalidInputError);
    await expect(refusal).rejects.toThrow(/immutable/);
    await run.end();
    expect((await ciclo.api.getRun(run.id)).data.params).toEqual({ lr: '0.1' });
  });

  it('reports missing and duplicate resources with the same error classes in every mode', async () => {
    await expect(ciclo.api.getRun('0123456789abcdef0123456789abcdef')).rejects.toBeInstanceOf(NotFoundError);
    await expect(ciclo.api.getExperimentByName('no-such-experiment')).rejects.toBeInstanceOf(NotFoundError);
    await ciclo.api.createExperiment({ name: 'twice' });
    const duplicate = ciclo.api.createExperiment({ name: 'twice' });
    await expect(duplicate).rejects.toBeInstanceOf(AlreadyExistsError);
    await expect(duplicate).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS', details: { where: 'name' } });
  });

  it('reports a failed flush at the next call instead of swallowing it', async () => {
    const run = await ciclo.startRun({ experiment: 'errors', captureCode: false });
    await ciclo.api.deleteRun(run.id);
    run.log({ lost: 1 });
    await expect(run.flush()).rejects.toBeInstanceOf(InvalidInputError);
    await expect(run.flush()).resolves.toBeUndefined();

    for (let step = 0; step < 1000; step++) run.log({ lost: step }, { step });
    await vi.waitFor(() => expect(() => run.log({ lost: 0 })).toThrow(InvalidInputError), { timeout: 5000 });

    await run.flush().catch(() => undefined);
    await ciclo.api.restoreRun(run.id);
    await run.end();
  });

  it('refuses a malformed metric key where it is logged', async () => {
    const run = await ciclo.startRun({ experiment: 'errors', captureCode: false });
    expect(() => run.log({ '../escape': 1 })).toThrow(InvalidInputError);
    expect(() => run.log({ ok: 1 }, { step: 1.5 })).toThrow(InvalidInputError);
    await run.end();
    expect((await ciclo.api.getRun(run.id)).data.metrics).toEqual([]);
  });

  it('fails to read an artifact whose stored bytes were altered', async () => {
    const local = join(temp.dir, `tampered-${mode.name.replace(/\W/g, '-')}.txt`);
    writeFileSync(local, `original content for ${mode.name}\n`);
    const run = await ciclo.startRun({ experiment: 'artifacts', captureCode: false });
    const { digest } = await ciclo.api.logArtifactFile(run.id, local, 'tampered.txt');
    await run.end();

    const hex = digest.slice('sha256:'.length);
    const blob = join(artifactRoot, 'sha256', hex.slice(0, 2), hex.slice(2));
    chmodSync(blob, 0o644);
    writeFileSync(blob, `ORIGINAL content for ${mode.name}\n`);
    // Embedded mode fails while reading; the server finds a one-chunk file corrupt before it answers.
    const read = async () => readAll(await ciclo.api.openArtifact(run.id, 'tampered.txt'));
    await expect(read()).rejects.toBeInstanceOf(CorruptArtifactError);
  });
});
