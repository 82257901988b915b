import { describe, expect, it } from 'vitest';
import { renderLineage } from '../../src/cli/lineage.js';
import { CicloError } from '../../src/common/errors.js';
import { LineageGraphSchema, LineageService, parseNodeRef } from '../../src/lineage/index.js';
import { DIALECTS } from '../support/databases.js';
import { edgeList, nodeIds, runNode, useLineageSuite } from './support.js';

describe.each(DIALECTS)('lineage on %s', (dialect) => {
  const suite = useLineageSuite(dialect);
  const lineage = () => new LineageService(suite.server.context.database.db);
  const run = (pipeline: 'first' | 'cached' | 'evaluate', step: string) =>
    suite.scenario.steps[pipeline][step]!.run_id!;

  it(
    'walks upstream from the final model artifact to the raw data step, ' + 'its raw input and the pipeline params',
    async () => {
      const { digests, first } = suite.scenario;
      const graph = await lineage().graph(`${run('first', 'train')}/outputs/model`, { direction: 'upstream' });
      expect(graph.roots).toEqual([`artifact:${digests.model}`]);
      const ids = nodeIds(graph);
      for (const step of ['train', 'features', 'ingest']) expect(ids).toContain(`run:${run('first', step)}`);
      expect(ids).toContain(`artifact:${digests.data}`);
      expect(ids).toContain(`artifact:${digests.raw}`);
      expect(runNode(graph, run('first', 'ingest'))).toMatchObject({
        role: 'step',
        stepName: 'ingest',
        attempt: 1,
        status: 'SUCCEEDED',
        pipelineName: 'churn-train',
      });
      expect(runNode(graph, first)).toMatchObject({
        role: 'pipeline',
        pipelineName: 'churn-train',
        status: 'SUCCEEDED',
        params: { raw: 'raw.csv', seed: 1 },
      });
      const edges = edgeList(graph);
      expect(edges).toContain(`run:${run('first', 'train')} -produced-> artifact:${digests.model}`);
      expect(edges).toContain(`run:${run('first', 'ingest')} -produced-> artifact:${digests.data}`);
      expect(edges).toContain(`artifact:${digests.raw} -consumed_by-> run:${run('first', 'ingest')}`);
      expect(edges).toContain(`run:${first} -contains-> run:${run('first', 'ingest')}`);
      // Beyond the pipeline: the run that logged raw.csv, and the dataset it used.
      expect(edges).toContain(`run:${suite.scenario.exportRun} -produced-> artifact:${digests.raw}`);
      expect(ids).toContain('dataset:churn@v1');
      // Upstream only: nothing that read the model, and not the evaluate pipeline.
      expect(ids).not.toContain(`run:${run('evaluate', 'score')}`);
      expect(
        graph.edges.find((edge) => edge.from === `run:${run('first', 'ingest')}` && edge.type === 'produced')?.name,
      ).toBe('data');
    },
  );

  it('walks downstream from the first output to the model, across pipeline runs using the same digest', async () => {
    const { digests, evaluate } = suite.scenario;
    const graph = await lineage().graph(digests.data, { direction: 'downstream' });
    const ids = nodeIds(graph);
    expect(ids).toContain(`run:${run('first', 'features')}`);
    expect(ids).toContain(`run:${run('first', 'train')}`);
    expect(ids).toContain(`artifact:${digests.model}`);
    // The cached run read the same digest, and so did another pipeline's step.
    expect(ids).toContain(`run:${run('cached', 'features')}`);
    expect(edgeList(graph)).toContain(`artifact:${digests.data} -consumed_by-> run:${run('evaluate', 'score')}`);
    expect(runNode(graph, run('evaluate', 'score'))).toMatchObject({
      stepName: 'score',
      pipelineName: 'churn-evaluate',
      pipelineRunId: evaluate,
    });
    // Downstream only: not the step that produced it.
    expect(ids).not.toContain(`run:${run('first', 'ingest')}`);
  });

  it('links a cached step to the execution it reused, both ways', async () => {
    const cachedTrain = run('cached', 'train');
    const firstTrain = run('first', 'train');
    const up = await lineage().graph(cachedTrain, { direction: 'upstream', depth: 1 });
    expect(runNode(up, cachedTrain)).toMatchObject({ role: 'step', status: 'CACHED', cachedFromRunId: firstTrain });
    expect(edgeList(up)).toContain(`run:${cachedTrain} -cached_from-> run:${firstTrain}`);
    expect(edgeList(up)).toContain(`run:${suite.scenario.cached} -contains-> run:${cachedTrain}`);

    const down = await lineage().graph(`run:${firstTrain}`, { direction: 'downstream', depth: 1 });
    expect(edgeList(down)).toContain(`run:${cachedTrain} -cached_from-> run:${firstTrain}`);
    expect(edgeList(down)).toContain(`run:${firstTrain} -produced-> artifact:${suite.scenario.digests.model}`);
  });

  it('starts downstream of a pipeline run with its steps, and of a dataset with the runs that used it', async () => {
    const pipeline = await lineage().graph(suite.scenario.first, { direction: 'downstream' });
    for (const step of ['ingest', 'features', 'train'])
      expect(edgeList(pipeline)).toContain(`run:${suite.scenario.first} -contains-> run:${run('first', step)}`);

    const dataset = await lineage().graph('dataset:churn', { direction: 'downstream' });
    expect(dataset.roots).toEqual(['dataset:churn@v1']);
    expect(edgeList(dataset)).toContain(`dataset:churn@v1 -used_by-> run:${suite.scenario.exportRun}`);
    expect(nodeIds(dataset)).toContain(`artifact:${suite.scenario.digests.model}`);
  });

  it('answers one JSON shape: roots, nodes once each, edges between nodes it holds', async () => {
    const graph = await lineage().graph(suite.scenario.digests.data);
    expect(LineageGraphSchema.parse(graph)).toEqual(graph);
    expect(graph).toMatchObject({ direction: 'both', depth: 10, truncated: false });
    const ids = nodeIds(graph);
    expect(new Set(ids).size).toBe(ids.length);
    for (const edge of graph.edges) {
      expect(ids).toContain(edge.from);
      expect(ids).toContain(edge.to);
    }
    // Both ways: the producer (upstream) and the consumers (downstream).
    expect(ids).toContain(`run:${run('first', 'ingest')}`);
    expect(ids).toContain(`run:${run('first', 'train')}`);
    expect(JSON.parse(JSON.stringify(graph))).toEqual(graph);
  });

  it('stops at the depth and the node cap, and says when it cut the graph', async () => {
    const { digests } = suite.scenario;
    const one = await lineage().graph(digests.model, { direction: 'upstream', depth: 1 });
    expect(nodeIds(one).sort()).toEqual(
      [`artifact:${digests.model}`, `run:${run('cached', 'train')}`, `run:${run('first', 'train')}`].sort(),
    );
    const capped = await lineage().graph(digests.model, { direction: 'upstream', maxNodes: 3 });
    expect(capped.nodes).toHaveLength(3);
    expect(capped.truncated).toBe(true);
  });

  it('resolves a folder artifact by its path to the digest the step recorded', async () => {
    const features = suite.scenario.steps.first.features!;
    const digest = (JSON.parse(features.output_digests!) as Record<string, string>).features!;
    const graph = await lineage().graph(`${features.run_id}/outputs/features`, { direction: 'upstream', depth: 1 });
    expect(graph.roots).toEqual([`artifact:${digest}`]);
  });

  it('renders a text tree naming kinds, short ids, steps and statuses', async () => {
    const { digests } = suite.scenario;
    const text = renderLineage(await lineage().graph(digests.model, { direction: 'upstream' }));
    const lines = text.split('\n');
    expect(lines[0]).toBe(`artifact ${digests.model.slice(0, 19)}`);
    const short = (id: string) => id.slice(0, 8);
    expect(text).toContain(
      `─ produced by  step train#1  SUCCEEDED  run ${short(run('first', 'train'))}  pipeline churn-train  [model]`,
    );
    expect(text).toContain(
      `─ produced by  step train#1  CACHED  run ${short(run('cached', 'train'))}  pipeline churn-train  [model]`,
    );
    expect(text).toContain(
      `─ cached from  step train#1  SUCCEEDED  run ${short(run('first', 'train'))}  pipeline churn-train  (see above)`,
    );
    expect(text).toMatch(/─ input {2}artifact sha256:[0-9a-f]{12} {2}\[data\]/);
    expect(text).toContain(
      `─ produced by  step ingest#1  SUCCEEDED  run ${short(run('first', 'ingest'))}  pipeline churn-train  [data]`,
    );
    expect(text).toContain(
      `─ part of  pipeline churn-train  run ${short(suite.scenario.first)}  SUCCEEDED  params raw=raw.csv seed=1`,
    );
    expect(text).toContain('─ uses  dataset churn@v1  [export]');

    const both = renderLineage(await lineage().graph(run('evaluate', 'score')));
    expect(both).toMatch(/^step score#1 {2}SUCCEEDED/);
    expect(both).toContain('\nupstream:\n');
    expect(both).toContain('\ndownstream:\n');
    expect(both).toMatch(/─ output {2}artifact sha256:[0-9a-f]{12} {2}\[score\]/);
  });

  it('refuses unknown nodes with 404 codes and malformed ones with the accepted forms', async () => {
    const expectError = async (node: string, code: string, text: string | RegExp) => {
      const error = await lineage()
        .graph(node)
        .then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
      expect(error).toBeInstanceOf(CicloError);
      expect((error as CicloError).code).toBe(code);
      expect((error as CicloError).message).toMatch(text);
      return error as CicloError;
    };
    await expectError(
      '0123456789abcdef0123456789abcdef',
      'RESOURCE_DOES_NOT_EXIST',
      'no run 0123456789abcdef0123456789abcdef',
    );
    await expectError(`sha256:${'0'.repeat(64)}`, 'RESOURCE_DOES_NOT_EXIST', 'no step or run recorded');
    await expectError(
      `${run('first', 'train')}/outputs/nope`,
      'RESOURCE_DOES_NOT_EXIST',
      'has no artifact outputs/nope',
    );
    await expectError('dataset:nope', 'RESOURCE_DOES_NOT_EXIST', 'no run used dataset nope');
    const model = await expectError('model:churn/3', 'RESOURCE_DOES_NOT_EXIST', 'no model registry exists yet');
    expect(model.details.where).toBe('node');
    const malformed = await expectError('thing:x', 'INVALID_PARAMETER_VALUE', "'thing' is not a kind of lineage node");
    expect(malformed.details.hint).toContain('sha256:<64 hex digits>');
    await expectError('sha256:abc', 'INVALID_PARAMETER_VALUE', 'is not a full digest');
    await expectError('', 'INVALID_PARAMETER_VALUE', 'the node is empty');
    await expectError('run:a b', 'INVALID_PARAMETER_VALUE', 'is not a run id');
  });

  it('checks depth and node cap bounds', async () => {
    await expect(lineage().graph(suite.scenario.first, { depth: 51 })).rejects.toThrow(
      'depth must be a whole number from 0 to 50',
    );
    await expect(lineage().graph(suite.scenario.first, { maxNodes: 0 })).rejects.toThrow(
      'maxNodes must be a whole number',
    );
  });
});

describe('node strings', () => {
  it('parses each accepted form', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseNodeRef('abc123')).toEqual({ kind: 'run', runId: 'abc123' });
    expect(parseNodeRef('run:abc123')).toEqual({ kind: 'run', runId: 'abc123' });
    expect(parseNodeRef(digest)).toEqual({ kind: 'artifact', digest });
    expect(parseNodeRef(`artifact:${digest}`)).toEqual({ kind: 'artifact', digest });
    expect(parseNodeRef('abc123/outputs/model/')).toEqual({ kind: 'artifact', runId: 'abc123', path: 'outputs/model' });
    expect(parseNodeRef('dataset:churn')).toEqual({ kind: 'dataset', name: 'churn' });
    expect(parseNodeRef('dataset:team@churn@v2')).toEqual({ kind: 'dataset', name: 'team@churn', digest: 'v2' });
    expect(parseNodeRef('model:churn')).toEqual({ kind: 'model', name: 'churn' });
    expect(parseNodeRef('model:churn/4')).toEqual({ kind: 'model', name: 'churn', version: '4' });
  });

  it('refuses paths that climb out and empty parts', () => {
    for (const bad of ['abc/../x', 'abc//x', 'dataset:', 'dataset:x@', 'model:', 'model:x/', '/x']) {
      expect(() => parseNodeRef(bad), bad).toThrow(CicloError);
    }
  });
});
