import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlreadyExistsError, InvalidInputError, InvalidStateError, NotFoundError } from '../../src/common/errors.js';
import type { TrackingService } from '../../src/tracking/index.js';
import { DIALECTS } from '../support/databases.js';
import { openTestContext, type TestContext } from '../support/context.js';

describe.each(DIALECTS)('tracking service on %s', (dialect) => {
  let test: TestContext;
  let tracking: TrackingService;

  beforeEach(async () => {
    test = await openTestContext(dialect);
    tracking = test.context.tracking;
  });
  afterEach(async () => {
    await test.drop();
  });

  async function newRun(name = 'exp') {
    const experiment = await tracking.getOrCreateExperiment(name);
    return tracking.createRun({ experimentId: experiment.experimentId });
  }

  describe('experiments', () => {
    it('creates, finds by name and refuses a duplicate name', async () => {
      const created = await tracking.createExperiment({ name: 'churn', tags: { team: 'risk' } });
      expect(created).toMatchObject({ name: 'churn', lifecycleStage: 'active', tags: { team: 'risk' } });
      expect(created.artifactLocation).toBe(`mlflow-artifacts:/${created.experimentId}`);
      expect((await tracking.getExperimentByName('churn')).experimentId).toBe(created.experimentId);
      await expect(tracking.createExperiment({ name: 'churn' })).rejects.toBeInstanceOf(AlreadyExistsError);
    });

    it('renames, tags, deletes with its runs and restores', async () => {
      const experiment = await tracking.createExperiment({ name: 'a' });
      const run = await tracking.createRun({ experimentId: experiment.experimentId });
      await tracking.renameExperiment(experiment.experimentId, 'b');
      await tracking.setExperimentTag(experiment.experimentId, 'owner', 'ana');
      expect(await tracking.getExperiment(experiment.experimentId)).toMatchObject({
        name: 'b',
        tags: { owner: 'ana' },
      });

      await tracking.deleteExperiment(experiment.experimentId);
      expect((await tracking.getRun(run.info.runId)).info.lifecycleStage).toBe('deleted');
      await expect(tracking.createRun({ experimentId: experiment.experimentId })).rejects.toBeInstanceOf(
        InvalidStateError,
      );

      await tracking.restoreExperiment(experiment.experimentId);
      expect((await tracking.getRun(run.info.runId)).info.lifecycleStage).toBe('active');
    });

    it('answers an unknown or malformed id with not found', async () => {
      await expect(tracking.getExperiment('987654')).rejects.toBeInstanceOf(NotFoundError);
      await expect(tracking.getExperiment('abc')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('lists the Default experiment with id 0', async () => {
      const page = await tracking.searchExperiments();
      expect(page.items.map((e) => e.experimentId)).toContain('0');
    });
  });

  describe('runs', () => {
    it('creates a run with name, user, parent and system tags', async () => {
      const parent = await newRun();
      const experiment = await tracking.getExperimentByName('exp');
      const child = await tracking.createRun({
        experimentId: experiment.experimentId,
        runName: 'child',
        userId: 'ana',
        parentRunId: parent.info.runId,
      });
      expect(child.info).toMatchObject({
        runName: 'child',
        userId: 'ana',
        status: 'RUNNING',
        parentRunId: parent.info.runId,
      });
      expect(child.info.runId).toMatch(/^[0-9a-f]{32}$/);
      expect(child.data.tags).toMatchObject({
        'mlflow.runName': 'child',
        'mlflow.user': 'ana',
        'mlflow.parentRunId': parent.info.runId,
      });
      expect(child.info.artifactUri).toBe(`mlflow-artifacts:/${experiment.experimentId}/${child.info.runId}/artifacts`);
    });

    it('refuses an unknown parent run', async () => {
      const experiment = await tracking.getOrCreateExperiment('exp');
      await expect(
        tracking.createRun({ experimentId: experiment.experimentId, parentRunId: 'nope' }),
      ).rejects.toBeInstanceOf(NotFoundError);
    });

    it('sets the end time when the run finishes', async () => {
      const run = await newRun();
      const info = await tracking.updateRun(run.info.runId, { status: 'FINISHED' });
      expect(info.status).toBe('FINISHED');
      expect(info.endTime).toBeGreaterThanOrEqual(info.startTime);
    });

    it('refuses writes to a deleted run and accepts them after restore', async () => {
      const run = await newRun();
      await tracking.deleteRun(run.info.runId);
      await expect(tracking.logMetric(run.info.runId, { key: 'm', value: 1 })).rejects.toBeInstanceOf(
        InvalidInputError,
      );
      await tracking.restoreRun(run.info.runId);
      await tracking.logMetric(run.info.runId, { key: 'm', value: 1 });
      expect((await tracking.getRun(run.info.runId)).data.metrics).toHaveLength(1);
    });
  });

  describe('params', () => {
    it('accepts the same value again and refuses another value with INVALID_PARAMETER_VALUE', async () => {
      const run = await newRun();
      await tracking.logParam(run.info.runId, 'lr', '0.1');
      await tracking.logParam(run.info.runId, 'lr', '0.1');
      const error = await tracking.logParam(run.info.runId, 'lr', '0.2').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).code).toBe('INVALID_PARAMETER_VALUE');
      expect((error as Error).message).toContain("'0.1'");
      expect((await tracking.getRun(run.info.runId)).data.params).toEqual({ lr: '0.1' });
    });

    it('writes nothing of a batch whose param conflicts', async () => {
      const run = await newRun();
      await tracking.logParam(run.info.runId, 'lr', '0.1');
      await expect(
        tracking.logBatch(run.info.runId, {
          metrics: [{ key: 'auc', value: 0.9 }],
          params: [
            { key: 'depth', value: '3' },
            { key: 'lr', value: '0.5' },
          ],
          tags: [{ key: 't', value: 'v' }],
        }),
      ).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', details: { where: 'params[1].value' } });
      const after = await tracking.getRun(run.info.runId);
      expect(after.data.metrics).toEqual([]);
      expect(after.data.params).toEqual({ lr: '0.1' });
      expect(after.data.tags.t).toBeUndefined();
    });
  });

  describe('metrics', () => {
    it('keeps the full history and the latest point by step, then timestamp', async () => {
      const run = await newRun();
      await tracking.logBatch(run.info.runId, {
        metrics: [
          { key: 'loss', value: 0.9, step: 0, timestamp: 100 },
          { key: 'loss', value: 0.5, step: 2, timestamp: 50 },
          { key: 'loss', value: 0.7, step: 1, timestamp: 300 },
        ],
      });
      await tracking.logMetric(run.info.runId, { key: 'loss', value: 0.8, step: 1, timestamp: 400 });
      const latest = (await tracking.getRun(run.info.runId)).data.metrics;
      expect(latest).toEqual([{ key: 'loss', value: 0.5, step: 2, timestamp: 50 }]);
      const history = await tracking.getMetricHistory(run.info.runId, 'loss');
      expect(history.items.map((m) => m.value)).toEqual([0.9, 0.7, 0.8, 0.5]);
    });

    it('stores NaN, infinities and every double faithfully', async () => {
      const run = await newRun();
      const exact = [0.1 + 0.2, 1 / 3, 5e-324, -Number.MAX_VALUE, 2 ** 53 - 1];
      await tracking.logBatch(run.info.runId, {
        metrics: [
          { key: 'nan', value: Number.NaN },
          { key: 'inf', value: 'Infinity' },
          { key: 'ninf', value: Number.NEGATIVE_INFINITY },
          ...exact.map((value, i) => ({ key: `exact${i}`, value })),
        ],
      });
      const byKey = Object.fromEntries(
        (await tracking.getRun(run.info.runId)).data.metrics.map((m) => [m.key, m.value]),
      );
      expect(byKey.nan).toBeNaN();
      expect(byKey.inf).toBe(Number.POSITIVE_INFINITY);
      expect(byKey.ninf).toBe(Number.NEGATIVE_INFINITY);
      // Read back through the JSON each engine builds for a run's latest metrics (readLatestMetrics).
      expect(exact.map((_, i) => byKey[`exact${i}`])).toEqual(exact);
    });

    it('pages the history with an opaque token', async () => {
      const run = await newRun();
      await tracking.logBatch(run.info.runId, {
        metrics: Array.from({ length: 25 }, (_, step) => ({ key: 'm', value: step, step })),
      });
      const seen: number[] = [];
      let pageToken: string | undefined;
      do {
        const page = await tracking.getMetricHistory(run.info.runId, 'm', { maxResults: 10, pageToken });
        seen.push(...page.items.map((m) => m.step));
        pageToken = page.nextPageToken;
      } while (pageToken);
      expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i));
    });

    it('refuses a bad metric with its field path and writes nothing', async () => {
      const run = await newRun();
      const bad = { key: 'b', value: 'high' } as unknown as { key: string; value: number };
      await expect(tracking.logBatch(run.info.runId, { metrics: [{ key: 'a', value: 1 }, bad] })).rejects.toMatchObject(
        {
          code: 'INVALID_PARAMETER_VALUE',
          details: { where: 'metrics[1].value' },
        },
      );
      expect((await tracking.getRun(run.info.runId)).data.metrics).toEqual([]);
    });

    it('refuses a key that could escape a folder', async () => {
      const run = await newRun();
      await expect(tracking.logMetric(run.info.runId, { key: '../x', value: 1 })).rejects.toBeInstanceOf(
        InvalidInputError,
      );
    });
  });

  describe('tags and inputs', () => {
    it('sets, overwrites and deletes tags; renaming through mlflow.runName', async () => {
      const run = await newRun();
      await tracking.setTag(run.info.runId, 'team', 'a');
      await tracking.setTag(run.info.runId, 'team', 'b');
      await tracking.setTag(run.info.runId, 'mlflow.runName', 'renamed');
      const after = await tracking.getRun(run.info.runId);
      expect(after.data.tags.team).toBe('b');
      expect(after.info.runName).toBe('renamed');
      await tracking.deleteTag(run.info.runId, 'team');
      expect((await tracking.getRun(run.info.runId)).data.tags.team).toBeUndefined();
      await expect(tracking.deleteTag(run.info.runId, 'team')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('keeps the last value of a tag set twice in one batch', async () => {
      const run = await newRun();
      await tracking.logBatch(run.info.runId, {
        tags: [
          { key: 'stage', value: 'a' },
          { key: 'stage', value: 'b' },
        ],
      });
      expect((await tracking.getRun(run.info.runId)).data.tags.stage).toBe('b');
    });

    it('names the run from the runName argument even when the mlflow.runName tag says otherwise', async () => {
      const experiment = await tracking.getOrCreateExperiment('exp');
      const run = await tracking.createRun({
        experimentId: experiment.experimentId,
        runName: 'chosen',
        tags: { 'mlflow.runName': 'other' },
      });
      expect(run.info.runName).toBe('chosen');
      expect(run.data.tags['mlflow.runName']).toBe('chosen');
    });

    it('records dataset inputs once per name, digest and context', async () => {
      const run = await newRun();
      const dataset = {
        name: 'customers',
        digest: 'sha256:abc',
        context: 'training',
        sourceType: 'local',
        source: 'data/c.csv',
      };
      await tracking.logInputs(run.info.runId, [dataset, dataset, { ...dataset, context: 'evaluation' }]);
      const inputs = (await tracking.getRun(run.info.runId)).inputs;
      expect(inputs.map((i) => i.context).sort()).toEqual(['evaluation', 'training']);
    });
  });
});
