import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataEngine } from '../../src/data/duckdb.js';
import { SqliteOnlineStore, materialize } from '../../src/features/index.js';
import { digestOf, type AuditRecord } from '../../src/governance/index.js';
import { definePipeline } from '../../src/pipelines/index.js';
import { iso, pathView, writeCsv } from '../features/support.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { DIALECTS } from '../support/databases.js';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

describe.each(DIALECTS)('audit appends from tracking, datasets, pipelines and features on %s', (dialect) => {
  let test: TestContext;
  /** The chain's head before the change under test: entries after it are the change's. */
  let mark: number;

  beforeEach(async () => {
    test = await openTestContext(dialect);
    mark = (await test.context.audit.head()).seq;
  });
  afterEach(async () => {
    expect(await test.context.audit.verify()).toMatchObject({ ok: true });
    await test.drop();
  });

  /** The entries appended since the last call (or the start), as `action target` strings, with the records. */
  async function appended(): Promise<{ lines: string[]; records: AuditRecord[] }> {
    const records = await test.context.audit.list({ after: mark, limit: 1000 });
    mark = records.at(-1)?.seq ?? mark;
    return { lines: records.map((entry) => `${entry.action} ${entry.target.type}:${entry.target.id}`), records };
  }

  it('records experiment create, rename, tag set and delete, delete and restore', async () => {
    const { tracking } = test.context;
    const experiment = await tracking.createExperiment({ name: 'churn', tags: { team: 'risk' } });
    const id = experiment.experimentId;
    const created = await appended();
    expect(created.lines).toEqual([`experiment.create experiment:${id}`]);
    expect(created.records[0]).toMatchObject({ beforeDigest: null, afterDigest: digestOf(experiment) });

    await tracking.renameExperiment(id, 'churn-v2');
    const renamed = await appended();
    expect(renamed.lines).toEqual([`experiment.rename experiment:${id}`]);
    expect(renamed.records[0]!.beforeDigest).toBe(digestOf(experiment));
    expect(renamed.records[0]!.afterDigest).toBe(digestOf(await tracking.getExperiment(id)));

    await tracking.setExperimentTag(id, 'owner', 'ana');
    await tracking.setExperimentTag(id, 'owner', 'bo');
    await tracking.deleteExperimentTag(id, 'owner');
    await expect(tracking.deleteExperimentTag(id, 'owner')).rejects.toThrow(/has no tag 'owner'/);
    const tags = await appended();
    expect(tags.lines).toEqual([
      `experiment.tag.set experiment_tag:${id}/owner`,
      `experiment.tag.set experiment_tag:${id}/owner`,
      `experiment.tag.delete experiment_tag:${id}/owner`,
    ]);
    expect(tags.records.map((entry) => [entry.beforeDigest, entry.afterDigest])).toEqual([
      [null, digestOf({ key: 'owner', value: 'ana' })],
      [digestOf({ key: 'owner', value: 'ana' }), digestOf({ key: 'owner', value: 'bo' })],
      [digestOf({ key: 'owner', value: 'bo' }), null],
    ]);

    await tracking.deleteExperiment(id);
    await tracking.restoreExperiment(id);
    const stages = await appended();
    expect(stages.lines).toEqual([`experiment.delete experiment:${id}`, `experiment.restore experiment:${id}`]);
    expect(
      stages.records.every((entry) => DIGEST.test(entry.beforeDigest ?? '') && DIGEST.test(entry.afterDigest ?? '')),
    ).toBe(true);
  });

  it('records run create, tag set and delete, end, delete and restore, but not logged values', async () => {
    const { tracking } = test.context;
    const run = await tracking.createRun({ experimentId: '0', runName: 'fit' });
    const runId = run.info.runId;
    const created = await appended();
    expect(created.lines).toEqual([`run.create run:${runId}`]);
    expect(created.records[0]).toMatchObject({ beforeDigest: null, afterDigest: expect.stringMatching(DIGEST) });

    // Metrics, params and batched tags are the hot path: no entries.
    await tracking.logBatch(runId, {
      metrics: [{ key: 'auc', value: 0.9 }],
      params: [{ key: 'lr', value: '0.1' }],
      tags: [{ key: 'a', value: '1' }],
    });
    await tracking.logMetric(runId, { key: 'auc', value: 0.91, step: 1 });
    await tracking.updateRun(runId, { status: 'RUNNING' });
    expect((await appended()).lines).toEqual([]);

    await tracking.setTag(runId, 'team', 'growth');
    await tracking.deleteTag(runId, 'team');
    const tags = await appended();
    expect(tags.lines).toEqual([`run.tag.set run_tag:${runId}/team`, `run.tag.delete run_tag:${runId}/team`]);
    expect(tags.records[0]!.afterDigest).toBe(digestOf({ key: 'team', value: 'growth' }));
    expect(tags.records[1]).toMatchObject({
      beforeDigest: digestOf({ key: 'team', value: 'growth' }),
      afterDigest: null,
    });

    await tracking.updateRun(runId, { status: 'FINISHED' });
    // Ending it again is no change.
    await tracking.updateRun(runId, { status: 'FINISHED', runName: 'fit-2' });
    const ended = await appended();
    expect(ended.lines).toEqual([`run.end run:${runId}`]);
    expect(ended.records[0]!.details).toEqual({ status: 'FINISHED' });

    await tracking.deleteRun(runId);
    await tracking.restoreRun(runId);
    expect((await appended()).lines).toEqual([`run.delete run:${runId}`, `run.restore run:${runId}`]);
  });

  it('leaves no entry for a change that is refused', async () => {
    const { tracking } = test.context;
    const run = await tracking.createRun({ experimentId: '0' });
    await appended();
    await tracking.deleteRun(run.info.runId);
    await appended();
    await expect(tracking.setTag(run.info.runId, 'team', 'x')).rejects.toThrow(/is deleted/);
    await expect(tracking.deleteTag(run.info.runId, 'nope')).rejects.toThrow(/is deleted/);
    await expect(tracking.updateRun(run.info.runId, { status: 'FAILED' })).rejects.toThrow(/is deleted/);
    await expect(tracking.createExperiment({ name: 'Default' })).rejects.toThrow(/already exists/);
    expect((await appended()).lines).toEqual([]);
  });

  it('records a new dataset version once, not a re-registration of the same content', async () => {
    const file = join(test.dir, 'customers.csv');
    writeFileSync(file, 'id,age\n1,30\n2,40\n');
    const { version } = await test.context.datasets.register('customers', file);
    await test.context.datasets.register('customers', file);
    const { lines, records } = await appended();
    expect(lines).toEqual(['dataset.version.register dataset_version:customers@1']);
    expect(records[0]).toMatchObject({
      beforeDigest: null,
      afterDigest: digestOf(version),
      details: { digest: version.digest, rowCount: 2 },
    });
  });

  it('records a pipeline run started by a trigger, and its cancel request', async () => {
    const { pipelines } = test.context;
    const definition = definePipeline({
      name: 'nightly',
      steps: [{ name: 'wait', kind: 'command', command: ['sleep', '30'] }],
    });
    const id = await pipelines.start(
      { definition, workDir: test.dir },
      { trigger: { name: 'every-night', type: 'cron', payload: { at: 'x' } } },
    );
    const started = await appended();
    // The pipeline run's own tracked run (and its experiment) are recorded by tracking first.
    const experiment = await test.context.tracking.getExperimentByName('nightly');
    expect(started.lines).toEqual([
      `experiment.create experiment:${experiment.experimentId}`,
      `run.create run:${id}`,
      `pipeline.run.start pipeline_run:${id}`,
    ]);
    const start = started.records.at(-1)!;
    expect(start.beforeDigest).toBeNull();
    expect(start.afterDigest).toMatch(DIGEST);
    expect(start.details).toEqual({ pipeline: 'nightly', trigger: { name: 'every-night', type: 'cron' } });

    // Nobody drives it, so the request cancels it here and now: the tracked run ends as KILLED.
    expect(await pipelines.requestCancel(id)).toBe('cancelled');
    const cancelled = await appended();
    expect(cancelled.lines[0]).toBe(`pipeline.run.cancel pipeline_run:${id}`);
    expect(cancelled.lines).toContain(`run.end run:${id}`);
    expect(cancelled.records[0]).toMatchObject({ details: { pipeline: 'nightly', status: 'PENDING' } });
    expect(cancelled.records[0]!.beforeDigest).not.toBe(cancelled.records[0]!.afterDigest);
    expect(await pipelines.requestCancel(id)).toBe('already-finished');
    expect((await appended()).lines).toEqual([]);
  });

  it('records a feature view materialization with the watermark before and after', async () => {
    const engine = await DataEngine.open({ threads: 1 });
    const store = new SqliteOnlineStore(join(test.dir, 'online.db'));
    try {
      const file = writeCsv(
        test.dir,
        'spend.csv',
        ['id', 'event_time', 'spend'],
        [
          [1, iso(1), 10],
          [2, iso(2), 20],
        ],
      );
      const view = await pathView(engine, file, { name: 'spend', entities: ['id'], features: ['spend'] });
      const result = await materialize(engine, view, store, { audit: test.context.audit });
      const { lines, records } = await appended();
      expect(lines).toEqual(['feature_view.materialize feature_view:spend']);
      expect(records[0]).toMatchObject({
        beforeDigest: digestOf({ view: 'spend', watermark: null }),
        afterDigest: digestOf({ view: 'spend', watermark: result.watermark }),
        details: { since: null, entities: 2, written: 2, watermark: Date.parse(iso(2)) },
      });
      await materialize(engine, view, store);
      expect((await appended()).lines).toEqual([]);
    } finally {
      engine.close();
      await store.close();
    }
  });
});
